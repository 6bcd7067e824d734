"""Loaders of the Spotify tables into the unified schema: artists with genres, moods and mean
audio features, and tracks as ``playback.catalog.Track``.

- ``load_spotify_artists(path)``: ``data_w_genres.csv``, one row per artist: its Spotify
  genres (a Python-literal list such as ``"['nu metal', 'rap metal']"``) and mean features.
- ``load_spotify_tracks(path)``: a track table with a ``genre`` label per row (such as
  ``equally_sampled_songs.csv``, the Kaggle SpotifyFeatures columns).

Normalized as the ETL normalizes a feed: an audio feature outside ``FEATURE_RANGES`` (a tempo
of 0 BPM, which 46 real artists have) or empty becomes unknown (NaN / None) and is counted in
``nulled``; moods come from the features through ``playback.vocabulary``'s regions (plus,
for artists, Spotify genres that are mood words, such as "sleep"); Spotify genres and genre
labels map to the project's genres through ``tag_vocabulary`` ("east coast hip hop" is
hip-hop). A track label the vocabulary does not know stays as its lower-case self
("children's music"). A row whose track id an earlier row had is dropped and counted in
``duplicates``.

A file that is missing, lacks a column, or has a value that is not a number where one must be
raises ``DataError`` naming the file and line.
"""

from __future__ import annotations

import ast
import csv
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from playback.catalog import Track
from playback.vocabulary import GENRES, MOODS
from recommender.data.content_features import AUDIO_FEATURES, ItemFeatures, indicator
from recommender.data.datasets.tag_vocabulary import (
    genre_of_tag,
    leading_genres,
    mood_of_tag,
    voted_moods,
)
from recommender.data.etl.unify import FEATURE_RANGES
from recommender.data.moodtags import mood_mask
from recommender.errors import DataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ARTIST_COLUMNS: tuple[str, ...] = ("artists", "genres", "count", *AUDIO_FEATURES)
TRACK_COLUMNS: tuple[str, ...] = (
    "genre",
    "artist_name",
    "track_name",
    "track_id",
    "duration_ms",
    *AUDIO_FEATURES,
)
_MISSING = {"", "na", "nan", "null", "none"}


@dataclass(frozen=True, slots=True)
class SpotifyArtists:
    """Artists in file order; every array has one row per artist."""

    names: tuple[str, ...]
    spotify_genres: tuple[tuple[str, ...], ...]
    genre_votes: sp.csr_matrix  # artists x GENRES: its Spotify genres naming each
    mood_votes: sp.csr_matrix  # artists x MOODS: features in the region, or a mood genre
    audio: FloatArray  # artists x AUDIO_FEATURES, tempo in BPM, NaN = unknown
    track_counts: IntArray
    nulled: dict[str, int]  # audio feature -> values missing or out of range
    genre_names: tuple[str, ...] = GENRES
    mood_names: tuple[str, ...] = MOODS

    def __len__(self) -> int:
        return len(self.names)

    def genres(self) -> list[str | None]:
        """Per artist, the project genre most of its Spotify genres name, or None."""
        return leading_genres(self.genre_votes, self.genre_names)

    def moods(self) -> list[tuple[str, ...]]:
        return voted_moods(self.mood_votes, self.mood_names)

    def features(self) -> ItemFeatures:
        """Content for ``recommender.data.content_features``: genres, moods, Spotify genres as
        tags, audio."""
        vocabulary = sorted({g for genres in self.spotify_genres for g in genres})
        column = {genre: i for i, genre in enumerate(vocabulary)}
        pairs = [(row, column[g]) for row, genres in enumerate(self.spotify_genres) for g in genres]
        return ItemFeatures.build(
            len(self),
            genres=self.genre_votes,
            moods=self.mood_votes,
            tags=indicator(pairs, (len(self), len(vocabulary))),
            audio=self.audio,
        )

    def index_of(self, names: Sequence[str]) -> IntArray:
        """For each name, the row of the artist with the same ``artist_key``, or -1."""
        row_of = {artist_key(name): row for row, name in enumerate(self.names)}
        return np.array([row_of.get(artist_key(name), -1) for name in names], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class SpotifyTracks:
    tracks: tuple[Track, ...]
    duplicates: int  # rows dropped because an earlier row had their track id
    nulled: dict[str, int]


def artist_key(name: str) -> str:
    """The form artist names are matched in across data sets: NFKC, case-folded, single
    spaces ("Sigur Rós" and "SIGUR RÓS" meet)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def load_spotify_artists(path: Path) -> SpotifyArtists:
    """Read ``data_w_genres.csv`` (or a file with its columns) at ``path``."""
    names: list[str] = []
    spotify_genres: list[tuple[str, ...]] = []
    counts: list[int] = []
    raw_audio: list[list[float]] = []
    for line, row in _rows(path, ARTIST_COLUMNS):
        names.append(row["artists"])
        spotify_genres.append(_genre_list(row["genres"], path, line))
        counts.append(int(_number(row["count"], path, line, "count")))
        raw_audio.append(_audio_row(row, path, line))
    audio, nulled = _in_range(raw_audio)
    genre_col = {name: i for i, name in enumerate(GENRES)}
    mood_col = {mood: i for i, mood in enumerate(MOODS)}
    genre_pairs = [
        (row, genre_col[genre])
        for row, genres in enumerate(spotify_genres)
        for g in genres
        if (genre := genre_of_tag(g))
    ]
    mood_pairs = [
        (row, mood_col[mood])
        for row, genres in enumerate(spotify_genres)
        for g in genres
        if (mood := mood_of_tag(g))
    ]
    genre_votes = indicator(genre_pairs, (len(names), len(GENRES)))
    in_region = sp.csr_matrix(_moods_of_audio(audio).astype(np.float64))
    return SpotifyArtists(
        names=tuple(names),
        spotify_genres=tuple(spotify_genres),
        genre_votes=genre_votes,
        mood_votes=sp.csr_matrix(in_region + indicator(mood_pairs, in_region.shape)),
        audio=audio,
        track_counts=np.asarray(counts, dtype=np.int64),
        nulled=nulled,
    )


def load_spotify_tracks(path: Path) -> SpotifyTracks:
    """Read a Spotify track table with genre labels (``equally_sampled_songs.csv``)."""
    kept: list[tuple[dict[str, str], int]] = []  # (row, duration)
    raw_audio: list[list[float]] = []
    seen: set[str] = set()
    duplicates = 0
    for line, row in _rows(path, TRACK_COLUMNS):
        if not row["track_id"].strip():
            raise DataError(f"{path}:{line}: empty track_id")
        if row["track_id"] in seen:
            duplicates += 1
            continue
        seen.add(row["track_id"])
        kept.append((row, int(_number(row["duration_ms"], path, line, "duration_ms"))))
        raw_audio.append(_audio_row(row, path, line))
    audio, nulled = _in_range(raw_audio)
    moods = _moods_of_audio(audio)
    tracks = []
    for index, (row, duration_ms) in enumerate(kept):
        energy, valence, tempo, acousticness, danceability = (
            None if np.isnan(value) else float(value) for value in audio[index]
        )
        label = _label(row["genre"])
        tracks.append(
            Track(
                track_id=row["track_id"],
                title=row["track_name"],
                artist_id=artist_key(row["artist_name"]),
                artist_name=row["artist_name"],
                genre=(genre_of_tag(label) or label) if label else None,
                moods=tuple(MOODS[m] for m in np.flatnonzero(moods[index])),
                duration_ms=duration_ms,
                energy=energy,
                valence=valence,
                tempo=tempo,
                acousticness=acousticness,
                danceability=danceability,
            )
        )
    return SpotifyTracks(tuple(tracks), duplicates, nulled)


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV file with a header naming every ``required`` column."""
    try:
        handle = path.open(encoding="utf-8", newline="")
    except FileNotFoundError as exc:
        raise DataError(f"{path} is missing") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [name for name in required if name not in (reader.fieldnames or ())]
            if missing:
                raise DataError(f"{path}: no column {', '.join(missing)} in the header")
            for row in reader:
                if None in row or any(row[name] is None for name in required):
                    raise DataError(f"{path}:{reader.line_num}: wrong number of fields")
                yield reader.line_num, row
        except UnicodeDecodeError as exc:
            raise DataError(f"{path} is not UTF-8 text") from exc
        except csv.Error as exc:
            raise DataError(f"{path}: not readable as CSV ({exc})") from exc


def _number(text: str, path: Path, line: int, column: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{path}:{line}: {column} {text!r} is not a number") from None


def _audio_row(row: dict[str, str], path: Path, line: int) -> list[float]:
    """A row's audio features; an empty or "NA" value is NaN, other text an error."""
    return [
        np.nan if row[name].strip().lower() in _MISSING else _number(row[name], path, line, name)
        for name in AUDIO_FEATURES
    ]


def _in_range(rows: list[list[float]]) -> tuple[FloatArray, dict[str, int]]:
    """Features as a matrix, values outside ``FEATURE_RANGES`` NaN; NaNs counted by feature."""
    audio = np.array(rows, dtype=np.float64).reshape(len(rows), len(AUDIO_FEATURES))
    nulled = {}
    for col, name in enumerate(AUDIO_FEATURES):
        low, high = FEATURE_RANGES[name]
        outside = np.isnan(audio[:, col]) | (audio[:, col] < low) | (audio[:, col] > high)
        audio[outside, col] = np.nan
        nulled[name] = int(outside.sum())
    return audio, nulled


def _moods_of_audio(audio: FloatArray) -> npt.NDArray[np.bool_]:
    return mood_mask({name: audio[:, col] for col, name in enumerate(AUDIO_FEATURES)})


def _genre_list(text: str, path: Path, line: int) -> tuple[str, ...]:
    """A Python-literal list of genre strings ("['pop', 'dance pop']"); "" and [] are none."""
    if not text.strip():
        return ()
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        value = None
    if not isinstance(value, list) or not all(isinstance(g, str) for g in value):
        raise DataError(f"{path}:{line}: genres {text!r} is not a list of strings")
    return tuple(dict.fromkeys(_label(g) for g in value if g.strip()))


def _label(text: str) -> str:
    """Lower case, single spaces, one apostrophe ("Children’s Music" -> "children's music")."""
    return " ".join(unicodedata.normalize("NFKC", text).replace("’", "'").lower().split())
