"""The ASK CLI skill package: ``skill-package/skill.json`` and one interaction model per
locale under ``skill-package/interactionModels/custom/``.

The models are copies of ``interaction_models/`` (generated from nlu by
``python -m nlu.interaction_model``); ``python -m skill.skill_package`` refreshes them
(``--check`` only compares, for CI). ``ask deploy`` from the repository root then deploys the
manifest and the models (``ask-resources.json`` points at ``skill-package/``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "interaction_models"
PACKAGE_DIR = ROOT / "skill-package"
MODELS_DIR = PACKAGE_DIR / "interactionModels" / "custom"


def stale_models(source: Path = SOURCE_DIR, target: Path = MODELS_DIR) -> list[str]:
    """Locales whose packaged model differs from (or lacks) the source, plus packaged
    locales that no longer have a source."""
    sources = {p.name: p.read_bytes() for p in sorted(source.glob("*.json"))}
    packaged = {p.name: p.read_bytes() for p in sorted(target.glob("*.json"))}
    return sorted(n for n in sources.keys() | packaged.keys() if sources.get(n) != packaged.get(n))


def sync_models(source: Path = SOURCE_DIR, target: Path = MODELS_DIR) -> list[str]:
    """Copy every source model into the package, remove orphans; the locales changed."""
    changed = stale_models(source, target)
    target.mkdir(parents=True, exist_ok=True)
    for name in changed:
        origin = source / name
        if origin.exists():
            (target / name).write_bytes(origin.read_bytes())
        else:
            (target / name).unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the package is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_models()
        if stale:
            print(f"skill package stale for {', '.join(stale)}: run python -m skill.skill_package")
            return 1
        return 0
    for name in sync_models():
        print(f"updated {MODELS_DIR / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
