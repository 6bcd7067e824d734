"""The only place that turns settings into adapters. Everything else receives its ports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from philomath.settings import Settings
from playback.catalog import TrackCatalog
from playback.events import EventStream
from recommender.cache import Cache
from recommender.profiles import ProfileStore
from recommender.store import POPULAR_USER, RecommendationStore

if TYPE_CHECKING:  # the online path's heavy imports load only when it is built
    from ask_sdk_core.skill import CustomSkill
    from fastapi import FastAPI

    from nlu.rules import RuleParser
    from recommender.router import Router
    from skill.player import MusicPlayer


class ConfigurationError(ValueError):
    """A backend URL has an unknown scheme or is malformed."""


def _scheme(url: str) -> str:
    scheme = urlsplit(url).scheme
    if not scheme:
        raise ConfigurationError(f"backend URL {url!r} has no scheme")
    return scheme


def _sqlite_path(url: str) -> Path:
    """``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``."""
    path = url.removeprefix("sqlite:///")
    if not path or path == url:
        raise ConfigurationError(f"expected sqlite:///path, got {url!r}")
    resolved = Path(path)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return resolved


def _aws_client(service: str, settings: Settings) -> Any:
    import boto3

    return boto3.client(
        service, region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url
    )


def _aws_name(url: str) -> str:
    name = urlsplit(url).netloc
    if not name:
        raise ConfigurationError(f"expected {_scheme(url)}://name, got {url!r}")
    return name


def build_catalog(settings: Settings) -> TrackCatalog:
    url = settings.catalog_url
    scheme = _scheme(url)
    if scheme == "sqlite":
        from playback.sqlite_catalog import SqliteTrackCatalog

        return SqliteTrackCatalog(_sqlite_path(url))
    if scheme in ("postgresql", "postgres"):
        from playback.postgres_catalog import PostgresTrackCatalog

        parts = urlsplit(url)
        schema = parse_qs(parts.query).get("schema", ["public"])[0]
        return PostgresTrackCatalog(parts._replace(query="").geturl(), schema=schema)
    raise ConfigurationError(f"unknown catalog scheme {scheme!r} in {url!r}")


def build_store(settings: Settings) -> RecommendationStore:
    url = settings.store_url
    scheme = _scheme(url)
    if scheme == "sqlite":
        from recommender.sqlite_store import SqliteRecommendationStore

        return SqliteRecommendationStore(_sqlite_path(url))
    if scheme == "dynamodb":
        from recommender.dynamodb_store import DynamoDBRecommendationStore

        return DynamoDBRecommendationStore(_aws_client("dynamodb", settings), _aws_name(url))
    raise ConfigurationError(f"unknown recommendation store scheme {scheme!r} in {url!r}")


def build_profiles(settings: Settings) -> ProfileStore:
    url = settings.profiles_url
    scheme = _scheme(url)
    if scheme == "sqlite":
        from recommender.sqlite_profiles import SqliteProfileStore

        return SqliteProfileStore(_sqlite_path(url))
    if scheme == "dynamodb":
        from recommender.dynamodb_profiles import DynamoDBProfileStore

        return DynamoDBProfileStore(_aws_client("dynamodb", settings), _aws_name(url))
    raise ConfigurationError(f"unknown profile store scheme {scheme!r} in {url!r}")


def build_cache(settings: Settings) -> Cache:
    url = settings.cache_url
    scheme = _scheme(url)
    if scheme == "memory":
        from recommender.memory_cache import InProcessCache

        max_items = int(parse_qs(urlsplit(url).query).get("max_items", ["10000"])[0])
        return InProcessCache(max_items=max_items)
    if scheme in ("redis", "rediss"):
        import redis

        from recommender.redis_cache import RedisCache

        client = redis.Redis.from_url(url, socket_timeout=0.05, socket_connect_timeout=0.05)
        return RedisCache(client)
    raise ConfigurationError(f"unknown cache scheme {scheme!r} in {url!r}")


def build_events(settings: Settings) -> EventStream:
    url = settings.events_url
    scheme = _scheme(url)
    if scheme == "sqlite":
        from playback.sqlite_stream import SqliteEventStream

        return SqliteEventStream(_sqlite_path(url))
    if scheme == "kinesis":
        from playback.kinesis_stream import KinesisEventStream

        return KinesisEventStream(_aws_client("kinesis", settings), _aws_name(url))
    raise ConfigurationError(f"unknown event stream scheme {scheme!r} in {url!r}")


@dataclass
class Backends:
    """Every adapter the online path needs, built from one Settings."""

    catalog: TrackCatalog
    store: RecommendationStore
    profiles: ProfileStore
    cache: Cache
    events: EventStream

    def ensure_schema(self) -> None:
        for port in (self.catalog, self.store, self.profiles, self.events):
            port.ensure_schema()

    def close(self) -> None:
        for port in (self.catalog, self.store, self.profiles, self.cache, self.events):
            port.close()


def build_backends(settings: Settings) -> Backends:
    return Backends(
        catalog=build_catalog(settings),
        store=build_store(settings),
        profiles=build_profiles(settings),
        cache=build_cache(settings),
        events=build_events(settings),
    )


@dataclass
class Online:
    """The online path, assembled: what ``serve``, ``alexa``, ``say`` and Lambda run."""

    backends: Backends
    router: Router
    player: MusicPlayer
    parser: RuleParser
    skill: CustomSkill
    app: FastAPI

    def close(self) -> None:
        self.backends.close()


def build_online(settings: Settings) -> Online:
    """Build adapters, make sure their tables exist, and assemble router, player and skill."""
    from nlu.rules import RuleParser
    from playback.stream_urls import StreamUrls
    from recommender.router import Router
    from skill.alexa import build_skill
    from skill.http_app import create_app
    from skill.player import MusicPlayer

    backends = build_backends(settings)
    backends.ensure_schema()
    router = Router(
        backends.store, backends.profiles, backends.cache, cache_ttl_s=settings.cache_ttl_s
    )
    parser = RuleParser(backends.catalog.genres())
    stream_urls = StreamUrls(settings.stream_base_url)
    player = MusicPlayer(backends.catalog, router, stream_urls, backends.events)
    skill = build_skill(player, parser)
    app = create_app(player, parser, skill, health_checks=_health_checks(backends))
    return Online(backends, router, player, parser, skill, app)


def _health_checks(backends: Backends) -> dict[str, Callable[[], None]]:
    def catalog() -> None:
        if backends.catalog.count() == 0:
            raise RuntimeError("the catalog is empty: run `philomath pipeline run`")

    def store() -> None:
        backends.store.get_list(POPULAR_USER, "all")

    def cache() -> None:
        backends.cache.get("health")

    return {"catalog": catalog, "store": store, "cache": cache}
