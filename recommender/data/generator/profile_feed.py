"""The personalization team's user profiles feed: ``user_profiles.jsonl``.

Their conventions: camelCase keys, ISO-8601 sign-up times in the listener's local offset,
genres in display spelling ("Hip-Hop"), moods in listeners' own words ("chill"), and
``explicitFilter`` meaning explicit tracks must be hidden. Stated preferences correlate with
the true taste but are not it: people name a few favourites and some aspirations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from playback.vocabulary import MOODS, words_for_moods
from recommender.data.generator.taste import GENRES, Listeners
from recommender.data.moodtags import mood_mask

PROFILE_DIRT = ("impossible_birth_year", "malformed_json", "malformed_signup_ts", "empty_strings")
# Country of the listener, and its UTC offset in hours for the sign-up timestamp.
USER_COUNTRIES: dict[str, int] = {
    "US": -5, "GB": 0, "DE": 1, "FR": 1, "BR": -3, "IN": 5,
    "JP": 9, "MX": -6, "CA": -5, "AU": 10, "ES": 1, "SE": 1,
}  # fmt: skip
_COUNTRY_WEIGHTS = (0.35, 0.1, 0.1, 0.06, 0.08, 0.08, 0.05, 0.05, 0.04, 0.04, 0.03, 0.02)
_GENDERS = ("female", "male", "non-binary", None)


def write_profiles(
    listeners: Listeners,
    user_ids: list[str],
    rng: np.random.Generator,
    path: Path,
    *,
    feed_start: datetime,
    dirty_rate: float,
) -> dict[str, int]:
    """Write one JSON object per line; returns how many lines got each kind of dirt."""
    n = len(user_ids)
    countries = list(USER_COUNTRIES)
    country_p = np.array(_COUNTRY_WEIGHTS) / sum(_COUNTRY_WEIGHTS)
    country = rng.choice(len(countries), size=n, p=country_p)
    birth_year = np.clip(np.round(rng.normal(1990, 12, n)), 1935, 2011).astype(int)
    gender = rng.choice(len(_GENDERS), size=n, p=(0.47, 0.45, 0.03, 0.05))
    signup_age_s = rng.uniform(86_400, 3 * 365 * 86_400, n)
    genres = _stated_genres(rng, listeners)
    moods = _stated_moods(rng, listeners)
    dirty = rng.random(n) < dirty_rate
    kind = np.where(dirty, rng.integers(0, len(PROFILE_DIRT), n), -1)
    start_s = feed_start.timestamp()

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for i in range(n):
            code = countries[country[i]]
            offset = timezone(timedelta(hours=USER_COUNTRIES[code]))
            signed_up = datetime.fromtimestamp(start_s - signup_age_s[i], tz=UTC).astimezone(offset)
            record: dict[str, object] = {
                "userId": user_ids[i],
                "countryCode": code,
                "birthYear": int(birth_year[i]),
                "gender": _GENDERS[gender[i]],
                "signupTs": signed_up.isoformat(timespec="seconds"),
                "preferences": {"genres": genres[i], "moods": moods[i]},
                "explicitFilter": bool(listeners.explicit_filter[i]),
            }
            line = _dirty(record, PROFILE_DIRT[kind[i]]) if kind[i] >= 0 else json.dumps(record)
            handle.write(line + "\n")
    return {name: int((kind == k).sum()) for k, name in enumerate(PROFILE_DIRT)}


def _dirty(record: dict[str, object], kind: str) -> str:
    if kind == "impossible_birth_year":
        record["birthYear"] = 1850 if record["birthYear"] % 2 else 2091  # type: ignore[operator]
    elif kind == "malformed_signup_ts":
        record["signupTs"] = "last tuesday"
    elif kind == "empty_strings":
        record["countryCode"] = ""
        record["gender"] = "N/A"
    text = json.dumps(record)
    # A writer crashed mid-line: the record is cut off.
    return text[: len(text) // 2] if kind == "malformed_json" else text


def _stated_genres(rng: np.random.Generator, listeners: Listeners) -> list[list[str]]:
    """Favourites by noisy true weight, 1-3 of them, sometimes one aspirational extra."""
    weights = listeners.genre_weights.astype(np.float64)
    n, n_genres = weights.shape
    noisy = np.log(weights + 1e-9) + rng.gumbel(0.0, 0.8, size=(n, n_genres))
    ranked: list[list[int]] = np.argsort(-noisy, axis=1, kind="stable").tolist()
    how_many: list[int] = np.asarray(rng.integers(1, 4, size=n)).tolist()
    extra: list[int] = np.where(rng.random(n) < 0.15, rng.integers(0, n_genres, n), -1).tolist()
    labels = [genre.label for genre in GENRES]
    stated: list[list[str]] = []
    for i in range(n):
        chosen = ranked[i][: how_many[i]]
        if extra[i] >= 0 and extra[i] not in chosen:
            chosen.append(extra[i])
        stated.append([labels[g] for g in chosen])
    return stated


def _stated_moods(rng: np.random.Generator, listeners: Listeners) -> list[list[str]]:
    """Moods of the listener's typical track, said in their own words."""
    weights = listeners.genre_weights.astype(np.float64)
    typical = {
        name: weights @ np.array([getattr(genre, name) for genre in GENRES])
        for name in ("acousticness", "danceability", "tempo")
    }
    typical["energy"] = listeners.point[:, 0].astype(np.float64)
    typical["valence"] = listeners.point[:, 1].astype(np.float64)
    mask = mood_mask(typical) & (rng.random((len(weights), len(MOODS))) < 0.7)
    mask |= rng.random((len(weights), len(MOODS))) < 0.05
    words = words_for_moods()
    pick = rng.random((len(weights), len(MOODS)))
    stated: list[list[str]] = []
    for i in range(len(weights)):
        said = []
        for j in np.flatnonzero(mask[i]):
            options = (MOODS[j], *words[MOODS[j]])
            said.append(options[int(pick[i, j] * len(options))])
        stated.append(said)
    return stated
