"""Loading the Spotify artist-genre and track tables into the unified schema, from fixtures
this test writes in the real files' formats (the real data is never read by tests)."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from recommender.data.datasets.spotify import (
    artist_key,
    load_spotify_artists,
    load_spotify_tracks,
)
from recommender.errors import DataError

ARTIST_HEADER = (
    "artists,acousticness,danceability,duration_ms,energy,instrumentalness,liveness,"
    "loudness,speechiness,tempo,valence,popularity,key,mode,count,genres\n"
)
# name, acousticness, danceability, energy, tempo, valence, count, genres
ARTISTS: list[tuple[object, ...]] = [
    ("Calm Pianist", 0.9, 0.3, 0.2, 80.0, 0.4, 12, "['neo-classical', 'sleep']"),
    ('"Weird" Rap Crew', 0.1, 0.8, 0.8, 96.0, 0.7, 40, "['east coast hip hop', 'rap', 'pop rap']"),
    ("Sigur Rós", 0.5, 0.3, 0.4, 0.0, 0.2, 7, "[]"),
    ("Nobody", 0.5, 0.5, 0.5, 120.0, 0.5, 1, "['polka punk', 'spoken word']"),
]
TRACK_HEADER = (
    '"","genre","artist_name","track_name","track_id","popularity","acousticness",'
    '"danceability","duration_ms","energy","instrumentalness","key","liveness","loudness",'
    '"mode","speechiness","tempo","time_signature","valence"\n'
)


def write_artists(path: Path, rows: Sequence[tuple[object, ...]] = ARTISTS) -> Path:
    """The real file's columns, quoted as it quotes them (names with quotes, genre lists)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(ARTIST_HEADER)
        writer = csv.writer(handle, lineterminator="\n")
        for name, ac, dance, energy, tempo, valence, count, genres in rows:
            writer.writerow(
                [name, ac, dance, 200000, energy, 0.1, 0.1, -8, 0.05, tempo, valence, 50, 5, 1]
                + [count, genres]
            )
    return path


def track_line(
    index: int, genre: str, track_id: str, energy: str = "0.8", tempo: str = "128"
) -> str:
    return (
        f'"{index}","{genre}","Artist {index}","Song {index}","{track_id}",50,0.1,0.8,210000,'
        f'{energy},0,"C",0.1,-5,"Major",0.05,{tempo},"4/4",0.8\n'
    )


def write_tracks(path: Path, lines: list[str]) -> Path:
    path.write_text(TRACK_HEADER + "".join(lines), "utf-8")
    return path


def test_artists_get_project_genres_moods_and_range_checked_features(tmp_path: Path) -> None:
    artists = load_spotify_artists(write_artists(tmp_path / "data_w_genres.csv"))
    assert artists.names == ("Calm Pianist", '"Weird" Rap Crew', "Sigur Rós", "Nobody")
    assert artists.spotify_genres[1] == ("east coast hip hop", "rap", "pop rap")
    # "east coast hip hop", "rap" and "pop rap" all name hip-hop; "polka punk" is punk.
    assert artists.genres() == ["classical", "hip-hop", None, "punk"]
    assert artists.genre_votes[1, artists.genre_names.index("hip-hop")] == 3
    # Quiet, acoustic and slow lies in the relaxing region; "sleep" says so too.
    assert "relaxing" in artists.moods()[0]
    assert artists.mood_votes[0, artists.mood_names.index("relaxing")] == 2
    assert "party" in artists.moods()[1]  # danceable and energetic
    # A tempo of 0 BPM is outside the ETL's range: unknown, and counted.
    assert math.isnan(artists.audio[2, 2]) and artists.nulled["tempo"] == 1
    assert artists.audio[0].tolist() == [0.2, 0.4, 80.0, 0.9, 0.3]
    assert artists.track_counts.tolist() == [12, 40, 7, 1]


def test_artists_become_content_features_and_link_by_name(tmp_path: Path) -> None:
    artists = load_spotify_artists(write_artists(tmp_path / "data_w_genres.csv"))
    features = artists.features()
    assert len(features) == 4 and features.tags.shape == (4, 7)  # seven distinct genres
    assert artists.index_of(["SIGUR RÓS", " calm  pianist", "Unknown"]).tolist() == [2, 0, -1]
    assert artist_key("Ｂjörk ") == "björk"  # NFKC folds the full-width letter


def test_tracks_become_catalog_tracks(tmp_path: Path) -> None:
    path = write_tracks(
        tmp_path / "songs.csv",
        [
            track_line(1, "Hip-Hop", "t1"),
            track_line(2, "Children’s Music", "t2", energy=""),
            track_line(3, "Reggaeton", "t3", tempo="400"),
            track_line(4, "Rap", "t1"),  # the same track again, under another genre
        ],
    )
    loaded = load_spotify_tracks(path)
    assert [t.track_id for t in loaded.tracks] == ["t1", "t2", "t3"]
    assert loaded.duplicates == 1
    first, second, third = loaded.tracks
    assert first.genre == "hip-hop" and first.artist_name == "Artist 1"
    assert first.artist_id == "artist 1" and first.duration_ms == 210000
    assert first.energy == 0.8 and first.tempo == 128.0 and "party" in first.moods
    assert second.genre == "children's music"  # unknown labels stay, in canonical form
    assert second.energy is None and loaded.nulled["energy"] == 1
    assert third.genre == "latin" and third.tempo is None and loaded.nulled["tempo"] == 1
    # Without a tempo the energetic region (which bounds tempo) cannot hold the track.
    assert "energetic" not in third.moods


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing"),
        ("artists,genres\nA,[]\n", "no column count"),
        (ARTIST_HEADER + "A,0.5,0.5,1,loud,0,0,0,0,120,0.5,1,1,1,3,[]\n", "energy 'loud'"),
        (ARTIST_HEADER + "A,0.5,0.5,1,0.5,0,0,0,0,120,0.5,1,1,1,3,not a list\n", "genres"),
        (ARTIST_HEADER + "A,0.5,0.5\n", "wrong number of fields"),
    ],
)
def test_bad_artist_files_raise_data_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "data_w_genres.csv"
    if content is not None:
        path.write_text(content, "utf-8")
    with pytest.raises(DataError, match=message):
        load_spotify_artists(path)


def test_bad_track_files_raise_data_error(tmp_path: Path) -> None:
    bad_number = write_tracks(tmp_path / "a.csv", [track_line(1, "Pop", "t1", tempo="fast")])
    with pytest.raises(DataError, match=r"a\.csv:2: tempo 'fast' is not a number"):
        load_spotify_tracks(bad_number)
    no_id = write_tracks(tmp_path / "b.csv", [track_line(1, "Pop", "")])
    with pytest.raises(DataError, match="empty track_id"):
        load_spotify_tracks(no_id)
    latin1 = tmp_path / "c.csv"
    latin1.write_bytes((TRACK_HEADER + track_line(1, "Pop", "t1")).encode() + "é".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_spotify_tracks(latin1)


def test_missing_feature_values_are_unknown_not_errors(tmp_path: Path) -> None:
    rows = [("Quiet", "NA", 0.3, "", 80.0, 0.4, 2, "[]")]
    artists = load_spotify_artists(write_artists(tmp_path / "a.csv", rows))
    assert np.isnan(artists.audio[0, [0, 3]]).all()
    assert artists.nulled["energy"] == artists.nulled["acousticness"] == 1
