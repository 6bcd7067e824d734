"""The background roles (feedback consumer, batch inference, spool replay, retrain trigger)
and how to stop them.

Each runs as its own process in production (``philomath consume``, ``philomath batch --watch``)
so it scales on its own; ``philomath serve --workers`` runs them as threads beside the HTTP
server instead, which is what ``make run`` does: with the embedded in-process cache, only a
consumer in the serving process can invalidate the lists that process has cached.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from philomath.adapters import build_listen_archive, build_spool
from philomath.settings import Settings
from philomath.wiring import Backends, Online, build_backends
from playback.vocabulary import MOODS
from recommender.storage.recommendations import context_key
from telemetry import Metrics

if TYPE_CHECKING:
    from listening.events import EventRecorder

logger = logging.getLogger(__name__)

SPOOL_REPLAY_EVERY_S = 5.0


def stop_on_signals() -> threading.Event:
    """An event set by SIGINT or SIGTERM, for loops that should finish their page and exit."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        logger.info("stopping on signal %s", signum)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    return stop


def consume(backends: Backends, stop: threading.Event, metrics: Metrics | None = None) -> None:
    from recommender.feedback.consumer import run_consumer

    run_consumer(
        backends.events,
        backends.profiles,
        backends.catalog,
        backends.cache,
        stop=stop,
        metrics=metrics,
        archive=backends.listen_archive,
        posteriors=backends.posteriors,
        fold=backends.bandit_fold,
    )


def batch(
    backends: Backends,
    settings: Settings,
    *,
    incremental: bool,
    watch: threading.Event | None,
    metrics: Metrics | None = None,
) -> object:
    from recommender.batch.inference import run_batch
    from recommender.models.ann import Retrieval

    return run_batch(
        store=backends.store,
        profiles=backends.profiles,
        cache=backends.cache,
        work_dir=settings.data_dir / "work",
        mode="incremental" if incremental else "full",
        watch=watch,
        metrics=metrics,
        retrieval=Retrieval(min_items=settings.ann_min_items),
    )


def replay_spool(recorder: EventRecorder, stop: threading.Event) -> None:
    """Events spooled while the stream was down go out within seconds of its recovery."""
    while not stop.wait(SPOOL_REPLAY_EVERY_S):
        try:
            recorder.replay_events()
        except Exception:  # a worker must outlive any one failure; the next tick retries
            logger.exception("spool replay failed")


def retrain_trigger(settings: Settings, stop: threading.Event) -> None:
    """Every ``PHILOMATH_RETRAIN_CHECK_S``: when a retrain is due (enough new archived plays,
    or time), run ``philomath retrain --if-due`` as a child process, with this process's
    environment: it checks again, takes the pipeline lock, and gives its memory back when
    it ends, so serving never runs the pipeline itself."""
    from recommender.offline.retrain_trigger import RetrainTrigger

    archive = build_listen_archive(settings)
    trigger = RetrainTrigger(
        archive,
        settings.work_dir,
        min_plays=settings.retrain_min_plays,
        every_h=settings.retrain_every_h,
    )
    command = [sys.executable, "-m", "philomath", "retrain", "--if-due", "--json"]
    try:
        while not stop.wait(settings.retrain_check_s):
            try:
                decision, _ = trigger.check()
                if not decision.due:
                    continue
                logger.info("retrain due: %s", decision.reason)
                done = subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
                if done.returncode != 0:
                    logger.error("retrain exited with status %d", done.returncode)
            except Exception:  # the next check retries
                logger.exception("retrain trigger check failed")
    finally:
        if archive is not None:
            archive.close()


def chart_contexts(genres: Sequence[str]) -> list[str]:
    """The charts worth holding warm: overall, per mood, per genre of the catalog."""
    return [
        "all",
        *(context_key(mood=mood) for mood in MOODS),
        *(context_key(genre=genre) for genre in genres),
    ]


def warm_cache(settings: Settings) -> dict[str, object]:
    """Read the current snapshot's charts through the router, so the shared cache (Redis in
    AWS) holds them before the first request after a batch run: the pipeline's last state."""
    from recommender.serving.router import Router

    backends = build_backends(settings)
    try:
        router = Router(
            backends.store, backends.profiles, backends.cache, cache_ttl_s=settings.cache_ttl_s
        )
        snapshot = router.refresh_snapshot()
        contexts = chart_contexts(backends.catalog.genres())
        warmed = router.warm(contexts)
    finally:
        backends.close()
    logger.info("cache warmed", extra={"snapshot": snapshot, "charts": warmed})
    return {"snapshot": snapshot, "contexts": len(contexts), "charts_warmed": warmed}


def start_workers(
    online: Online, settings: Settings, stop: threading.Event
) -> list[threading.Thread]:
    """Warm the fallback charts, then start the background roles beside this process's app."""
    online.router.warm(chart_contexts(online.backends.catalog.genres()))
    # On the app's /metrics, beside the requests'.
    return start_roles(online.backends, settings, stop, online.telemetry.metrics)


def start_roles(
    backends: Backends, settings: Settings, stop: threading.Event, metrics: Metrics
) -> list[threading.Thread]:
    """Feedback consumer, incremental batch watcher, spool replay and the retrain trigger
    (unless ``PHILOMATH_RETRAIN_CHECK_S`` is 0), as threads. Correct
    beside any number of serving processes of the same data folder: the cache's deletes
    reach all of them, and the replay reads the spool they all write."""
    from listening.events import EventRecorder

    recorder = EventRecorder(backends.events, build_spool(settings))
    jobs: dict[str, Callable[[], object]] = {
        "consumer": lambda: consume(backends, stop, metrics),
        "batch": lambda: batch(backends, settings, incremental=True, watch=stop, metrics=metrics),
        "spool-replay": lambda: replay_spool(recorder, stop),
    }
    if settings.retrain_check_s > 0:
        jobs["retrain-trigger"] = lambda: retrain_trigger(settings, stop)
    threads = [
        threading.Thread(target=_logged(name, job), name=name, daemon=True)
        for name, job in jobs.items()
    ]
    for thread in threads:
        thread.start()
    return threads


def _logged(name: str, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:
            logger.exception("background role %s stopped", name)

    return run
