"""The architecture as a test: which package may import which.

The layers are drawn in each package's docstring (``recommender/__init__.py`` for the
recommender's rooms). A module's rule is the one of its most specific package below; an
import of the project's own code outside the allowed list fails with the file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OWN = ("philomath", "skill", "listening", "nlu", "recommender", "playback", "telemetry")

# telemetry (metrics and tracing ports) imports nothing of ours: every package may use it.
_RECOMMENDER_BASE = ("recommender.errors", "playback", "telemetry")

# package -> the packages of ours it may import (besides itself)
ALLOWED: dict[str, tuple[str, ...]] = {
    "playback": (),
    "telemetry": (),
    "nlu": ("playback",),
    "recommender": _RECOMMENDER_BASE,
    "recommender.storage": _RECOMMENDER_BASE,
    "recommender.data": ("recommender.storage", *_RECOMMENDER_BASE),
    "recommender.models": ("recommender.data", "recommender.storage", *_RECOMMENDER_BASE),
    "recommender.evaluation": (
        "recommender.models",
        "recommender.data",
        *_RECOMMENDER_BASE,
    ),
    "recommender.batch": (
        "recommender.models",
        "recommender.data",
        "recommender.storage",
        *_RECOMMENDER_BASE,
    ),
    "recommender.offline": (
        "recommender.batch",
        "recommender.evaluation",
        "recommender.models",
        "recommender.data",
        "recommender.storage",
        *_RECOMMENDER_BASE,
    ),
    # The distributed path (Spark): the offline steps, so the offline room's imports.
    "recommender.distributed": (
        "recommender.batch",
        "recommender.models",
        "recommender.data",
        "recommender.storage",
        *_RECOMMENDER_BASE,
    ),
    # Serving assigns listeners to the running experiments' variants.
    "recommender.serving": ("recommender.storage", "recommender.experiments", *_RECOMMENDER_BASE),
    # A/B experiments: the report draws its plots as the evaluation report does.
    "recommender.experiments": ("recommender.evaluation", *_RECOMMENDER_BASE),
    "recommender.feedback": ("recommender.storage", *_RECOMMENDER_BASE),
    "listening": (
        "nlu",
        "recommender.serving",
        "recommender.storage",
        "recommender.errors",
        "playback",
        "telemetry",
    ),
    "skill": (
        "listening",
        "nlu",
        "recommender.serving",
        "recommender.errors",
        "playback",
        "telemetry",
    ),
    "philomath": OWN,
}


def _package_of(module: str) -> str:
    """The most specific package in ``ALLOWED`` that holds ``module``."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        candidate = ".".join(parts[:size])
        if candidate in ALLOWED:
            return candidate
    raise AssertionError(f"{module} is in no package of the import rules")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _own_modules(root: Path) -> Iterator[tuple[str, Path]]:
    for top in OWN:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root).with_suffix("")
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            yield ".".join(parts), path


def _is_module(root: Path, dotted: str) -> bool:
    base = root / dotted.replace(".", "/")
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _imports(root: Path, path: Path) -> Iterator[tuple[str, int]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # ``from recommender import errors`` imports a module
                dotted = f"{node.module}.{alias.name}"
                yield (dotted if _is_module(root, dotted) else node.module), node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for module, path in _own_modules(root):
        package = _package_of(module)
        allowed = (package, *ALLOWED[package])
        for imported, line in _imports(root, path):
            if imported.split(".")[0] in OWN and not any(_within(imported, a) for a in allowed):
                where = path.relative_to(root)
                found.append(f"{where}:{line}: {package} may not import {imported}")
    return sorted(set(found))


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Source files (path -> text) under ``root``: a made-up project for the checkers."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_every_import_follows_the_layers() -> None:
    assert violations() == []


def test_the_checker_flags_a_forbidden_import(tmp_path: Path) -> None:
    """Serving importing the offline pipeline, and playback importing the recommender."""
    files = {
        "recommender/__init__.py": "",
        "recommender/serving/__init__.py": "",
        "recommender/serving/router.py": "from recommender.offline import pipeline\n",
        "recommender/offline/__init__.py": "",
        "recommender/offline/pipeline.py": "from recommender.serving.router import x\n",
        "playback/__init__.py": "",
        "playback/catalog.py": "import recommender.errors\nfrom playback import queue\n",
        "playback/queue.py": "",
    }
    write_tree(tmp_path, files)
    assert violations(tmp_path) == [
        "playback/catalog.py:1: playback may not import recommender.errors",
        "recommender/offline/pipeline.py:1: recommender.offline may not import "
        "recommender.serving.router",
        "recommender/serving/router.py:1: recommender.serving may not import "
        "recommender.offline.pipeline",
    ]


def test_every_room_has_a_rule() -> None:
    """A new recommender room must get a rule here (and a line in its docstring)."""
    rooms = {p.parent.name for p in (ROOT / "recommender").glob("*/__init__.py")}
    assert {f"recommender.{room}" for room in rooms} <= set(ALLOWED)
