"""Settings pick backends by URL; wiring rejects what it cannot build with a clear error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from philomath.adapters import build_cache, build_catalog, build_events, build_identity
from philomath.settings import Settings, settings_problems
from philomath.wiring import ConfigurationError


def test_defaults_live_under_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.catalog_url == f"sqlite:///{tmp_path / 'catalog.db'}"
    assert settings.events_url.endswith("events.db")
    assert settings.cache_url == "memory://"
    assert settings.identity_url == f"sqlite:///{tmp_path / 'identity.db'}"


def test_environment_overrides_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHILOMATH_CACHE_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("PHILOMATH_PORT", "9001")
    settings = Settings()
    assert settings.cache_url == "redis://127.0.0.1:6379/3"
    assert settings.port == 9001


def test_invalid_port_is_rejected() -> None:
    with pytest.raises(ValueError):
        Settings(port=70000)


@pytest.mark.parametrize(
    ("field", "url", "build"),
    [
        ("catalog_url", "mysql://x/y", build_catalog),
        ("cache_url", "memcached://x", build_cache),
        ("events_url", "kafka://topic", build_events),
        ("identity_url", "redis://x", build_identity),
        ("catalog_url", "no-scheme-here", build_catalog),
    ],
)
def test_unknown_scheme_names_the_variable_not_the_url(
    field: str, url: str, build: Callable[[Settings], object], tmp_path: Path
) -> None:
    settings = Settings.model_validate({"data_dir": tmp_path, field: url})
    with pytest.raises(ConfigurationError, match=f"^PHILOMATH_{field.upper()}: .*scheme") as err:
        build(settings)
    assert url not in str(err.value)  # URLs may hold passwords


def test_every_refused_setting_is_one_line_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PHILOMATH_MEDIA_SIGNING_KEY", "s3cret")
    monkeypatch.setenv("PHILOMATH_API_TOKENS", '["demo-token"]')
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "loud")
    monkeypatch.setenv("PHILOMATH_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError) as refused:
        Settings()
    problems = settings_problems(refused.value)
    assert problems == [
        "PHILOMATH_MEDIA_SIGNING_KEY: must be at least 16 bytes",
        'PHILOMATH_API_TOKENS: must be a JSON object {"token": "listener id"}, none of them empty',
        "PHILOMATH_LOG_LEVEL: must be DEBUG, INFO, WARNING, ERROR or CRITICAL",
        "PHILOMATH_LOG_FORMAT: Input should be 'auto', 'json' or 'text'",
    ]
    assert not any("s3cret" in line for line in problems)


def test_good_values_pass_and_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHILOMATH_MEDIA_SIGNING_KEY", "k" * 16)
    monkeypatch.setenv("PHILOMATH_API_TOKENS", '{"demo-token": "usr-0000001"}')
    monkeypatch.setenv("PHILOMATH_FALLBACK_CHAIN", "cold_start, memory")
    monkeypatch.setenv("PHILOMATH_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.api_token_map == {"demo-token": "usr-0000001"}
    assert settings.log_level == "DEBUG" and settings.log_format == "auto"


def test_a_redis_events_url_wires_redis_streams(tmp_path: Path, redis_url: str) -> None:
    """``redis://host/db?key=...&maxlen=N`` is the Redis Streams adapter on that key."""
    from playback.events import PlaybackEvent
    from playback.redis_stream import RedisEventStream

    url = f"{redis_url}?key=philomath:wired&maxlen=1000"
    stream = build_events(Settings.model_validate({"data_dir": tmp_path, "events_url": url}))
    assert isinstance(stream, RedisEventStream)
    event = PlaybackEvent(kind="finished", user_id="u1", track_id="t1", source="app")
    stream.publish([event])
    assert [record.event for record in stream.read(None)] == [event]
    stream.close()


def test_the_identity_url_picks_the_identity_store(tmp_path: Path) -> None:
    from listening.memory_identity import MemoryIdentityStore
    from listening.sqlite_identity import SqliteIdentityStore

    sqlite = build_identity(Settings(data_dir=tmp_path))
    assert isinstance(sqlite, SqliteIdentityStore)
    sqlite.close()
    assert isinstance(build_identity(Settings(identity_url="memory://")), MemoryIdentityStore)


def test_the_listen_archive_is_chosen_by_url(tmp_path: Path, aws_env: None) -> None:
    from philomath.adapters import build_listen_archive
    from recommender.storage.local_listen_archive import LocalListenArchive
    from recommender.storage.s3_listen_archive import S3ListenArchive

    default = Settings(data_dir=tmp_path)
    assert isinstance(build_listen_archive(default), LocalListenArchive)
    # ... where the ETL reads live plays
    from recommender.data.etl.raw_feeds import FeedPaths

    where = FeedPaths.under(default.raw_dir).live_listens
    assert default.listen_archive_url == f"file:{where}"
    s3 = Settings(data_dir=tmp_path, listen_archive_url="s3://feeds/feeds/live/listens")
    assert isinstance(build_listen_archive(s3), S3ListenArchive)
    assert build_listen_archive(Settings(data_dir=tmp_path, listen_archive_url="none")) is None
    unknown = Settings(data_dir=tmp_path, listen_archive_url="ftp://x/y")
    with pytest.raises(ConfigurationError, match="^PHILOMATH_LISTEN_ARCHIVE_URL: .*scheme"):
        build_listen_archive(unknown)


def test_the_request_path_runs_inline_only_when_every_backend_is_local(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).request_io_inline  # the embedded defaults
    on_this_host = Settings(
        data_dir=tmp_path,
        catalog_url="postgresql://postgres@127.0.0.1:5432/test?schema=x",
        cache_url="redis://localhost:6379/5",
        queue_url="redis://[::1]:6379/5",
    )
    assert on_this_host.request_io_inline
    networked = {
        "catalog_url": "postgresql://db.internal:5432/test",
        "cache_url": "redis://cache.example.com:6379/0",
        "queue_url": "dynamodb://queues",
        "events_url": "kinesis://plays",
        "rate_limit_url": "rediss://10.0.0.7:6379/0",
    }
    for name, url in networked.items():
        settings = Settings.model_validate({"data_dir": tmp_path, name: url})
        assert not settings.request_io_inline, name
    # The bandit's store counts only when the bandit serves.
    remote = "redis://cache.example.com:6379/0"
    assert Settings(data_dir=tmp_path, bandit_url=remote).request_io_inline
    on = Settings(data_dir=tmp_path, bandit_url=remote, bandit_enabled=True)
    assert not on.request_io_inline
    # Said outright, the setting wins either way.
    assert Settings(data_dir=tmp_path, request_io="threads").request_io_inline is False
    forced = Settings(data_dir=tmp_path, cache_url=remote, request_io="inline")
    assert forced.request_io_inline
