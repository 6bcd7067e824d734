"""The online path imports nothing from the training or nlp groups, so a Lambda image or a
serving container installs only ``philomath[serving]``."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HEAVY = ("numpy", "duckdb", "pyarrow", "spacy", "torch", "transformers", "pandas", "pyspark")

ONLINE_MODULES = (
    "philomath.wiring",
    "philomath.cli",
    "skill.http_app",
    "skill.alexa",
    "skill.lambda_entry",
    "philomath.lambda_handler",
    "recommender.serving.router",
    "recommender.storage.sqlite_recommendations",
    "recommender.storage.dynamodb_recommendations",
    "recommender.storage.sqlite_profiles",
    "recommender.storage.dynamodb_profiles",
    "recommender.storage.memory_cache",
    "recommender.storage.redis_cache",
    "playback.sqlite_catalog",
    "playback.postgres_catalog",
    "playback.sqlite_stream",
    "playback.kinesis_stream",
    "philomath.observability",
    "philomath.asgi",
    "telemetry.prometheus",
    "telemetry.otel",
)


def test_online_modules_import_without_training_dependencies() -> None:
    script = textwrap.dedent(
        f"""
        import importlib, sys

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {HEAVY!r}:
                    raise ImportError("serving must not import " + name)

        sys.meta_path.insert(0, Block())
        for module in {ONLINE_MODULES!r}:
            importlib.import_module(module)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
