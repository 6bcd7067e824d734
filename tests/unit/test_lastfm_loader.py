"""Loading HetRec 2011 files: matrix, id maps, names in UTF-8, tags in Latin-1, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lastfm_files import write_lastfm

from recommender.data.lastfm import load_lastfm
from recommender.errors import DataError


def test_plays_become_a_user_by_artist_matrix(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    assert data.user_ids.tolist() == [2, 5, 7]
    # artists.dat ids sorted, plus 30 which only user_artists.dat names.
    assert data.artist_ids.tolist() == [10, 20, 25, 30, 40]
    assert data.user_items.shape == (3, 5)
    assert data.user_items.toarray().tolist() == [
        [500, 40, 0, 0, 0],
        [0, 7, 0, 3, 90],
        [1, 0, 0, 0, 0],
    ]
    assert data.artist_index(40) == 4
    with pytest.raises(KeyError):
        data.artist_index(99)


def test_names_and_tags_keep_their_encodings(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    assert data.artist_names.tolist() == ["Björk", "Sigur Rós", "Nobody Plays Me", "", "Múm"]
    assert data.tag_values.tolist() == ["electronic", "post-rock", "café"]
    # Artist 10 tagged "electronic" by two users; 20 "post-rock" and "café" once each.
    assert data.artist_tags.toarray().tolist()[:2] == [[2, 0, 0], [0, 1, 1]]
    assert data.skipped_tag_assignments == 1  # artist 99 exists in neither file


def test_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    directory = write_lastfm(tmp_path)
    path = directory / "user_artists.dat"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert load_lastfm(directory).user_items.nnz == 6


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("user_artists.dat", None, "missing"),
        ("user_artists.dat", "user\tartist\tweight\n2\t10\t5\n", "header"),
        ("user_artists.dat", "userID\tartistID\tweight\n2\t10\tlots\n", "integer columns"),
        ("user_artists.dat", "userID\tartistID\tweight\n2\t10\t-5\n", "negative"),
        ("artists.dat", "id\tname\turl\tpictureURL\nx\tBjörk\tu\tp\n", "integer id"),
    ],
)
def test_bad_files_raise_data_error(
    tmp_path: Path, file: str, content: str | None, message: str
) -> None:
    directory = write_lastfm(tmp_path)
    if content is None:
        (directory / file).unlink()
    else:
        (directory / file).write_text(content, "utf-8")
    with pytest.raises(DataError, match=message):
        load_lastfm(directory)


def test_the_matrix_is_float_play_counts(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    assert data.user_items.dtype == np.float64
    assert data.user_items.sum() == 500 + 40 + 7 + 3 + 90 + 1
