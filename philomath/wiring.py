"""The composition root: which adapters a process gets (``build_backends``; each one built
from its URL in ``philomath.adapters``) and the online path assembled (``build_online``).
Everything else receives its ports."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from listening.routines import RoutineStore
from philomath.adapters import (
    aws_client,
    build_cache,
    build_catalog,
    build_events,
    build_identity,
    build_listen_archive,
    build_posteriors,
    build_profiles,
    build_queues,
    build_routines,
    build_spool,
    build_store,
)
from philomath.errors import ConfigurationError as ConfigurationError  # re-exported
from philomath.secret_refs import setting_problem
from philomath.settings import Settings
from playback.catalog import TrackCatalog
from playback.events import EventStream
from playback.queue import QueueStore
from recommender.experiments.config import Experiment
from recommender.feedback.bandit_feedback import decaying_fold
from recommender.storage.cache import Cache
from recommender.storage.listen_archive import ListenArchive
from recommender.storage.posteriors import Fold, PosteriorStore
from recommender.storage.profiles import ProfileStore
from recommender.storage.recommendations import POPULAR_USER, RecommendationStore
from telemetry import Telemetry

if TYPE_CHECKING:  # the online path's heavy imports load only when it is built
    from ask_sdk_core.skill import CustomSkill
    from fastapi import FastAPI

    from listening import Listening
    from listening.erasure import Erasure, Forgetter
    from listening.identity import IdentityStore, ListenerResolver
    from nlu.rules import RuleParser
    from philomath.security import ApiSecurity
    from recommender.serving.bandit import BanditConfig, Reranker
    from recommender.serving.experiments import ServingExperiments
    from recommender.serving.router import LiveLister, Router
    from skill.alexa.verification import AlexaRequestVerifier


logger = logging.getLogger(__name__)


def declared_experiments(settings: Settings) -> tuple[Experiment, ...]:
    """The experiments declared in ``PHILOMATH_EXPERIMENTS_FILE`` (none: no file), a started
    one checked against its lock; a file that does not parse or a changed started experiment
    is a ``ConfigurationError`` (one line, at start)."""
    from recommender.experiments.config import ExperimentConfigError, load_experiments

    try:
        return load_experiments(settings.experiments_path)
    except ExperimentConfigError as exc:
        raise setting_problem("experiments_file", str(exc)) from None


def build_serving_experiments(
    settings: Settings, experiments: tuple[Experiment, ...], posteriors: PosteriorStore | None
) -> ServingExperiments | None:
    """The running experiments as serving applies them (their overrides checked now); None
    when none runs."""
    from recommender.experiments.config import ExperimentConfigError
    from recommender.serving.experiments import ServingExperiments

    if not any(e.status == "running" for e in experiments):
        return None
    try:
        return ServingExperiments(
            experiments, bandit=bandit_config(settings), posteriors=posteriors
        )
    except ExperimentConfigError as exc:
        raise setting_problem("experiments_file", str(exc)) from None


def erasure_forgetters(
    backends: Backends, resolver: ListenerResolver
) -> list[tuple[str, Forgetter]]:
    """Every store holding listener data, in the order an erasure empties them: profiles
    first (their tombstone stops late events), the identity mappings last (a failed
    erasure can be retried through them)."""
    from listening.erasure import CachedLists, DeferredErasure

    archive: list[tuple[str, Forgetter]] = []
    if backends.listen_archive is not None:  # live plays kept for training
        archive = [("listen archive", DeferredErasure(backends.listen_archive))]
    return [
        ("profiles", backends.profiles),
        ("lists", CachedLists(backends.store, backends.cache)),
        ("queues", backends.queues),
        ("routines", backends.routines),
        *archive,
        ("identity", resolver),
    ]


@dataclass
class Backends:
    """Every adapter the online path needs, built from one Settings."""

    catalog: TrackCatalog
    store: RecommendationStore
    profiles: ProfileStore
    cache: Cache
    events: EventStream
    queues: QueueStore
    routines: RoutineStore
    identity: IdentityStore
    listen_archive: ListenArchive | None = None  # live plays for training (the consumer's)
    posteriors: PosteriorStore | None = None  # the bandit's, when it is on
    bandit_fold: Fold | None = None  # how the consumer folds evidence into posteriors
    experiments: ServingExperiments | None = None  # the running A/B experiments

    def ensure_schema(self) -> None:
        ports = (self.catalog, self.store, self.profiles, self.events, self.queues, self.routines)
        for port in (*ports, self.identity):
            port.ensure_schema()
        if self.posteriors is not None:
            self.posteriors.ensure_schema()

    def close(self) -> None:
        ports = (self.catalog, self.store, self.profiles, self.cache, self.events, self.queues)
        for port in (*ports, self.routines, self.identity):
            port.close()
        if self.listen_archive is not None:
            self.listen_archive.close()
        if self.posteriors is not None:
            self.posteriors.close()


def bandit_config(settings: Settings) -> BanditConfig:
    from recommender.serving.bandit import BanditConfig

    return BanditConfig(
        top_k=settings.bandit_top_k,
        exploration=settings.bandit_exploration,
        blend=settings.bandit_blend,
        half_life_days=settings.bandit_half_life_days,
        genre_half_life_days=settings.bandit_genre_half_life_days,
        pool=settings.bandit_pool,
        prior_strength=settings.bandit_prior_strength,
    )


def build_reranker(
    settings: Settings, posteriors: PosteriorStore | None, *, rng: random.Random | None = None
) -> Reranker:
    """The router's re-ranker: Thompson over the posteriors while the bandit is on, or the
    list as ranked. ``rng`` draws its exploration (a simulation seeds it; unseeded in
    service)."""
    from recommender.serving.bandit import StaticRanking, ThompsonReranker

    if posteriors is None or not settings.bandit_enabled:
        return StaticRanking()
    return ThompsonReranker(posteriors, bandit_config(settings), rng=rng)


def build_backends(settings: Settings) -> Backends:
    """Every adapter, and the declared experiments parsed once (refused here, at start, when
    a started one changed or a variant's overrides are wrong)."""
    experiments = declared_experiments(settings)
    posteriors = build_posteriors(settings, experiments)
    return Backends(
        catalog=build_catalog(settings),
        store=build_store(settings),
        profiles=build_profiles(settings),
        cache=build_cache(settings),
        events=build_events(settings),
        queues=build_queues(settings),
        listen_archive=build_listen_archive(settings),
        routines=build_routines(settings),
        identity=build_identity(settings),
        posteriors=posteriors,
        bandit_fold=decaying_fold(
            settings.bandit_half_life_days, settings.bandit_genre_half_life_days
        ),
        experiments=build_serving_experiments(settings, experiments, posteriors),
    )


@dataclass
class Online:
    """The online path, assembled: what ``serve``, ``alexa``, ``say`` and Lambda run."""

    backends: Backends
    router: Router
    listening: Listening  # the use cases the skill and the app call
    parser: RuleParser
    skill: CustomSkill
    app: FastAPI
    skill_ids: frozenset[str] = frozenset()  # PHILOMATH_ALEXA_SKILL_ID, for the Lambda entry
    security: ApiSecurity | None = None  # the API's authenticator, rate limiter, media key
    telemetry: Telemetry = field(default_factory=Telemetry)  # metrics and traces
    erasure: Erasure | None = None  # forgets a listener (SkillDisabled, DELETE /v1/users/me)

    def close(self) -> None:
        self.backends.close()
        if self.security is not None:
            self.security.close()


def build_online(
    settings: Settings,
    telemetry: Telemetry | None = None,
    *,
    clock: Callable[[], float] = time.time,
    exploration_rng: random.Random | None = None,
) -> Online:
    """Build adapters, make sure their tables exist (``PHILOMATH_ENSURE_SCHEMA``), and assemble
    router, use cases, skill. ``telemetry`` defaults to what the settings say; the request
    path's ports are wrapped to time each call as its stage. ``clock`` is the router's now
    (sessions, the re-ranker's decay): a simulation passes its simulated time, and a seeded
    ``exploration_rng`` for the re-ranker's exploration swap, so its runs repeat."""
    from listening import Listening
    from listening.device_queue import DevicePlayback
    from listening.erasure import Erasure
    from listening.events import EventRecorder
    from listening.identity import ListenerResolver
    from listening.player import MusicPlayer
    from philomath.observability import build_telemetry, exposition_of, skill_metrics
    from philomath.security import build_security, token_verifier
    from playback.cached_catalog import CachedTrackCatalog
    from playback.stream_urls import StreamUrls
    from playback.url_signing import UrlSigner
    from recommender.serving.router import Router, RouterConfig, parse_fallback_chain
    from skill.alexa import build_skill
    from skill.alexa.verification import parse_skill_ids
    from skill.api.offload import in_threads, inline
    from skill.http_app import create_app
    from telemetry.instrumented import timed

    backends = build_backends(settings)
    # Before any I/O: a secret that cannot be read, or a refused one, fails the start first.
    security = build_security(settings, lambda: aws_client("secretsmanager", settings))
    if settings.ensure_schema:  # off in AWS: a cold start must not create tables
        backends.ensure_schema()
    telemetry = telemetry or build_telemetry(settings)
    # Kept per process: a turn reads the same tracks' metadata two or three times.
    catalog = timed(CachedTrackCatalog(backends.catalog), "catalog", telemetry)
    router = Router(
        timed(backends.store, "store", telemetry),
        timed(backends.profiles, "profiles", telemetry),
        timed(backends.cache, "cache", telemetry),
        cache_ttl_s=settings.cache_ttl_s,
        catalog=catalog,  # candidates' facets; the artist path's tracks
        config=RouterConfig(fallback_chain=parse_fallback_chain(settings.fallback_chain)),
        telemetry=telemetry,
        live=build_live_lists(settings, telemetry),
        reranker=build_reranker(settings, backends.posteriors, rng=exploration_rng),
        experiments=backends.experiments,
        clock=clock,
    )
    parser = timed(_parser(settings, backends.catalog.genres()), "parse", telemetry)
    signer = UrlSigner(security.media_key, ttl_s=settings.stream_url_ttl_s)
    stream_urls = StreamUrls(settings.stream_base_url, signer)
    spool = build_spool(settings)
    player = MusicPlayer(catalog, router, stream_urls, backends.routines)
    queues = timed(backends.queues, "queue", telemetry)
    listening = Listening(
        player,
        DevicePlayback(player, queues),
        EventRecorder(backends.events, spool),
        routines=backends.routines,
    )
    # A linked account's token is checked as the API checks bearer tokens: one listener id.
    resolver = ListenerResolver(backends.identity, token_verifier(security.authenticator))
    erasure = Erasure(erasure_forgetters(backends, resolver))
    skill = build_skill(
        listening, parser, metrics=skill_metrics(telemetry), resolver=resolver, erasure=erasure
    )
    skill_ids = parse_skill_ids(settings.alexa_skill_id)
    app = create_app(
        listening,
        parser,
        skill,
        authenticator=security.authenticator,
        rate_limiter=security.rate_limiter,
        media_signer=signer,
        health_checks=_health_checks(backends),
        verifier=_verifier(settings, skill_ids),
        telemetry=telemetry,
        metrics_exposition=exposition_of(telemetry),
        erasure=erasure,
        offload=inline if settings.request_io_inline else in_threads,
    )
    return Online(
        backends, router, listening, parser, skill, app, skill_ids, security, telemetry, erasure
    )


def build_live_lists(settings: Settings, telemetry: Telemetry) -> LiveLister | None:
    """Lists computed at request time from the promoted model, for listeners batch has not
    listed yet; None when ``PHILOMATH_LIVE_MIN_TRACKS`` is 0 or the model libraries (the
    training extra) are not installed, as in the Lambda package: the charts answer them."""
    if settings.live_min_tracks == 0:
        return None
    try:
        from recommender.batch.live_lists import LiveLists, promoted_live_model
        from recommender.batch.promoted_model import promoted_ref
    except ImportError:
        logger.info("live lists off: the model libraries are not installed")
        return None
    models, unified = settings.models_dir, settings.work_dir / "unified"
    return LiveLists(
        lambda: promoted_live_model(models, unified),
        lambda: promoted_ref(models),
        min_tracks=settings.live_min_tracks,
        per_user=settings.recommendations_per_user,
        metrics=telemetry.metrics,
    )


def _verifier(settings: Settings, skill_ids: frozenset[str]) -> AlexaRequestVerifier | None:
    from skill.alexa.verification import AlexaRequestVerifier

    if not settings.verify_alexa_signatures:
        logger.warning(
            "Alexa request verification is OFF (PHILOMATH_VERIFY_ALEXA_SIGNATURES=false): "
            "for local development only"
        )
        return None
    # Without PHILOMATH_ALEXA_SKILL_ID it refuses every request, saying why in the log.
    return AlexaRequestVerifier(skill_ids)


def _parser(settings: Settings, genres: list[str]) -> RuleParser:
    """The catalog-aware parser (spaCy gazetteer, MiniLM when unsure, and the trained intent
    and slot model once ``philomath nlu train`` promoted one) where the nlp extra is
    installed; the rule parser otherwise, e.g. in a serving-only Lambda image."""
    try:
        from nlu.loading import load_parser
    except ImportError:
        from nlu.rules import RuleParser

        logger.warning("nlp extra not installed: using the rule parser only")
        return RuleParser(genres)
    from philomath.nlu_model import promoted_nlu_model

    return load_parser(
        settings.gazetteer_dir, genres=genres, trained_model=promoted_nlu_model(settings)
    )


def _health_checks(backends: Backends) -> dict[str, Callable[[], None]]:
    def catalog() -> None:
        if backends.catalog.count() == 0:
            raise RuntimeError("the catalog is empty: run `philomath pipeline run`")

    def store() -> None:
        backends.store.get_list(POPULAR_USER, "all")

    def cache() -> None:
        backends.cache.get("health")

    return {"catalog": catalog, "store": store, "cache": cache}
