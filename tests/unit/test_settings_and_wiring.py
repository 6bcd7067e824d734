"""Settings pick backends by URL; wiring rejects what it cannot build with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from philomath.settings import Settings
from philomath.wiring import ConfigurationError, build_cache, build_catalog, build_events


def test_defaults_live_under_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.catalog_url == f"sqlite:///{tmp_path / 'catalog.db'}"
    assert settings.events_url.endswith("events.db")
    assert settings.cache_url == "memory://"


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
        ("catalog_url", "no-scheme-here", build_catalog),
    ],
)
def test_unknown_scheme_names_the_url(field: str, url: str, build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path, **{field: url})
    with pytest.raises(ConfigurationError, match="scheme"):
        build(settings)
