"""The over-fetch rule: how many recommendations to ask for per wanted track."""

from __future__ import annotations

from listening.candidates import MAX_CANDIDATES, candidates_for
from listening.player import TRACKS_PER_PLAY


def test_twice_what_is_wanted_plus_ten_spares() -> None:
    assert candidates_for(1) == 12
    assert candidates_for(10) == 30
    assert candidates_for(TRACKS_PER_PLAY) == 20  # a play: the track and four to queue


def test_never_more_than_the_router_ranks_nor_less_than_one() -> None:
    assert candidates_for(45) == MAX_CANDIDATES == candidates_for(10_000)
    assert candidates_for(0) == 10 and candidates_for(-5) == 1
