"""The offline job as one call: embedded feeds (if missing) -> pipeline -> filled backends."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from philomath.settings import Settings
from philomath.wiring import build_backends

if TYPE_CHECKING:
    from recommender.pipeline import PipelineReport

logger = logging.getLogger(__name__)


def run_offline(
    settings: Settings, *, force_generate: bool = False, progress: bool = True
) -> PipelineReport:
    """Generate the embedded feeds unless they already match the settings, then run the
    pipeline into the configured catalog, profile store and recommendation store."""
    from recommender.data.generate import generate_feeds
    from recommender.pipeline import run_pipeline

    generate_feeds(
        settings.raw_dir,
        users=settings.users,
        tracks=settings.tracks,
        events=settings.events,
        seed=settings.seed,
        force=force_generate,
        progress=progress,
    )
    backends = build_backends(settings)
    try:
        backends.ensure_schema()
        report = run_pipeline(
            raw_dir=settings.raw_dir,
            work_dir=settings.data_dir / "work",
            catalog=backends.catalog,
            profiles=backends.profiles,
            store=backends.store,
            per_user=settings.recommendations_per_user,
            progress=progress,
        )
    finally:
        backends.close()
    build_nlu_gazetteer(settings)
    return report


def build_nlu_gazetteer(settings: Settings) -> None:
    """The NLU's catalog gazetteer, built once here so serving only loads it from disk.
    Skipped (with a note) where the nlp extra is not installed: the rule parser still runs."""
    from recommender.data import unified

    try:
        from nlu.gazetteer import build_gazetteer
    except ImportError as exc:
        logger.warning("NLU gazetteer not built (install the nlp extra): %s", exc)
        return
    build_gazetteer(unified.tracks(settings.data_dir / "work" / "unified"), settings.gazetteer_dir)
