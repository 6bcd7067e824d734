"""Loading HetRec 2011 files: matrix, id maps, names in UTF-8, tags in Latin-1, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from playback.vocabulary import GENRES, MOODS
from recommender.data.datasets.lastfm import load_lastfm
from recommender.data.datasets.tag_vocabulary import genre_of_tag, mood_of_tag
from recommender.errors import DataError
from tests.unit.lastfm_files import write_lastfm


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
    assert data.tag_values.tolist() == ["electronic", "post-rock", "café", "Chill-out"]
    # Artist 10 tagged "electronic" by two users and "Chill-out" once; 20 "post-rock" and
    # "café" once each.
    assert data.artist_tags.toarray().tolist()[:2] == [[2, 0, 0, 1], [0, 1, 1, 0]]
    assert data.skipped_tag_assignments == 1  # artist 99 exists in neither file


def test_tags_give_artists_genres_and_moods(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    # Artists 10, 20, 25, 30, 40 (columns); "café" names nothing.
    assert data.artist_genres() == ["electronic", "rock", None, None, None]
    assert data.artist_moods() == [("relaxing",), (), (), (), ("relaxing",)]
    electronic = data.genre_names.index("electronic")
    assert data.artist_genre_votes[0, electronic] == 2
    assert data.artist_genre_votes.shape == (5, len(data.genre_names))
    assert data.mood_names == MOODS and data.artist_mood_votes.sum() == 2
    tags_only, everything = data.artist_features(), data.artist_features(facets=True)
    assert len(tags_only) == 5 and tags_only.tags.shape == (5, 4)
    assert tags_only.genres.shape[1] == 0 and tags_only.moods.shape[1] == 0
    assert everything.genres.shape == (5, len(data.genre_names))
    assert everything.moods.sum() == 2


def test_plays_get_their_tag_day_else_the_listeners_last_day(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    times = data.user_artist_times
    assert (times != 0).toarray().tolist() == (data.user_items != 0).toarray().tolist()

    def day(user: int, artist: int) -> str:
        row = data.user_ids.tolist().index(user)
        return str(np.datetime64(int(times[row, data.artist_index(artist)]), "s"))[:10]

    assert day(2, 10) == "2009-04-01" and day(2, 20) == "2008-01-01"  # their own tag days
    assert day(5, 20) == "2010-05-03"
    assert day(5, 30) == day(5, 40) == "2010-05-03"  # untagged: user 5's last tagging day
    # User 7 tagged artist 10 in "1956": implausible, so the last plausible day counts.
    assert day(7, 10) == "2011-06-15"


def test_a_tag_date_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    directory = write_lastfm(tmp_path)
    header = "userID\tartistID\ttagID\tday\tmonth\tyear\n"
    (directory / "user_taggedartists.dat").write_text(header + "2\t10\t1\t31\t2\t2009\n")
    with pytest.raises(DataError, match="not a date"):
        load_lastfm(directory)


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


def test_held_out_pairs_can_leave_their_tags_out(tmp_path: Path) -> None:
    data = load_lastfm(write_lastfm(tmp_path))
    # Hold out user 2's play of artist 10; the rows of ``pairs`` are users 2 and 7.
    users = np.array([0, 2])
    pairs = sp.csr_matrix(([1.0], ([0], [data.artist_index(10)])), shape=(2, 5))
    content = data.without_tags_on(pairs, users)
    electronic = data.genre_names.index("electronic")
    # User 2's "electronic" on artist 10 is gone, user 5's stays; nothing else changes.
    assert content.artist_tags.toarray().tolist()[:2] == [[1, 0, 0, 1], [0, 1, 1, 0]]
    assert content.artist_genre_votes[0, electronic] == 1
    assert content.artist_mood_votes.sum() == data.artist_mood_votes.sum()
    assert data.artist_tags[0, 0] == 2  # the original is untouched
    with pytest.raises(ValueError, match="expected"):
        data.without_tags_on(pairs, np.array([0]))


@pytest.mark.parametrize(
    ("tag", "genre", "mood"),
    [
        ("Hip-Hop", "hip-hop", None),  # the NLU's spelling rules: case and hyphens
        ("rnb", "r&b", None),  # an NLU genre variant
        ("melodic death metal", "metal", None),  # named by its last words
        ("trip-hop", "electronic", None),  # reviewed: not hip-hop despite its last word
        ("rock opera", "rock", None),  # reviewed: not classical
        ("dance", "dance", "party"),  # a genre and, for the NLU, a mood
        ("chillout", None, "relaxing"),  # an NLU mood word
        ("workout", None, "energetic"),  # an activity and the mood it implies
        ("love", None, None),  # on Last.fm "I love them", not romance
        ("seen live", None, None),
    ],
)
def test_tags_map_to_project_genres_and_moods(
    tag: str, genre: str | None, mood: str | None
) -> None:
    assert genre_of_tag(tag) == genre
    assert mood_of_tag(tag) == mood
    assert genre is None or genre in GENRES
