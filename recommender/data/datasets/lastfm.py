"""Loader of the Last.fm HetRec 2011 data set (``hetrec2011-lastfm-2k``) from a directory.

Files read (tab-separated, one header line each):

- ``user_artists.dat``: ``userID artistID weight``, the play count of a user's top artists.
- ``artists.dat`` (UTF-8): ``id name url pictureURL``.
- ``tags.dat`` (Latin-1): ``tagID tagValue``.
- ``user_taggedartists.dat``: ``userID artistID tagID day month year``.

Artists are the items. Their index order is ``artists.dat`` sorted by id, then any artist
that only ``user_artists.dat`` names (named ""), so every play has a column. Tag assignments
to artists missing from both files are left out and counted (the real data has 390 such
artists); nothing else is dropped.

Tags become facets through ``tag_vocabulary``: an artist's votes for a genre (mood) are the
tag assignments it received whose tag names that genre (mood). In the unified schema's sense
an artist's genre is its most voted genre, its moods every mood it has a vote for (mood tags
are rare: about 2,600 of 17,632 artists have one).

The data set has no play times. ``user_artist_times`` gives each play the day its listener
tagged that artist, else the listener's last tagging day (the top-artist lists were crawled
from active listeners), else the earliest day in the data: a proxy, good enough to tell
listeners active lately from those who stopped, which is what trending needs. Days before
``FIRST_PLAUSIBLE_YEAR`` (a handful say 1956) are treated as unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from playback.vocabulary import GENRES, MOODS
from recommender.data.content_features import ItemFeatures
from recommender.data.datasets.tag_vocabulary import (
    leading_genres,
    tag_facet_matrices,
    voted_moods,
)
from recommender.errors import DataError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]

FIRST_PLAUSIBLE_YEAR = 2002  # Last.fm opened in 2002
_DAY_S = 86_400.0

_HEADERS = {
    "user_artists.dat": ("userID", "artistID", "weight"),
    "artists.dat": ("id", "name", "url", "pictureURL"),
    "tags.dat": ("tagID", "tagValue"),
    "user_taggedartists.dat": ("userID", "artistID", "tagID", "day", "month", "year"),
}


@dataclass(frozen=True, slots=True)
class LastfmData:
    """Plays as a users x artists matrix, with the id maps and the artists' tags."""

    user_items: sp.csr_matrix  # users x artists, play counts (float64)
    user_ids: IntArray  # row -> Last.fm userID
    artist_ids: IntArray  # column -> Last.fm artistID
    artist_names: StrArray
    tag_ids: IntArray  # tag column -> tagID
    tag_values: StrArray
    # One row per kept assignment: (user row, or -1 for a user without plays; artist; tag).
    tag_assignments: IntArray
    tag_genres: sp.csr_matrix  # tags x GENRES, 1 where the tag names the genre
    tag_moods: sp.csr_matrix  # tags x MOODS
    artist_tags: sp.csr_matrix  # artists x tags, how many users gave the artist the tag
    skipped_tag_assignments: int  # assignments naming an artist neither file knows
    artist_genre_votes: sp.csr_matrix  # artists x GENRES, tag assignments naming it
    artist_mood_votes: sp.csr_matrix  # artists x MOODS
    user_artist_times: sp.csr_matrix  # pattern of user_items, epoch seconds (see above)
    genre_names: tuple[str, ...] = GENRES
    mood_names: tuple[str, ...] = MOODS

    def artist_index(self, artist_id: int) -> int:
        """The column of the Last.fm ``artist_id``."""
        position = int(np.searchsorted(self.artist_ids, artist_id))
        if position == len(self.artist_ids) or self.artist_ids[position] != artist_id:
            raise KeyError(f"unknown artist id {artist_id}")
        return position

    def without_tags_on(self, pairs: sp.csr_matrix, users: IntArray) -> LastfmData:
        """A copy whose tag counts and votes leave out the tags a user gave an artist that
        ``pairs`` holds for them (row i of ``pairs`` belongs to user row ``users[i]``). An
        evaluation holding those plays out must not learn the artists' content from the
        very listeners it tests: their tags on a held-out artist say they know it."""
        held = sp.csr_matrix(pairs)
        if held.shape != (len(users), len(self.artist_ids)):
            raise ValueError(
                f"pairs is {held.shape}, expected {(len(users), len(self.artist_ids))}"
            )
        row_of_user = np.full(len(self.user_ids), -1, dtype=np.int64)
        row_of_user[np.asarray(users, dtype=np.int64)] = np.arange(len(users))
        user_rows, artists = self.tag_assignments[:, 0], self.tag_assignments[:, 1]
        pair_rows = np.full(len(user_rows), -1, dtype=np.int64)
        pair_rows[user_rows >= 0] = row_of_user[user_rows[user_rows >= 0]]
        dropped = np.zeros(len(self.tag_assignments), dtype=bool)
        candidates = np.flatnonzero(pair_rows >= 0)
        dropped[candidates] = (
            np.asarray(held[pair_rows[candidates], artists[candidates]]).ravel() != 0
        )
        kept = self.tag_assignments[~dropped]
        artist_tags, genre_votes, mood_votes = _tag_tables(
            kept, len(self.artist_ids), self.tag_genres, self.tag_moods
        )
        return replace(
            self,
            tag_assignments=kept,
            artist_tags=artist_tags,
            artist_genre_votes=genre_votes,
            artist_mood_votes=mood_votes,
        )

    def artist_features(self, facets: bool = False) -> ItemFeatures:
        """The artists' content: tag counts, and with ``facets`` their genre and mood votes.
        Those are coarse copies of the same tags: on the Last.fm protocol adding them lowered
        the content model's NDCG@10 (0.100 to 0.098 on seed 0, 0.101 to 0.095 on seed 1)."""
        n_artists = len(self.artist_ids)
        if not facets:
            return ItemFeatures.build(n_artists, tags=self.artist_tags)
        return ItemFeatures.build(
            n_artists,
            genres=self.artist_genre_votes,
            moods=self.artist_mood_votes,
            tags=self.artist_tags,
        )

    def artist_genres(self) -> list[str | None]:
        """Per artist, its most voted genre (ties by ``genre_names`` order), or None."""
        return leading_genres(self.artist_genre_votes, self.genre_names)

    def artist_moods(self) -> list[tuple[str, ...]]:
        """Per artist, every mood it has a vote for, in ``mood_names`` order."""
        return voted_moods(self.artist_mood_votes, self.mood_names)


def load_lastfm(data_dir: Path) -> LastfmData:
    """Read the HetRec 2011 files in ``data_dir``; ``DataError`` if one is missing or malformed."""
    plays = _read_ints(data_dir / "user_artists.dat")
    names = dict(_read_text(data_dir / "artists.dat", "utf-8", columns=2))
    tags = _read_text(data_dir / "tags.dat", "latin-1", columns=2)
    assignments = _read_ints(data_dir / "user_taggedartists.dat")
    if plays.size and plays[:, 2].min() < 0:
        raise DataError(f"{data_dir / 'user_artists.dat'}: negative play count")

    listed = np.fromiter((int(key) for key in names), dtype=np.int64, count=len(names))
    artist_ids = np.union1d(listed, plays[:, 1])
    user_ids, user_rows = np.unique(plays[:, 0], return_inverse=True)
    user_items = sp.csr_matrix(
        (plays[:, 2].astype(np.float64), (user_rows, np.searchsorted(artist_ids, plays[:, 1]))),
        shape=(len(user_ids), len(artist_ids)),
    )
    user_items.sum_duplicates()

    tag_ids = np.asarray(sorted(int(key) for key, _ in tags), dtype=np.int64)
    tag_text = dict((int(key), value) for key, value in tags)
    known = np.isin(assignments[:, 1], artist_ids) & np.isin(assignments[:, 2], tag_ids)
    tagged = assignments[known]
    tagged_users = np.isin(tagged[:, 0], user_ids)
    artist_rows = np.searchsorted(artist_ids, tagged[:, 1])
    tag_assignments = np.column_stack(
        [
            np.where(tagged_users, np.searchsorted(user_ids, tagged[:, 0]), -1),
            artist_rows,
            np.searchsorted(tag_ids, tagged[:, 2]),
        ]
    ).astype(np.int64)
    tag_genres, tag_moods = tag_facet_matrices([tag_text[t] for t in tag_ids.tolist()])
    artist_tags, genre_votes, mood_votes = _tag_tables(
        tag_assignments, len(artist_ids), tag_genres, tag_moods
    )
    return LastfmData(
        user_items=user_items,
        user_ids=user_ids.astype(np.int64),
        artist_ids=artist_ids.astype(np.int64),
        artist_names=np.asarray([names.get(str(a), "") for a in artist_ids], dtype=np.str_),
        tag_ids=tag_ids,
        tag_values=np.asarray([tag_text[t] for t in tag_ids.tolist()], dtype=np.str_),
        tag_assignments=tag_assignments,
        tag_genres=tag_genres,
        tag_moods=tag_moods,
        artist_tags=artist_tags,
        skipped_tag_assignments=int((~known).sum()),
        artist_genre_votes=genre_votes,
        artist_mood_votes=mood_votes,
        user_artist_times=_play_times(
            user_items,
            user_rows_of=tag_assignments[:, 0],
            artist_rows=artist_rows,
            tag_times=_epoch_seconds(tagged[:, 3:6], data_dir / "user_taggedartists.dat"),
        ),
    )


def _tag_tables(
    assignments: IntArray, n_artists: int, tag_genres: sp.csr_matrix, tag_moods: sp.csr_matrix
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """(artists x tags counts, artists x genres votes, artists x moods votes)."""
    artist_tags = sp.csr_matrix(
        (np.ones(len(assignments)), (assignments[:, 1], assignments[:, 2])),
        shape=(n_artists, tag_genres.shape[0]),
    )
    artist_tags.sum_duplicates()
    return (
        artist_tags,
        sp.csr_matrix(artist_tags @ tag_genres),
        sp.csr_matrix(artist_tags @ tag_moods),
    )


def _epoch_seconds(day_month_year: IntArray, path: Path) -> FloatArray:
    """UTC midnight of each (day, month, year) row in epoch seconds; NaN before
    ``FIRST_PLAUSIBLE_YEAR``. ``DataError`` for a date that does not exist."""
    days, months, years = day_month_year.T
    try:
        dates = np.array(
            [f"{y:04d}-{m:02d}-{d:02d}" for d, m, y in zip(days, months, years, strict=True)],
            dtype="datetime64[D]",
        )
    except ValueError as exc:
        raise DataError(f"{path}: a day/month/year is not a date ({exc})") from exc
    seconds = dates.astype(np.int64).astype(np.float64) * _DAY_S
    return np.where(years >= FIRST_PLAUSIBLE_YEAR, seconds, np.nan)


def _play_times(
    user_items: sp.csr_matrix,
    *,
    user_rows_of: IntArray,
    artist_rows: IntArray,
    tag_times: FloatArray,
) -> sp.csr_matrix:
    """Per play (``user_items`` pattern), the proxy time described in the module docstring;
    ``user_rows_of`` is -1 for a tagging user without plays."""
    known = (user_rows_of >= 0) & ~np.isnan(tag_times)
    rows, cols, times = user_rows_of[known], artist_rows[known], tag_times[known]
    first_day = np.datetime64(f"{FIRST_PLAUSIBLE_YEAR}-01-01").astype(np.int64) * _DAY_S
    fallback = float(times.min()) if len(times) else float(first_day)
    last_active = np.full(user_items.shape[0], fallback)
    np.maximum.at(last_active, rows, times)
    # Earliest tag of each (user, artist): sort latest first, so the last write wins.
    first_tag: dict[tuple[int, int], float] = {}
    for order in np.argsort(-times, kind="stable").tolist():
        first_tag[(int(rows[order]), int(cols[order]))] = float(times[order])
    matrix = sp.csr_matrix(user_items, copy=True)
    play_rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    matrix.data = np.array(
        [
            first_tag.get((user, artist), last_active[user])
            for user, artist in zip(play_rows.tolist(), matrix.indices.tolist(), strict=True)
        ],
        dtype=np.float64,
    )
    return matrix


def _read_ints(path: Path) -> IntArray:
    """A header-checked all-integer file as a 2-D array (zero rows allowed)."""
    lines = _lines(path, "ascii")
    width = len(_HEADERS[path.name])
    try:
        values = np.array([line.split("\t") for line in lines], dtype=np.int64)
    except ValueError as exc:
        raise DataError(f"{path}: expected {width} integer columns on every line") from exc
    if values.size == 0:
        return np.zeros((0, width), dtype=np.int64)
    if values.ndim != 2 or values.shape[1] != width:
        raise DataError(f"{path}: expected {width} integer columns on every line")
    return values


def _read_text(path: Path, encoding: str, columns: int) -> list[tuple[str, str]]:
    """(id, first text column) pairs of a header-checked file; the id must be an integer."""
    pairs = []
    for number, line in enumerate(_lines(path, encoding), start=2):
        fields = line.split("\t")
        if len(fields) < columns or not fields[0].strip().isdigit():
            raise DataError(f"{path}:{number}: expected an integer id and a value")
        pairs.append((str(int(fields[0])), fields[1]))
    return pairs


def _lines(path: Path, encoding: str) -> list[str]:
    """The data lines of ``path`` after checking its header; CRLF endings are accepted."""
    try:
        text = path.read_text(encoding=encoding)
    except FileNotFoundError as exc:
        raise DataError(f"{path} is missing") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not {encoding} text") from exc
    lines = text.replace("\r\n", "\n").split("\n")
    header = tuple(lines[0].split("\t"))
    if header != _HEADERS[path.name]:
        raise DataError(f"{path}: header {header} is not {_HEADERS[path.name]}")
    return [line for line in lines[1:] if line.strip()]
