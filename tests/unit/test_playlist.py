"""build_playlist: the first playable candidates, in order, and why the others were dropped."""

from __future__ import annotations

from playback.catalog import Track
from playback.playlist import build_playlist

TRACKS = {
    t.track_id: t
    for t in (
        Track("a", "A", "x", "X"),
        Track("b", "B", "x", "X", explicit=True),
        Track("c", "C", "x", "X"),
        Track("d", "D", "x", "X"),
    )
}


def test_invalid_candidates_are_dropped_and_counted_by_reason() -> None:
    built = build_playlist(
        ["gone", "a", "a", "b", "c", "d"], TRACKS, 2, allow_explicit=False, exclude={"c"}
    )
    assert [t.track_id for t in built.tracks] == ["a", "d"]
    assert built.dropped == {"not_in_catalog": 1, "duplicate": 1, "explicit": 1, "excluded": 1}


def test_a_full_playlist_stops_looking() -> None:
    built = build_playlist(["a", "gone"], TRACKS, 1)
    assert [t.track_id for t in built.tracks] == ["a"] and built.dropped == {}
