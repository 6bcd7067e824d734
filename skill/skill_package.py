"""The ASK CLI skill package: ``skill-package/skill.json`` and one interaction model per
locale under ``skill-package/interactionModels/custom/``.

The models are copies of ``interaction_models/`` (generated from nlu by
``philomath nlu interaction-model``); ``philomath skill-package`` refreshes them
(``--check`` only compares, for CI). ``ask deploy`` from the repository root then deploys the
manifest and the models (``ask-resources.json`` points at ``skill-package/``).
"""

from __future__ import annotations

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
