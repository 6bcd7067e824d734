"""How a ``Track`` is laid out in a SQL row, shared by the SQLite and PostgreSQL catalogs.

Both catalogs store the same columns so they behave identically:

- ``moods`` is a JSON array in a text column (any mood name survives, order is kept);
- ``artist_key`` is ``artist_name`` trimmed and case-folded in Python, not by SQL
  ``lower()``: SQLite's ``lower()`` only folds ASCII, and both databases must agree.
  Artist search is a range scan on it: ``key >= prefix AND key < prefix_successor(prefix)``,
  which uses an ordinary B-tree index and needs no LIKE escaping. Text is compared by code
  point (SQLite's BINARY collation, ``COLLATE "C"`` in PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from playback.catalog import Artist, Track

# Columns read back into a Track, in the dataclass's field order (the ETL's unified tracks
# table has them too).
TRACK_COLUMNS: tuple[str, ...] = (
    "track_id",
    "title",
    "artist_id",
    "artist_name",
    "album_id",
    "album_title",
    "genre",
    "moods",
    "duration_ms",
    "explicit",
    "release_year",
    "energy",
    "valence",
    "tempo",
    "acousticness",
    "danceability",
)
# Columns written: the Track's plus the search key derived from it.
WRITE_COLUMNS: tuple[str, ...] = (*TRACK_COLUMNS, "artist_key")

_MOODS = TRACK_COLUMNS.index("moods")
_EXPLICIT = TRACK_COLUMNS.index("explicit")
_SURROGATES = range(0xD800, 0xE000)


def artist_key(name: str) -> str:
    """The form artist names are matched in: trimmed, case-folded."""
    return name.strip().casefold()


def prefix_successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    None when there is none (the prefix is all U+10FFFF), i.e. the range is unbounded above.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars.pop()) + 1
        if code in _SURROGATES:  # not encodable in UTF-8; skip to the next valid code point
            code = _SURROGATES.stop
        if code <= 0x10FFFF:
            return "".join(chars) + chr(code)
    return None


def artist_key_range(name: str) -> tuple[str, str | None]:
    """(lower, upper): the keys of the artists whose key starts with ``name``'s lie in
    ``[lower, upper)``, unbounded above when upper is None. An exact match has the smallest
    key of the range, so ordering by key puts it first."""
    prefix = artist_key(name)
    return prefix, prefix_successor(prefix)


def row_artist(row: Sequence[Any]) -> Artist:
    """An Artist from a row selected as (artist_id, artist_name, ...)."""
    return Artist(artist_id=row[0], name=row[1])


def track_row(track: Track) -> tuple[Any, ...]:
    """Values for ``WRITE_COLUMNS``."""
    return (
        track.track_id,
        track.title,
        track.artist_id,
        track.artist_name,
        track.album_id,
        track.album_title,
        track.genre,
        json.dumps(list(track.moods), ensure_ascii=False),
        track.duration_ms,
        track.explicit,
        track.release_year,
        track.energy,
        track.valence,
        track.tempo,
        track.acousticness,
        track.danceability,
        artist_key(track.artist_name),
    )


def row_track(row: Sequence[Any]) -> Track:
    """A Track from a row selected as ``TRACK_COLUMNS``."""
    values = list(row)
    values[_MOODS] = tuple(json.loads(values[_MOODS]))
    values[_EXPLICIT] = bool(values[_EXPLICIT])  # SQLite hands back 0 / 1
    return Track(*values)
