"""Settings -> one adapter per port, the technology picked by the URL's scheme
(``sqlite:///path``, ``dynamodb://table``, ``redis://...``). ``philomath.wiring`` chooses which
adapters a process gets and assembles them; a URL it cannot build is a one-line
``ConfigurationError``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from listening.routines import RoutineStore
from philomath.errors import ConfigurationError
from philomath.secret_refs import Secrets, setting_problem
from philomath.settings import Settings
from playback.catalog import TrackCatalog
from playback.events import EventStream
from playback.queue import QueueStore
from recommender.experiments.config import Experiment
from recommender.storage.cache import Cache
from recommender.storage.listen_archive import ListenArchive
from recommender.storage.posteriors import PosteriorStore
from recommender.storage.profiles import ProfileStore
from recommender.storage.recommendations import RecommendationStore

if TYPE_CHECKING:
    from listening.identity import IdentityStore
    from playback.spool import EventSpool


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


def build_spool(settings: Settings) -> EventSpool:
    """Events the stream could not take, on local disk: one file for every process."""
    from playback.spool import EventSpool

    return EventSpool(settings.data_dir / "spool.db")


def build_posteriors(
    settings: Settings, experiments: tuple[Experiment, ...] = ()
) -> PosteriorStore | None:
    """The bandit's posterior store; None while the bandit is off, unless a running
    experiment's variant turns it on (the consumer then feeds it too)."""
    from recommender.serving.experiments import needs_posteriors

    if not settings.bandit_enabled and not needs_posteriors(experiments):
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
