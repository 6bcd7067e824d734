"""Writes a small HetRec 2011 directory in the real files' formats, for loader and protocol
tests (the real data is never read by tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Artist 30 has plays but no artists.dat line; artist 99 is tagged but exists nowhere.
ARTISTS = [(10, "Björk"), (20, "Sigur Rós"), (25, "Nobody Plays Me"), (40, "Múm")]
# "electronic" and "post-rock" name genres (electronic, rock), "Chill-out" a mood (relaxing).
TAGS = [(1, "electronic"), (2, "post-rock"), (3, "café"), (4, "Chill-out")]
PLAYS = [(2, 10, 500), (2, 20, 40), (5, 20, 7), (5, 30, 3), (5, 40, 90), (7, 10, 1)]
# (user, artist, tag, day, month, year); 1956 is one of the real data's implausible years.
TAGGED = [
    (2, 10, 1, 1, 4, 2009),
    (5, 10, 1, 2, 4, 2009),
    (5, 20, 2, 3, 5, 2010),
    (2, 20, 3, 1, 1, 2008),
    (5, 99, 1, 1, 4, 2009),
    (7, 40, 4, 15, 6, 2011),
    (7, 10, 4, 1, 1, 1956),
]


def write_lastfm(
    directory: Path,
    plays: list[tuple[int, int, int]] = PLAYS,
    tagged: list[tuple[int, int, int, int, int, int]] = TAGGED,
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    artists = "".join(
        f"{a}\t{name}\thttp://last.fm/{a}\thttp://img/{a}.jpg\n" for a, name in ARTISTS
    )
    (directory / "artists.dat").write_text("id\tname\turl\tpictureURL\n" + artists, "utf-8")
    tags = "".join(f"{t}\t{value}\n" for t, value in TAGS)
    (directory / "tags.dat").write_text("tagID\ttagValue\n" + tags, "latin-1")
    rows = "".join(f"{u}\t{a}\t{w}\n" for u, a, w in plays)
    (directory / "user_artists.dat").write_text("userID\tartistID\tweight\n" + rows)
    assignments = "".join("\t".join(map(str, row)) + "\n" for row in tagged)
    header = "userID\tartistID\ttagID\tday\tmonth\tyear\n"
    (directory / "user_taggedartists.dat").write_text(header + assignments)
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


def synthetic_tags() -> list[tuple[int, int, int, int, int, int]]:
    """``synthetic_plays``' first group's artists tagged "electronic" (tag 1), the second's
    "post-rock" (tag 2), by user 1 on one day of 2010."""
    return [(1, artist, 1, 1, 3, 2010) for artist in range(100, 130)] + [
        (1, artist, 2, 1, 3, 2010) for artist in range(200, 230)
    ]
