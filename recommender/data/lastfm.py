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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.errors import DataError

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]

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
    artist_tags: sp.csr_matrix  # artists x tags, how many users gave the artist the tag
    skipped_tag_assignments: int  # assignments naming an artist neither file knows

    def artist_index(self, artist_id: int) -> int:
        """The column of the Last.fm ``artist_id``."""
        position = int(np.searchsorted(self.artist_ids, artist_id))
        if position == len(self.artist_ids) or self.artist_ids[position] != artist_id:
            raise KeyError(f"unknown artist id {artist_id}")
        return position


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
    artist_tags = sp.csr_matrix(
        (
            np.ones(len(tagged)),
            (np.searchsorted(artist_ids, tagged[:, 1]), np.searchsorted(tag_ids, tagged[:, 2])),
        ),
        shape=(len(artist_ids), len(tag_ids)),
    )
    artist_tags.sum_duplicates()
    return LastfmData(
        user_items=user_items,
        user_ids=user_ids.astype(np.int64),
        artist_ids=artist_ids.astype(np.int64),
        artist_names=np.asarray([names.get(str(a), "") for a in artist_ids], dtype=np.str_),
        tag_ids=tag_ids,
        tag_values=np.asarray([tag_text[t] for t in tag_ids.tolist()], dtype=np.str_),
        artist_tags=artist_tags,
        skipped_tag_assignments=int((~known).sum()),
    )


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
