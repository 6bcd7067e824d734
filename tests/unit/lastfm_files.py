"""Writes a small HetRec 2011 directory in the real files' formats, for loader and protocol
tests (the real data is never read by tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Artist 30 has plays but no artists.dat line; artist 99 is tagged but exists nowhere.
ARTISTS = [(10, "Björk"), (20, "Sigur Rós"), (25, "Nobody Plays Me"), (40, "Múm")]
TAGS = [(1, "electronic"), (2, "post-rock"), (3, "café")]
PLAYS = [(2, 10, 500), (2, 20, 40), (5, 20, 7), (5, 30, 3), (5, 40, 90), (7, 10, 1)]
TAGGED = [(2, 10, 1), (5, 10, 1), (5, 20, 2), (2, 20, 3), (5, 99, 1)]


def write_lastfm(directory: Path, plays: list[tuple[int, int, int]] = PLAYS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    artists = "".join(
        f"{a}\t{name}\thttp://last.fm/{a}\thttp://img/{a}.jpg\n" for a, name in ARTISTS
    )
    (directory / "artists.dat").write_text("id\tname\turl\tpictureURL\n" + artists, "utf-8")
    tags = "".join(f"{t}\t{value}\n" for t, value in TAGS)
    (directory / "tags.dat").write_text("tagID\ttagValue\n" + tags, "latin-1")
    rows = "".join(f"{u}\t{a}\t{w}\n" for u, a, w in plays)
    (directory / "user_artists.dat").write_text("userID\tartistID\tweight\n" + rows)
    tagged = "".join(f"{u}\t{a}\t{t}\t1\t4\t2009\n" for u, a, t in TAGGED)
    header = "userID\tartistID\ttagID\tday\tmonth\tyear\n"
    (directory / "user_taggedartists.dat").write_text(header + tagged)
    return directory


def synthetic_plays(users: int = 40, seed: int = 0) -> list[tuple[int, int, int]]:
    """Two taste groups over the fixture's artists plus many generated ones, 6-12 per user."""
    rng = np.random.default_rng(seed)
    plays = []
    for user in range(1, users + 1):
        group = np.arange(100, 130) if user % 2 else np.arange(200, 230)
        for artist in rng.choice(group, int(rng.integers(6, 13)), replace=False):
            plays.append((user, int(artist), int(rng.integers(1, 1000))))
    return plays
