"""``CachedTrackCatalog`` over a real SQLite catalog: answers as the catalog does, asks it
once per track within the TTL (misses included), forgets after it, sees its own writes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from playback.cached_catalog import CachedTrackCatalog
from playback.catalog import Track
from playback.errors import CatalogUnavailable
from playback.sqlite_catalog import SqliteTrackCatalog
from tests.fakes import FakeClock


def track(track_id: str, title: str = "Title") -> Track:
    return Track(track_id=track_id, title=title, artist_id="a1", artist_name="A")


class CountingCatalog(SqliteTrackCatalog):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.asked: list[list[str]] = []
        self.down = False

    def get_tracks(self, track_ids: Sequence[str]) -> dict[str, Track]:
        if self.down:
            raise CatalogUnavailable("down (test)")
        self.asked.append(list(track_ids))
        return super().get_tracks(track_ids)


@pytest.fixture
def inner(tmp_path: Path) -> CountingCatalog:
    catalog = CountingCatalog(tmp_path / "catalog.db")
    catalog.ensure_schema()
    catalog.upsert_tracks([track("t1"), track("t2")])
    return catalog


def test_answers_as_the_catalog_and_asks_once_per_track(inner: CountingCatalog) -> None:
    cached = CachedTrackCatalog(inner, clock=FakeClock())
    first = cached.get_tracks(["t1", "gone", "t1"])
    assert first == inner.get_tracks(["t1", "gone"]) == {"t1": track("t1")}
    inner.asked.clear()
    assert cached.get_tracks(["gone", "t1"]) == {"t1": track("t1")}  # the miss is kept too
    assert cached.get_tracks(["t1", "t2"]) == {"t1": track("t1"), "t2": track("t2")}
    assert inner.asked == [["t2"]]


def test_forgets_after_the_ttl(inner: CountingCatalog) -> None:
    clock = FakeClock()
    cached = CachedTrackCatalog(inner, ttl_s=60, clock=clock)
    cached.get_tracks(["t1"])
    inner.upsert_tracks([track("t1", title="Renamed")])  # by another process: not seen yet
    assert cached.get_tracks(["t1"])["t1"].title == "Title"
    clock.advance(61)
    assert cached.get_tracks(["t1"])["t1"].title == "Renamed"


def test_sees_its_own_writes_at_once(inner: CountingCatalog) -> None:
    cached = CachedTrackCatalog(inner, clock=FakeClock())
    assert cached.get_tracks(["t3"]) == {}
    cached.upsert_tracks([track("t3")])
    assert cached.get_tracks(["t3"]) == {"t3": track("t3")}


def test_keeps_at_most_max_tracks(inner: CountingCatalog) -> None:
    cached = CachedTrackCatalog(inner, max_tracks=1, clock=FakeClock())
    cached.get_tracks(["t1"])
    cached.get_tracks(["t2"])  # t1 goes
    inner.asked.clear()
    cached.get_tracks(["t1"])
    assert inner.asked == [["t1"]]


def test_a_catalog_failure_reaches_the_caller_for_tracks_not_kept(
    inner: CountingCatalog,
) -> None:
    cached = CachedTrackCatalog(inner, clock=FakeClock())
    cached.get_tracks(["t1"])
    inner.down = True
    assert cached.get_tracks(["t1"]) == {"t1": track("t1")}
    with pytest.raises(CatalogUnavailable):
        cached.get_tracks(["t2"])


def test_keeps_an_artists_tracks_until_the_ttl_or_its_own_write(inner: CountingCatalog) -> None:
    clock = FakeClock()
    cached = CachedTrackCatalog(inner, ttl_s=60, clock=clock)
    first = cached.tracks_by_artist("a1", 10)
    assert first == inner.tracks_by_artist("a1", 10)
    assert {t.track_id for t in first} == {"t1", "t2"}
    inner.upsert_tracks([track("t3")])  # by another process: not seen yet
    assert cached.tracks_by_artist("a1", 10) == first
    assert len(cached.tracks_by_artist("a1", 1)) == 1  # another limit, another answer
    clock.advance(61)
    assert {t.track_id for t in cached.tracks_by_artist("a1", 10)} == {"t1", "t2", "t3"}
    cached.upsert_tracks([track("t4")])  # its own write: seen at once
    assert {t.track_id for t in cached.tracks_by_artist("a1", 10)} == {"t1", "t2", "t3", "t4"}
