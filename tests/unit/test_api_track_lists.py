"""``TrackOut.listed`` builds what ``TrackOut.of`` does, without validating again."""

from __future__ import annotations

import pytest

from playback.catalog import Track
from playback.events import Served
from skill.api.schemas import TrackOut

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
def test_listed_tracks_are_those_of_one_at_a_time(served: Served | None, first: int) -> None:
    listed = TrackOut.listed(list(zip(TRACKS, URLS, strict=True)), served, first)
    one_by_one = [
        TrackOut.of(track, url, served.at(first + i) if served else None)
        for i, (track, url) in enumerate(zip(TRACKS, URLS, strict=True))
    ]
    assert listed == one_by_one
    assert [t.model_dump_json() for t in listed] == [t.model_dump_json() for t in one_by_one]
    for track in listed:  # and valid as the schema says
        assert TrackOut.model_validate_json(track.model_dump_json()) == track
