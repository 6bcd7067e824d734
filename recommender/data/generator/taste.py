"""The hidden world behind the generated feeds: genres, listeners' true tastes, the skip model.

The generator samples from it; ``GroundTruth`` keeps the parts an offline evaluation needs
(true tastes and features) so it can ask how likely a listener is to play a recommended track
to the end. Nothing here is a feed: production code never sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
F32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

# Truth feature columns, in this order.
TRUTH_FEATURES: tuple[str, ...] = ("energy", "valence", "tempo", "acousticness", "danceability")


@dataclass(frozen=True, slots=True)
class GenreProfile:
    """Where a genre's tracks sit in audio-feature space, and how big the genre is."""

    name: str  # canonical, lower case: what the ETL should produce
    label: str  # the display spelling the personalization team stores
    share: float  # share of listening across genres (Zipf-like)
    energy: float
    valence: float
    acousticness: float
    danceability: float
    tempo: float
    tempo_sd: float
    duration_s: float
    explicit_rate: float


def _genre(name: str, label: str, share: float, *values: float) -> GenreProfile:
    energy, valence, acoustic, dance, tempo, tempo_sd, duration, explicit = values
    return GenreProfile(
        name, label, share, energy, valence, acoustic, dance, tempo, tempo_sd, duration, explicit
    )


# name, label, share, energy, valence, acousticness, danceability, tempo, sd, seconds, explicit
# fmt: off
GENRES: tuple[GenreProfile, ...] = (
    _genre("pop", "Pop", 0.16, 0.68, 0.64, 0.18, 0.68, 118, 16, 205, 0.10),
    _genre("hip-hop", "Hip-Hop", 0.12, 0.66, 0.50, 0.12, 0.78, 98, 18, 200, 0.55),
    _genre("rock", "Rock", 0.10, 0.76, 0.46, 0.12, 0.50, 126, 22, 230, 0.08),
    _genre("electronic", "Electronic", 0.06, 0.80, 0.44, 0.05, 0.70, 126, 10, 260, 0.04),
    _genre("dance", "Dance", 0.06, 0.84, 0.66, 0.05, 0.82, 124, 6, 210, 0.05),
    _genre("r&b", "R&B", 0.06, 0.52, 0.56, 0.28, 0.70, 96, 16, 215, 0.30),
    _genre("latin", "Latin", 0.06, 0.74, 0.74, 0.20, 0.78, 104, 18, 200, 0.12),
    _genre("indie", "Indie", 0.05, 0.56, 0.46, 0.36, 0.50, 118, 22, 225, 0.05),
    _genre("country", "Country", 0.04, 0.62, 0.62, 0.36, 0.58, 112, 20, 200, 0.03),
    _genre("metal", "Metal", 0.03, 0.92, 0.20, 0.03, 0.40, 142, 24, 280, 0.30),
    _genre("jazz", "Jazz", 0.03, 0.36, 0.56, 0.72, 0.54, 110, 28, 320, 0.00),
    _genre("classical", "Classical", 0.03, 0.16, 0.38, 0.92, 0.28, 92, 28, 420, 0.00),
    _genre("k-pop", "K-Pop", 0.03, 0.78, 0.70, 0.10, 0.74, 120, 12, 200, 0.02),
    _genre("folk", "Folk", 0.03, 0.34, 0.50, 0.80, 0.46, 104, 20, 230, 0.01),
    _genre("ambient", "Ambient", 0.02, 0.10, 0.34, 0.84, 0.22, 84, 18, 360, 0.00),
    _genre("blues", "Blues", 0.02, 0.46, 0.40, 0.56, 0.52, 100, 20, 260, 0.02),
    _genre("soul", "Soul", 0.02, 0.50, 0.62, 0.42, 0.62, 100, 18, 220, 0.02),
    _genre("reggae", "Reggae", 0.02, 0.58, 0.72, 0.26, 0.76, 90, 12, 230, 0.05),
    _genre("punk", "Punk", 0.02, 0.90, 0.46, 0.05, 0.44, 162, 18, 150, 0.25),
    _genre("lo-fi", "Lo-Fi", 0.02, 0.28, 0.46, 0.66, 0.62, 82, 8, 170, 0.00),
)
# fmt: on

# How concentrated feature draws are around their genre's mean (Beta concentration).
FEATURE_CONCENTRATION = 14.0
# Listener tastes: Dirichlet concentration (small = tastes focused on few genres).
TASTE_CONCENTRATION = 3.0
# Width of a listener's comfort zone around their preferred (energy, valence) point.
TASTE_WIDTH = 0.22
# Skip model: p_skip = sigmoid(SKIP_BIAS - SKIP_SLOPE * match); stops are match-independent.
SKIP_BIAS = 2.2
SKIP_SLOPE = 5.0
STOP_PROBABILITY = 0.06


def genre_shares() -> FloatArray:
    shares = np.array([genre.share for genre in GENRES])
    return np.asarray(shares / shares.sum(), dtype=np.float64)


def sample_track_features(
    rng: np.random.Generator, genre_idx: IntArray, shift: FloatArray
) -> dict[str, FloatArray]:
    """True audio features per track, drawn around its genre's profile.

    ``shift`` (n, 2) nudges energy and valence per track (an artist's own sound).
    """

    def column(name: str) -> FloatArray:
        return np.array([getattr(genre, name) for genre in GENRES])[genre_idx]

    features: dict[str, FloatArray] = {}
    for k, name in enumerate(("energy", "valence", "acousticness", "danceability")):
        mean = column(name) + (shift[:, k] if k < 2 else 0.0)
        mean = np.clip(mean, 0.03, 0.97)
        drawn = rng.beta(mean * FEATURE_CONCENTRATION, (1 - mean) * FEATURE_CONCENTRATION)
        features[name] = np.round(drawn, 3).astype(np.float64)
    tempo = rng.normal(column("tempo"), column("tempo_sd"))
    features["tempo"] = np.round(np.clip(tempo, 50.0, 210.0), 1).astype(np.float64)
    return features


@dataclass(frozen=True, slots=True)
class Listeners:
    """Latent tastes of generated listeners."""

    genre_weights: F32Array  # (n, genres), rows sum to 1
    point: F32Array  # (n, 2): preferred energy, valence
    activity: FloatArray  # (n,) relative listening volume, heavy-tailed
    explicit_filter: BoolArray  # (n,) family accounts that filter explicit tracks


def sample_listeners(rng: np.random.Generator, n: int) -> Listeners:
    shares = genre_shares()
    weights = rng.dirichlet(shares * TASTE_CONCENTRATION, size=n)
    # A listener's sweet spot follows their genres' centre, then wanders off it.
    centre = weights @ np.array([[g.energy, g.valence] for g in GENRES])
    point = np.clip(centre + rng.normal(0.0, 0.1, size=(n, 2)), 0.02, 0.98)
    activity = rng.lognormal(0.0, 1.0, size=n)
    explicit_filter = rng.random(n) < 0.12
    return Listeners(
        genre_weights=weights.astype(np.float32),
        point=point.astype(np.float32),
        activity=activity,
        explicit_filter=explicit_filter,
    )


def match_score(
    genre_weights: F32Array,
    point: F32Array,
    track_genre: IntArray,
    track_energy: FloatArray,
    track_valence: FloatArray,
) -> FloatArray:
    """How well tracks fit listeners, in [0, 1]; rows of the inputs are aligned pairs.

    Half genre (the track's genre weight relative to the listener's favourite), half sound
    (a Gaussian of the distance to the listener's preferred energy/valence point).
    """
    rows = np.arange(len(track_genre))
    relative = genre_weights[rows, track_genre] / genre_weights.max(axis=1)
    distance2 = (track_energy - point[:, 0]) ** 2 + (track_valence - point[:, 1]) ** 2
    sound = np.exp(-distance2 / (2 * TASTE_WIDTH**2))
    return np.asarray(0.5 * relative + 0.5 * sound, dtype=np.float64)


def skip_probability(match: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-(SKIP_BIAS - SKIP_SLOPE * match))), dtype=np.float64)


def finish_probability(match: FloatArray) -> FloatArray:
    """Chance a play ends with ``finished``: neither skipped nor stopped."""
    return (1.0 - skip_probability(match)) * (1.0 - STOP_PROBABILITY)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """What the generator knew and the feeds hide (written to ``_truth/truth.npz``)."""

    genres: tuple[str, ...]
    user_ids: StrArray  # sorted; index i is listener i
    user_genre_weights: F32Array
    user_point: F32Array
    track_ids: StrArray  # sorted; index j is track j
    track_genre: IntArray
    track_features: FloatArray  # (tracks, 5), columns TRUTH_FEATURES, before any dirt
    track_popularity: FloatArray

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(
                handle,
                genres=np.array(self.genres),
                user_ids=self.user_ids,
                user_genre_weights=self.user_genre_weights,
                user_point=self.user_point,
                track_ids=self.track_ids,
                track_genre=self.track_genre,
                track_features=self.track_features,
                track_popularity=self.track_popularity,
            )

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                genres=tuple(str(g) for g in data["genres"]),
                user_ids=data["user_ids"],
                user_genre_weights=data["user_genre_weights"],
                user_point=data["user_point"],
                track_ids=data["track_ids"],
                track_genre=data["track_genre"],
                track_features=data["track_features"],
                track_popularity=data["track_popularity"],
            )

    def user_index(self, ids: npt.ArrayLike) -> IntArray:
        """Positions of listener ids; -1 where unknown."""
        return _lookup(self.user_ids, ids)

    def track_index(self, ids: npt.ArrayLike) -> IntArray:
        """Positions of track ids; -1 where unknown."""
        return _lookup(self.track_ids, ids)

    def match(self, user_idx: IntArray, track_idx: IntArray) -> FloatArray:
        energy = self.track_features[track_idx, TRUTH_FEATURES.index("energy")]
        valence = self.track_features[track_idx, TRUTH_FEATURES.index("valence")]
        return match_score(
            self.user_genre_weights[user_idx],
            self.user_point[user_idx],
            self.track_genre[track_idx],
            energy,
            valence,
        )

    def finish_probability(self, user_idx: IntArray, track_idx: IntArray) -> FloatArray:
        """Expected share of these (listener, track) plays that run to the end."""
        return finish_probability(self.match(user_idx, track_idx))


def _lookup(sorted_ids: StrArray, ids: npt.ArrayLike) -> IntArray:
    wanted = np.asarray(ids, dtype=np.str_)
    position = np.searchsorted(sorted_ids, wanted)
    position = np.clip(position, 0, max(len(sorted_ids) - 1, 0))
    found = sorted_ids[position] == wanted if len(sorted_ids) else np.zeros(len(wanted), bool)
    return np.where(found, position, -1).astype(np.int64)
