"""The personalization team's listening events: ``listens/dt=YYYY-MM-DD/part-N.csv.gz``.

Plays are drawn from popularity x taste: a listener (heavy-tailed activity) picks a genre
from their true genre weights, then one of a few popular candidates of that genre, favouring
the one that sounds closest to their preferred energy/valence. Whether the play is skipped
follows ``taste.skip_probability`` of how well the track matches. Each day (and each part of a
big day) has its own seeded generator, so output does not depend on how the work is chunked
in memory, and one day at a time is all that is ever held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from recommender.data.generator.catalog_feed import CatalogWorld
from recommender.data.generator.feed_io import format_ids
from recommender.data.generator.taste import (
    GENRES,
    STOP_PROBABILITY,
    TASTE_WIDTH,
    Listeners,
    match_score,
    skip_probability,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]

FEED_DAYS = 90
EVENT_DIRT = (
    "duplicate_event",
    "unknown_track",
    "unknown_user",
    "malformed_timestamp",
    "negative_ms_played",
    "missing_end_reason",
)
_END_REASONS = ("finished", "skipped", "stopped")
DEVICES = ("echo", "echo_dot", "echo_show", "fire_tv", "ios_app", "android_app", "web")
_DEVICE_WEIGHTS = (0.22, 0.2, 0.08, 0.05, 0.2, 0.2, 0.05)
# Relative listening per hour of day (UTC): quiet nights, commute and evening peaks.
_HOURLY = np.array([0.6, 0.35, 0.25, 0.2, 0.2, 0.3, 0.7, 1.3, 1.7, 1.4, 1.2, 1.2,
                    1.3, 1.2, 1.1, 1.2, 1.5, 1.9, 2.1, 2.2, 2.0, 1.7, 1.3, 0.9])  # fmt: skip
_BROKEN_TIMESTAMPS = np.array(["", "N/A", "2026-13-45T25:61:00", "yesterday"])
_CANDIDATES = 8  # popular tracks of the chosen genre a listener picks among
_ID_SCRAMBLE = np.uint64(0x9E3779B97F4A7C15)  # odd: a bijection on uint64, so ids stay unique


@dataclass(frozen=True, slots=True)
class ListenWorld:
    """Everything a day's events are drawn from, precomputed once."""

    catalog: CatalogWorld
    listeners: Listeners
    user_ids: StrArray
    user_id_text: pa.Array  # the same ids as Arrow strings, for fast take()
    track_id_text: pa.Array
    primary_device: IntArray
    activity_cdf: FloatArray
    genre_tracks: tuple[IntArray, ...]  # per genre: its tracks
    genre_cdfs: tuple[FloatArray, ...]  # per genre: cumulative popularity of those tracks
    has_tracks: FloatArray  # 1.0 for genres with at least one track


def listen_world(
    catalog: CatalogWorld, listeners: Listeners, user_ids: StrArray, rng: np.random.Generator
) -> ListenWorld:
    tracks: list[IntArray] = []
    cdfs: list[FloatArray] = []
    for g in range(len(GENRES)):
        members = np.flatnonzero(catalog.track_genre == g)
        cdf = np.cumsum(catalog.popularity[members])
        tracks.append(members)
        cdfs.append(cdf / cdf[-1] if len(cdf) else cdf)
    activity_cdf = np.cumsum(listeners.activity)
    device_p = np.array(_DEVICE_WEIGHTS) / sum(_DEVICE_WEIGHTS)
    return ListenWorld(
        catalog=catalog,
        listeners=listeners,
        user_ids=user_ids,
        user_id_text=pa.array(user_ids),
        track_id_text=pa.array(catalog.track_ids),
        primary_device=rng.choice(len(DEVICES), size=len(user_ids), p=device_p),
        activity_cdf=activity_cdf / activity_cdf[-1],
        genre_tracks=tuple(tracks),
        genre_cdfs=tuple(cdfs),
        has_tracks=np.array([1.0 if len(t) else 0.0 for t in tracks]),
    )


def events_per_day(rng: np.random.Generator, events: int) -> IntArray:
    """Split the total over the days: weekends busier, slow growth over the quarter."""
    day = np.arange(FEED_DAYS)
    weight = (1.0 + 0.002 * day) * np.where(day % 7 >= 5, 1.25, 1.0)
    return rng.multinomial(events, weight / weight.sum()).astype(np.int64)


@dataclass(frozen=True, slots=True)
class DayPart:
    table: pa.Table
    dirt: dict[str, int]


def day_parts(
    world: ListenWorld,
    *,
    seed: int,
    day: int,
    count: int,
    first_seq: int,
    day_start: datetime,
    chunk_rows: int,
    dirty_rate: float,
) -> Iterator[DayPart]:
    """The day's events in parts of at most ``chunk_rows`` rows, each sorted by time."""
    parts = max(1, -(-count // chunk_rows))
    for part in range(parts):
        rng = np.random.default_rng([seed, 2, day, part])
        size = min(chunk_rows, count - part * chunk_rows)
        start_ms = int(day_start.timestamp() * 1000)
        yield _part(world, rng, size, first_seq + part * chunk_rows, start_ms, dirty_rate)


def _part(
    world: ListenWorld,
    rng: np.random.Generator,
    n: int,
    first_seq: int,
    start_ms: int,
    dirty_rate: float,
) -> DayPart:
    catalog, listeners = world.catalog, world.listeners
    user = np.minimum(np.searchsorted(world.activity_cdf, rng.random(n)), len(world.user_ids) - 1)
    track = _pick_tracks(world, rng, user)
    match = match_score(
        listeners.genre_weights[user],
        listeners.point[user],
        catalog.track_genre[track],
        catalog.features["energy"][track],
        catalog.features["valence"][track],
    )
    skipped = rng.random(n) < skip_probability(match)
    stopped = ~skipped & (rng.random(n) < STOP_PROBABILITY)
    duration_ms = catalog.duration_s[track] * 1000
    # Finished plays run to (almost) the end; skips come early; stops land anywhere after.
    skip_ms = np.minimum(rng.lognormal(np.log(12_000), 0.7, n), 0.35 * duration_ms)
    stop_ms = rng.uniform(0.3, 0.95, n) * duration_ms
    finish_ms = duration_ms - rng.integers(0, 1_500, n)
    ms_played = np.where(skipped, skip_ms, np.where(stopped, stop_ms, finish_ms))
    ms_played = np.maximum(ms_played, 500).astype(np.int64)
    hour = rng.choice(24, size=n, p=_HOURLY / _HOURLY.sum())
    ts_ms = start_ms + hour * 3_600_000 + rng.integers(0, 3_600_000, n)
    other_device = rng.integers(0, len(DEVICES), n)
    device = np.where(rng.random(n) < 0.8, world.primary_device[user], other_device)
    reason = np.where(skipped, 1, np.where(stopped, 2, 0))

    # Text columns are built with Arrow kernels: per-row Python would dominate at 100M rows.
    order = np.argsort(ts_ms, kind="stable")
    seq = (np.arange(first_seq, first_seq + n, dtype=np.uint64) + np.uint64(1)) * _ID_SCRAMBLE
    table = pa.table(
        {
            "event_id": pc.binary_join_element_wise("ev-", _text(seq), ""),
            "user_id": world.user_id_text.take(pa.array(user[order])),
            "track_id": world.track_id_text.take(pa.array(track[order])),
            "ts_ms": _text(ts_ms[order]),
            "ms_played": _text(ms_played[order]),
            "end_reason": pa.array(_END_REASONS).take(pa.array(reason[order])),
            "device": pa.array(DEVICES).take(pa.array(device[order])),
        }
    )
    return _dirty(table, rng, dirty_rate, len(catalog.track_ids), len(world.user_ids))


def _text(numbers: npt.NDArray[np.integer[Any]]) -> pa.Array:
    return pc.cast(pa.array(numbers), pa.string())


def _pick_tracks(world: ListenWorld, rng: np.random.Generator, user: IntArray) -> IntArray:
    listeners, catalog = world.listeners, world.catalog
    n = len(user)
    weights = listeners.genre_weights[user].astype(np.float64) * world.has_tracks
    cumulative = np.cumsum(weights, axis=1)
    genre = (cumulative < rng.random(n)[:, None] * cumulative[:, -1:]).sum(axis=1)
    genre = np.minimum(genre, len(GENRES) - 1)
    candidates = np.zeros((n, _CANDIDATES), dtype=np.int64)
    for g, (members, cdf) in enumerate(zip(world.genre_tracks, world.genre_cdfs, strict=True)):
        rows = np.flatnonzero(genre == g)
        if len(rows) and len(members):
            draws = np.searchsorted(cdf, rng.random((len(rows), _CANDIDATES)))
            candidates[rows] = members[np.minimum(draws, len(members) - 1)]
    point = listeners.point[user].astype(np.float64)
    distance2 = (catalog.features["energy"][candidates] - point[:, :1]) ** 2 + (
        catalog.features["valence"][candidates] - point[:, 1:]
    ) ** 2
    appeal = np.exp(-distance2 / (2 * TASTE_WIDTH**2)) + 1e-9
    # Family accounts almost never get explicit tracks played.
    hidden = catalog.explicit[candidates] & listeners.explicit_filter[user][:, None]
    appeal = np.where(hidden, appeal * 1e-3, appeal)
    cumulative_appeal = np.cumsum(appeal, axis=1)
    pick = (cumulative_appeal < rng.random(n)[:, None] * cumulative_appeal[:, -1:]).sum(axis=1)
    chosen: IntArray = candidates[np.arange(n), np.minimum(pick, _CANDIDATES - 1)]
    return chosen


def _dirty(
    table: pa.Table, rng: np.random.Generator, dirty_rate: float, n_tracks: int, n_users: int
) -> DayPart:
    n = table.num_rows
    kind = np.where(rng.random(n) < dirty_rate, rng.integers(0, len(EVENT_DIRT), n), -1)
    # A duplicate repeats a clean row before it (the first row has none).
    previous = np.concatenate([[0], kind[:-1]])[:n]
    kind = np.where((kind == 0) & (previous != -1), -1, kind)
    ghost = rng.integers(0, 1_000_000, n)
    broken: dict[str, tuple[int, Callable[[IntArray], StrArray]]] = {
        "track_id": (1, lambda g: format_ids("TRK", n_tracks + g, 8)),
        "user_id": (2, lambda g: format_ids("usr-", n_users + g, 7)),
        "ts_ms": (3, lambda g: _BROKEN_TIMESTAMPS[g % len(_BROKEN_TIMESTAMPS)]),
        "end_reason": (5, lambda g: np.where(g % 2 == 0, "N/A", "")),
    }
    for name, (k, values) in broken.items():
        hit = kind == k
        if hit.any():
            column = pc.replace_with_mask(table[name], pa.array(hit), pa.array(values(ghost[hit])))
            table = table.set_column(table.schema.get_field_index(name), name, column)
    negative = kind == 4
    if negative.any():
        played = table["ms_played"].filter(pa.array(negative)).combine_chunks()
        minus = pc.binary_join_element_wise("-", played, "")
        column = pc.replace_with_mask(table["ms_played"], pa.array(negative), minus)
        table = table.set_column(table.schema.get_field_index("ms_played"), "ms_played", column)
    # At-least-once delivery: the row is a second copy of the one before it.
    source = np.arange(n)
    source[kind == 0] -= 1
    table = table.take(pa.array(source))
    return DayPart(table, {name: int((kind == k).sum()) for k, name in enumerate(EVENT_DIRT)})
