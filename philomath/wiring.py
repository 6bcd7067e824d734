"""The only place that turns settings into adapters. Everything else receives its ports."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from listening.routines import RoutineStore
from philomath.errors import ConfigurationError as ConfigurationError  # re-exported
from philomath.secret_refs import Secrets, setting_problem
from philomath.settings import Settings
from playback.catalog import TrackCatalog
from playback.events import EventStream
from playback.queue import QueueStore
from recommender.experiments.assignment import ExperimentAssigner, ExposureLog
from recommender.storage.cache import Cache
from recommender.storage.listen_archive import ListenArchive
from recommender.storage.posteriors import PosteriorStore
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
    from playback.spool import EventSpool
    from recommender.serving.bandit import BanditConfig, Reranker
    from recommender.serving.router import LiveLister, Router
    from skill.alexa.verification import AlexaRequestVerifier


logger = logging.getLogger(__name__)


def _scheme(url: str, field: str) -> str:
    scheme = urlsplit(url).scheme
    if not scheme:
        raise setting_problem(field, "the backend URL has no scheme (like sqlite:///path)")
    return scheme


def _unknown(field: str, scheme: str, known: str) -> ConfigurationError:
    return setting_problem(field, f"unknown scheme {scheme!r}; known: {known}")


def _sqlite_path(url: str, field: str) -> Path:
    """``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``."""
    path = url.removeprefix("sqlite:///")
    if not path or path == url:
        raise setting_problem(field, "expected sqlite:///path")
    resolved = Path(path)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved


def aws_client(service: str, settings: Settings) -> Any:
    import boto3

    return boto3.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
    )


def _aws_name(url: str, field: str) -> str:
    name = urlsplit(url).netloc
    if not name:
        raise setting_problem(field, f"expected {_scheme(url, field)}://name")
    return name


def build_catalog(settings: Settings, secrets: Secrets | None = None) -> TrackCatalog:
    """``secrets`` resolves ``PHILOMATH_CATALOG_PASSWORD`` when it names a secret."""
    url = settings.catalog_url
    scheme = _scheme(url, "catalog_url")
    if scheme == "sqlite":
        from playback.sqlite_catalog import SqliteTrackCatalog

        return SqliteTrackCatalog(_sqlite_path(url, "catalog_url"))
    if scheme in ("postgresql", "postgres"):
        from psycopg.conninfo import make_conninfo

        from playback.postgres_catalog import PostgresTrackCatalog

        parts = urlsplit(url)
        query = parse_qs(parts.query)
        schema = query.get("schema", ["public"])[0]
        pool_size = query.get("pool_size", ["8"])[0]
        if not pool_size.isdigit() or int(pool_size) < 1:
            raise setting_problem(
                "catalog_url", f"pool_size must be a whole number >= 1, got {pool_size!r}"
            )
        dsn = parts._replace(query="").geturl()
        if settings.catalog_password is not None:
            values = secrets or Secrets(settings, lambda: aws_client("secretsmanager", settings))
            dsn = make_conninfo(dsn, password=values.value("catalog_password"))
        return PostgresTrackCatalog(dsn, schema=schema, pool_size=int(pool_size))
    raise _unknown("catalog_url", scheme, "sqlite, postgresql, postgres")


def build_store(settings: Settings) -> RecommendationStore:
    url = settings.store_url
    scheme = _scheme(url, "store_url")
    if scheme == "sqlite":
        from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

        return SqliteRecommendationStore(_sqlite_path(url, "store_url"))
    if scheme == "dynamodb":
        from recommender.storage.dynamodb_recommendations import DynamoDBRecommendationStore

        return DynamoDBRecommendationStore(
            aws_client("dynamodb", settings), _aws_name(url, "store_url")
        )
    raise _unknown("store_url", scheme, "sqlite, dynamodb")


def build_profiles(settings: Settings) -> ProfileStore:
    url = settings.profiles_url
    scheme = _scheme(url, "profiles_url")
    if scheme == "sqlite":
        from recommender.storage.sqlite_profiles import SqliteProfileStore

        return SqliteProfileStore(_sqlite_path(url, "profiles_url"))
    if scheme == "dynamodb":
        from recommender.storage.dynamodb_profiles import DynamoDBProfileStore

        return DynamoDBProfileStore(
            aws_client("dynamodb", settings), _aws_name(url, "profiles_url")
        )
    raise _unknown("profiles_url", scheme, "sqlite, dynamodb")


def build_cache(settings: Settings) -> Cache:
    url = settings.cache_url
    scheme = _scheme(url, "cache_url")
    if scheme == "memory":
        from recommender.storage.memory_cache import InProcessCache
        from recommender.storage.shared_memory_cache import SharedMemoryCache, SqliteDeleteLog

        max_items = int(parse_qs(urlsplit(url).query).get("max_items", ["10000"])[0])
        # One copy per process; deletes (a changed profile, a rewritten list) reach every
        # process of this data folder: serving workers, the consumer, the batch.
        deletes = SqliteDeleteLog(settings.data_dir / "cache-deletes.db")
        return SharedMemoryCache(InProcessCache(max_items=max_items), deletes)
    if scheme in ("redis", "rediss"):
        import redis

        from recommender.storage.redis_cache import RedisCache

        client = redis.Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
        return RedisCache(client)
    raise _unknown("cache_url", scheme, "memory, redis, rediss")


def build_events(settings: Settings) -> EventStream:
    url = settings.events_url
    scheme = _scheme(url, "events_url")
    if scheme == "sqlite":
        from playback.sqlite_stream import SqliteEventStream

        return SqliteEventStream(_sqlite_path(url, "events_url"))
    if scheme == "kinesis":
        from playback.kinesis_stream import KinesisEventStream

        return KinesisEventStream(aws_client("kinesis", settings), _aws_name(url, "events_url"))
    if scheme in ("redis", "rediss"):
        import redis

        from playback.redis_stream import RedisEventStream

        # ``redis://host:port/db?key=philomath:events&maxlen=N``: the key and trim are ours.
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        maxlen = query.get("maxlen", [None])[0]
        client = redis.Redis.from_url(
            parts._replace(query="").geturl(), socket_timeout=1.0, socket_connect_timeout=1.0
        )
        return RedisEventStream(
            client,
            query.get("key", ["philomath:events"])[0],
            maxlen=int(maxlen) if maxlen else None,
        )
    raise _unknown("events_url", scheme, "sqlite, kinesis, redis, rediss")


def build_experiment_assigner(settings: Settings) -> ExperimentAssigner:
    """The running experiments declared in ``PHILOMATH_EXPERIMENTS_FILE`` (none: no file)."""
    from recommender.experiments.assignment import ConfiguredAssigner
    from recommender.experiments.config import load_experiments

    return ConfiguredAssigner(load_experiments(settings.experiments_path))


def build_exposure_log(settings: Settings) -> ExposureLog:
    from recommender.experiments.file_exposures import FileExposureLog

    return FileExposureLog(settings.exposures_path)


def build_listen_archive(settings: Settings) -> ListenArchive | None:
    """Where the feedback consumer archives live plays for training: a directory
    (``file:path``, by default under the raw feeds), ``s3://bucket/prefix``, or ``none``."""
    url = settings.listen_archive_url
    if url == "none":
        return None
    scheme = _scheme(url, "listen_archive_url")
    if scheme == "file":
        from recommender.storage.local_listen_archive import LocalListenArchive

        path = url.removeprefix("file://") if url.startswith("file://") else url[len("file:") :]
        if not path:
            raise setting_problem("listen_archive_url", "expected file:path")
        return LocalListenArchive(Path(path))
    if scheme == "s3":
        from recommender.storage.s3_listen_archive import S3ListenArchive

        parts = urlsplit(url)
        return S3ListenArchive(
            aws_client("s3", settings), _aws_name(url, "listen_archive_url"), parts.path
        )
    raise _unknown("listen_archive_url", scheme, "file, s3, none")


def build_routines(settings: Settings) -> RoutineStore:
    """Declared routines: ``sqlite:///path`` (default) or ``dynamodb://table``."""
    url = settings.routines_url
    scheme = _scheme(url, "routines_url")
    if scheme == "sqlite":
        from listening.sqlite_routines import SqliteRoutineStore

        return SqliteRoutineStore(_sqlite_path(url, "routines_url"))
    if scheme == "dynamodb":
        from listening.dynamodb_routines import DynamoDBRoutineStore

        return DynamoDBRoutineStore(
            aws_client("dynamodb", settings), _aws_name(url, "routines_url")
        )
    raise _unknown("routines_url", scheme, "sqlite, dynamodb")


def build_queues(settings: Settings) -> QueueStore:
    """Per-device play queues: ``sqlite:///path`` (default), ``redis://``, ``dynamodb://``,
    ``memory://`` (one process only)."""
    url, ttl_s = settings.queue_url, settings.queue_ttl_s
    scheme = _scheme(url, "queue_url")
    if scheme == "sqlite":
        from playback.sqlite_queue import SqliteQueueStore

        return SqliteQueueStore(_sqlite_path(url, "queue_url"), ttl_s=ttl_s)
    if scheme in ("redis", "rediss"):
        import redis

        from playback.redis_queue import RedisQueueStore

        client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        return RedisQueueStore(client, ttl_s=ttl_s)
    if scheme == "dynamodb":
        from playback.dynamodb_queue import DynamoDBQueueStore

        return DynamoDBQueueStore(
            aws_client("dynamodb", settings), _aws_name(url, "queue_url"), ttl_s=ttl_s
        )
    if scheme == "memory":
        from playback.memory_queue import MemoryQueueStore

        return MemoryQueueStore(ttl_s=ttl_s)
    raise _unknown("queue_url", scheme, "sqlite, redis, rediss, dynamodb, memory")


def build_identity(settings: Settings) -> IdentityStore:
    """Alexa caller -> listener mappings: ``sqlite:///path`` (default), ``dynamodb://table``,
    ``memory://`` (one process only)."""
    url = settings.identity_url
    scheme = _scheme(url, "identity_url")
    if scheme == "sqlite":
        from listening.sqlite_identity import SqliteIdentityStore

        return SqliteIdentityStore(_sqlite_path(url, "identity_url"))
    if scheme == "dynamodb":
        from listening.dynamodb_identity import DynamoDBIdentityStore

        return DynamoDBIdentityStore(
            aws_client("dynamodb", settings), _aws_name(url, "identity_url")
        )
    if scheme == "memory":
        from listening.memory_identity import MemoryIdentityStore

        return MemoryIdentityStore()
    raise _unknown("identity_url", scheme, "sqlite, dynamodb, memory")


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


def build_spool(settings: Settings) -> EventSpool:
    """Events the stream could not take, on local disk: one file for every process."""
    from playback.spool import EventSpool

    return EventSpool(settings.data_dir / "spool.db")


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
    bandit_half_life_days: float = 14.0

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


def build_posteriors(settings: Settings) -> PosteriorStore | None:
    """The bandit's posterior store; None while the bandit is off."""
    if not settings.bandit_enabled:
        return None
    url = settings.bandit_url
    scheme = _scheme(url, "bandit_url")
    if scheme == "sqlite":
        from recommender.storage.sqlite_posteriors import SqlitePosteriorStore

        return SqlitePosteriorStore(_sqlite_path(url, "bandit_url"))
    if scheme in ("redis", "rediss"):
        import redis

        from recommender.storage.redis_posteriors import RedisPosteriorStore

        client = redis.Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
        return RedisPosteriorStore(client)
    if scheme == "dynamodb":
        from recommender.storage.dynamodb_posteriors import DynamoDBPosteriorStore

        return DynamoDBPosteriorStore(
            aws_client("dynamodb", settings), _aws_name(url, "bandit_url")
        )
    raise _unknown("bandit_url", scheme, "sqlite, redis, rediss, dynamodb")


def build_reranker(settings: Settings, posteriors: PosteriorStore | None) -> Reranker:
    """The router's re-ranker: Thompson over the posteriors, or the list as ranked."""
    from recommender.serving.bandit import StaticRanking, ThompsonReranker

    if posteriors is None:
        return StaticRanking()
    return ThompsonReranker(posteriors, bandit_config(settings))


def bandit_config(settings: Settings) -> BanditConfig:
    """The Thompson re-ranker's settings (``PHILOMATH_BANDIT_*``)."""
    from recommender.serving.bandit import BanditConfig

    return BanditConfig(
        top_k=settings.bandit_top_k,
        exploration=settings.bandit_exploration,
        blend=settings.bandit_blend,
        half_life_days=settings.bandit_half_life_days,
    )


def build_backends(settings: Settings) -> Backends:
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
        posteriors=build_posteriors(settings),
        bandit_half_life_days=settings.bandit_half_life_days,
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


def build_online(settings: Settings, telemetry: Telemetry | None = None) -> Online:
    """Build adapters, make sure their tables exist (``PHILOMATH_ENSURE_SCHEMA``), and assemble
    router, use cases, skill. ``telemetry`` defaults to what the settings say; the request
    path's ports are wrapped to time each call as its stage."""
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
        reranker=build_reranker(settings, backends.posteriors),
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
