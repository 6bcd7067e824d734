"""The music data team's side of the generated world: artists, albums, tracks, and their feed.

Their conventions, not ours: camelCase track columns that point at artists and albums by
reference, mood tags as one pipe-separated Title Case string, duration in seconds, explicit
as "Y"/"N". A seeded few rows are dirty the way real hand-overs are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from playback.vocabulary import MOODS
from recommender.data.generator.feed_io import format_ids, pick_words, write_csv
from recommender.data.generator.taste import (
    GENRES,
    TRUTH_FEATURES,
    genre_shares,
    sample_track_features,
)
from recommender.data.moodtags import mood_mask

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

TRACK_DIRT = (
    "missing_feature",
    "na_feature",
    "out_of_range_feature",
    "negative_duration",
    "messy_genre",
)
# fmt: off
ARTIST_COUNTRIES = ("US", "GB", "DE", "FR", "SE", "BR", "MX", "JP", "KR", "NG", "CA", "AU", "ES",
                    "IT", "JM")
_ADJECTIVES = ("Velvet", "Electric", "Silent", "Golden", "Neon", "Broken", "Wild", "Hollow",
               "Crimson", "Paper", "Midnight", "Lunar", "Static", "Gentle", "Burning", "Blue",
               "Northern", "Glass", "Honey", "Iron", "Quiet", "Restless", "Summer", "Frozen")
_NOUNS = ("Foxes", "Harbor", "Rivers", "Machines", "Echoes", "Gardens", "Satellites", "Tides",
          "Ghosts", "Lanterns", "Wolves", "Parade", "Orchard", "Signals", "Horizon", "Pilots",
          "Mirrors", "Avenue", "Comets", "Sparrows", "Engines", "Islands", "Crowns", "Letters")
# fmt: on


@dataclass(frozen=True, slots=True)
class CatalogWorld:
    """The true catalog before it is written out (and dirtied)."""

    track_ids: StrArray
    track_genre: IntArray
    track_artist: IntArray
    track_album: IntArray
    features: dict[str, FloatArray]  # true, keyed by TRUTH_FEATURES
    duration_s: IntArray
    explicit: BoolArray
    popularity: FloatArray  # play propensity within the track's genre; sums to 1 per genre
    artist_ids: StrArray
    artist_genre: IntArray
    album_ids: StrArray
    album_artist: IntArray
    album_year: IntArray

    def feature_matrix(self) -> FloatArray:
        return np.column_stack([self.features[name] for name in TRUTH_FEATURES])


def build_catalog(rng: np.random.Generator, n_tracks: int) -> CatalogWorld:
    """Artists with several albums, tracks around their genre's sound, Zipf popularity."""
    n_genres = len(GENRES)
    # Catalogues are flatter than listening: niche genres still hold many tracks.
    catalog_share = np.sqrt(genre_shares())
    catalog_share /= catalog_share.sum()
    n_artists = max(1, n_tracks // 10)
    artist_genre = rng.choice(n_genres, size=n_artists, p=catalog_share)
    artist_weight = rng.pareto(1.2, size=n_artists) + 1.0
    artist_shift = rng.normal(0.0, 0.06, size=(n_artists, 2))

    # Every artist gets a track; the rest go preferentially to prolific (popular) artists.
    spread = np.sqrt(artist_weight) / np.sqrt(artist_weight).sum()
    track_artist = np.concatenate(
        [
            rng.permutation(n_artists)[: min(n_artists, n_tracks)],
            rng.choice(n_artists, size=max(0, n_tracks - n_artists), p=spread),
        ]
    )
    crossover = rng.random(n_tracks) < 0.12
    track_genre = np.where(
        crossover, rng.choice(n_genres, size=n_tracks, p=catalog_share), artist_genre[track_artist]
    )
    features = sample_track_features(rng, track_genre, artist_shift[track_artist])
    typical_s = np.array([g.duration_s for g in GENRES])[track_genre]
    duration_s = np.maximum(30, np.round(rng.lognormal(np.log(typical_s), 0.25))).astype(np.int64)
    explicit_rate = np.array([g.explicit_rate for g in GENRES])[track_genre]
    explicit = rng.random(n_tracks) < explicit_rate

    track_album, album_artist, album_year = _albums(rng, track_artist, n_artists)
    # Within each genre, rank tracks by artist pull plus luck; popularity ~ 1 / rank.
    latent = np.log(artist_weight[track_artist]) + rng.normal(0.0, 1.0, size=n_tracks)
    popularity = _zipf_within(track_genre, latent, exponent=1.0)
    return CatalogWorld(
        track_ids=format_ids("TRK", np.arange(n_tracks), 8),
        track_genre=track_genre.astype(np.int64),
        track_artist=track_artist.astype(np.int64),
        track_album=track_album,
        features=features,
        duration_s=duration_s,
        explicit=explicit,
        popularity=popularity,
        artist_ids=format_ids("AR", np.arange(n_artists), 6),
        artist_genre=artist_genre.astype(np.int64),
        album_ids=format_ids("AL", np.arange(len(album_artist)), 7),
        album_artist=album_artist,
        album_year=album_year,
    )


def _albums(
    rng: np.random.Generator, track_artist: IntArray, n_artists: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Cut each artist's tracks into albums of 6-13; albums come out every ~2 years."""
    order = np.lexsort((rng.random(len(track_artist)), track_artist))
    sorted_artist = track_artist[order]
    first = np.searchsorted(sorted_artist, sorted_artist, side="left")
    position = np.arange(len(order)) - first
    album_size = rng.integers(6, 14, size=n_artists)
    local = position // album_size[sorted_artist]
    key = sorted_artist.astype(np.int64) * (1 << 20) + local
    unique_keys, album_of_sorted = np.unique(key, return_inverse=True)
    track_album = np.empty(len(order), dtype=np.int64)
    track_album[order] = album_of_sorted
    album_artist = (unique_keys >> 20).astype(np.int64)
    album_local = unique_keys & ((1 << 20) - 1)
    debut = 2026 - np.minimum(rng.exponential(12.0, size=n_artists), 60).astype(np.int64)
    album_year = np.minimum(debut[album_artist] + 2 * album_local, 2026).astype(np.int64)
    return track_album, album_artist, album_year


def _zipf_within(group: IntArray, latent: FloatArray, exponent: float) -> FloatArray:
    order = np.lexsort((-latent, group))
    sorted_group = group[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_group, sorted_group, side="left")
    weight = np.empty(len(order))
    weight[order] = (rank + 1.0) ** -exponent
    totals = np.bincount(group, weights=weight, minlength=len(GENRES))
    return np.asarray(weight / totals[group], dtype=np.float64)


def write_catalog_feed(
    world: CatalogWorld, rng: np.random.Generator, out_dir: Path, dirty_rate: float
) -> tuple[dict[str, int], dict[str, int], list[Path]]:
    """Write artists.csv, albums.csv and tracks.csv; returns row counts, dirt counts, files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_artists, n_albums = len(world.artist_ids), len(world.album_ids)
    artists = pa.table(
        {
            "artist_id": world.artist_ids,
            "name": _names(rng, n_artists, "The "),
            "country": np.array(ARTIST_COUNTRIES)[
                rng.integers(0, len(ARTIST_COUNTRIES), n_artists)
            ],
        }
    )
    track_counts = np.bincount(world.track_album, minlength=n_albums)
    albums = pa.table(
        {
            "album_id": world.album_ids,
            "artist_id": world.artist_ids[world.album_artist],
            "album_title": _names(rng, n_albums, ""),
            "release_year": world.album_year,
            "track_count": track_counts,
        }
    )
    tracks, dirt = _track_rows(world, rng, dirty_rate)
    files = [out_dir / "artists.csv", out_dir / "albums.csv", out_dir / "tracks.csv"]
    for table, path in zip((artists, albums, tracks), files, strict=True):
        write_csv(table, path)
    counts = {"artists": n_artists, "albums": n_albums, "tracks": len(world.track_ids)}
    return counts, dirt, files


def _track_rows(
    world: CatalogWorld, rng: np.random.Generator, dirty_rate: float
) -> tuple[pa.Table, dict[str, int]]:
    n = len(world.track_ids)
    genre = np.array([g.name for g in GENRES])[world.track_genre]
    columns: dict[str, StrArray] = {
        name: world.features[name].astype(np.str_) for name in TRUTH_FEATURES
    }
    duration = world.duration_s.astype(np.str_)

    dirty = rng.random(n) < dirty_rate
    kind = np.where(dirty, rng.integers(0, len(TRACK_DIRT), n), -1)
    feature_pick = rng.integers(0, len(TRUTH_FEATURES), n)
    for k, name in enumerate(TRUTH_FEATURES):
        hit = feature_pick == k
        columns[name] = np.where(hit & (kind == 0), "", columns[name])
        columns[name] = np.where(hit & (kind == 1), "N/A", columns[name])
        wild = "999.0" if name == "tempo" else "1.7"
        columns[name] = np.where(hit & (kind == 2), wild, columns[name])
    duration = np.where(kind == 3, np.char.add("-", duration), duration)
    messy = np.where(rng.random(n) < 0.5, np.char.upper(genre), np.char.add(" ", genre))
    genre = np.where(kind == 4, np.char.add(messy, "  "), genre)

    table = pa.table(
        {
            "trackId": world.track_ids,
            "trackTitle": _names(rng, n, ""),
            "artistRef": world.artist_ids[world.track_artist],
            "albumRef": world.album_ids[world.track_album],
            "genre": genre,
            "moodTags": _mood_tags(world, rng),
            "durationSec": duration,
            "isExplicit": np.where(world.explicit, "Y", "N"),
            "releaseYear": world.album_year[world.track_album],
            **{
                name: columns[name]
                for name in ("energy", "valence", "tempo", "acousticness", "danceability")
            },
        }
    )
    dirt = {name: int((kind == k).sum()) for k, name in enumerate(TRACK_DIRT)}
    return table, dirt


def _mood_tags(world: CatalogWorld, rng: np.random.Generator) -> StrArray:
    """Editors tag most moods a track has, in Title Case, plus the odd house tag."""
    mask = mood_mask(world.features) & (rng.random((len(world.track_ids), len(MOODS))) < 0.85)
    tags = np.full(len(world.track_ids), "", dtype=object)
    for j, mood in enumerate(MOODS):
        tags = np.where(mask[:, j], tags + "|" + mood.title(), tags)
    tags = np.where(rng.random(len(tags)) < 0.03, tags + "|Summer Hits", tags)
    return np.array([tag[1:] for tag in tags], dtype=np.str_)


def _names(rng: np.random.Generator, n: int, prefix: str) -> StrArray:
    return np.char.add(prefix, pick_words(rng, n, _ADJECTIVES, _NOUNS))
