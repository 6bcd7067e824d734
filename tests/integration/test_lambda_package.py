"""What `sam build` ships is enough to start: the Makefile's Lambda target installs the package
with its serving extra into an artifact folder, which stays under Lambda's 250 MB unzipped
limit, and every handler imports from that folder alone (no site-packages, no repository on the
path); the skill's handler answers a real envelope from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENVELOPE = ROOT / "tests" / "skill" / "envelopes" / "play_music_mood_relaxing.json"
LAMBDA_UNZIPPED_LIMIT = 262_144_000  # bytes: code and layers, unzipped
HANDLERS = ("lambda_handler", "api_handler", "consumer_handler")


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("lambda") / "artifacts"
    subprocess.run(
        ["make", "--no-print-directory", "build-SkillFunction", f"ARTIFACTS_DIR={target}",
         f"PYTHON={sys.executable}"],
        cwd=ROOT, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return target


def run_isolated(artifacts: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Python without site-packages (-S), in an empty folder, with only the artifacts on the
    path: what the Lambda runtime would import (it adds boto3, which the package holds too)."""
    program = f"import sys; sys.path.insert(0, {str(artifacts)!r}); {code}"
    return subprocess.run(
        [sys.executable, "-S", "-c", program],
        cwd=artifacts.parent, capture_output=True, text=True, timeout=120,
        env={"PATH": os.environ["PATH"], **env},
    )  # fmt: skip


def test_the_package_stays_under_the_unzipped_limit(artifacts: Path) -> None:
    size = sum(path.stat().st_size for path in artifacts.rglob("*") if path.is_file())
    assert 0 < size < LAMBDA_UNZIPPED_LIMIT


@pytest.mark.parametrize("module", HANDLERS)
def test_every_handler_imports_from_the_package_alone(artifacts: Path, module: str) -> None:
    done = run_isolated(
        artifacts,
        f"import philomath.{module} as m; assert callable(m.handler); print(m.__file__)",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(artifacts))


def test_the_skill_answers_an_envelope_from_the_package(artifacts: Path) -> None:
    envelope = json.loads(ENVELOPE.read_text())
    skill_id = envelope["context"]["System"]["application"]["applicationId"]
    done = run_isolated(
        artifacts,
        "import json; from philomath.lambda_handler import handler; "
        f"print(json.dumps(handler(json.load(open({str(ENVELOPE)!r})), None)))",
        PHILOMATH_ALEXA_SKILL_ID=skill_id,
        PHILOMATH_DATA_DIR=str(artifacts.parent / "var"),
        PHILOMATH_MEDIA_SIGNING_KEY="a-test-key-of-twenty-bytes",
        AWS_LAMBDA_FUNCTION_NAME="philomath-test-skill",
        PHILOMATH_LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["version"] == "1.0"
    assert "outputSpeech" in answer["response"]
