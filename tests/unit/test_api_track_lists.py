"""``TrackOut.listed`` (and ``of``) build what validating the models builds."""

from __future__ import annotations

import pytest

from playback.catalog import Track
from playback.events import Served
from skill.api.schemas import ServedIO, TrackOut

TRACKS = [
    Track("t1", "One", "a1", "Artist", "al", "Album", "rock", ("happy", "sad"), 1000, True, 1999),
    Track("t2", "Two", "a2", "Other", None, None, None, (), 0, False, None),
    Track("t3", "Three", "a2", "Other", genre="jazz"),
]
URLS = ["https://m/1?sig=x", "https://m/2?sig=y", "https://m/3?sig=z"]


@pytest.mark.parametrize(
    "served",
    [
        None,
        Served(impression_id="imp", position=0, path="personalized"),
        Served(
            impression_id="imp",
            position=0,
            path="popular",
            model_version="ease.v1",
            context={"mood": "happy", "exp.rank": "b"},
            propensities=(0.5, 0.25),
        ),
    ],
)
@pytest.mark.parametrize("first", [0, 1, 5])
def test_listed_tracks_are_the_validated_ones(served: Served | None, first: int) -> None:
    listed = TrackOut.listed(list(zip(TRACKS, URLS, strict=True)), served, first)
    validated = [
        validated_track(track, url, served.at(first + i) if served else None)
        for i, (track, url) in enumerate(zip(TRACKS, URLS, strict=True))
    ]
    assert listed == validated
    assert [t.model_dump_json() for t in listed] == [t.model_dump_json() for t in validated]
    one = TrackOut.of(TRACKS[0], URLS[0], served.at(first) if served else None)
    assert one == validated[0]


def validated_track(track: Track, url: str, served: Served | None) -> TrackOut:
    """A TrackOut as pydantic validates it, field by field."""
    return TrackOut(
        track_id=track.track_id,
        title=track.title,
        artist=track.artist_name,
        album=track.album_title,
        genre=track.genre,
        moods=list(track.moods),
        duration_ms=track.duration_ms,
        explicit=track.explicit,
        release_year=track.release_year,
        stream_url=url,
        served=ServedIO(**served.model_dump(), propensity=served.propensity) if served else None,
    )
