"""Deterministic generator of the two teams' raw feeds, in their own formats.

Layout under ``out_dir``::

    manifest.json                          seed, scale, row counts, file list (written last)
    personalization/user_profiles.jsonl    one profile per line (camelCase, local offsets)
    personalization/listens/dt=YYYY-MM-DD/part-N.csv.gz   listening events, epoch ms
    catalog/artists.csv, albums.csv, tracks.csv           the music data team's catalog
    _truth/truth.npz, dirt.json, README.txt               NOT a feed: hidden ground truth

Same seed and scale give byte-identical files. Work is vectorised and events are streamed
one day (or ``chunk_rows`` rows) at a time, so a million listeners and 100M events fit.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from recommender.data.generator.catalog_feed import build_catalog, write_catalog_feed
from recommender.data.generator.feed_io import format_ids, write_csv
from recommender.data.generator.listen_feed import (
    FEED_DAYS,
    day_parts,
    events_per_day,
    listen_world,
)
from recommender.data.generator.profile_feed import write_profiles
from recommender.data.generator.taste import GENRES, GroundTruth, sample_listeners

GENERATOR_VERSION = "feeds.v1"
FEED_START = datetime(2026, 7, 1, tzinfo=UTC)
_FEED_DIRS = ("personalization", "catalog", "_truth")
_TRUTH_README = """\
Ground truth of the generated world. NOT A FEED: no pipeline step may read it.
It exists so an offline evaluation can score recommendations against what listeners really
like (``taste.GroundTruth.finish_probability``: the expected share of plays that run to the
end). dirt.json counts the dirty rows injected per feed and kind.
"""


@dataclass(frozen=True, slots=True)
class FeedManifest:
    """What ``generate_feeds`` wrote: enough to tell whether a rerun can be skipped."""

    seed: int
    users: int
    tracks: int
    events: int
    dirty_rate: float
    chunk_rows: int
    generator_version: str = GENERATOR_VERSION
    row_counts: dict[str, int] = field(default_factory=dict)
    files: tuple[str, ...] = ()  # paths relative to out_dir, posix style

    def same_scale(self, other: FeedManifest) -> bool:
        keys = (
            "seed",
            "users",
            "tracks",
            "events",
            "dirty_rate",
            "chunk_rows",
            "generator_version",
        )
        return all(getattr(self, key) == getattr(other, key) for key in keys)

    def to_json(self) -> str:
        data = asdict(self)
        data["files"] = list(self.files)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FeedManifest:
        data = json.loads(text)
        data["files"] = tuple(data["files"])
        return cls(**data)


def generate_feeds(
    out_dir: Path,
    *,
    users: int,
    tracks: int,
    events: int,
    seed: int,
    dirty_rate: float = 0.02,
    chunk_rows: int = 1_000_000,
    progress: bool = True,
    force: bool = False,
) -> FeedManifest:
    """Write both teams' feeds and the hidden truth; skip when the manifest already matches."""
    if users < 1 or tracks < 1 or events < 0 or chunk_rows < 1:
        raise ValueError("need users >= 1, tracks >= 1, events >= 0, chunk_rows >= 1")
    if not 0.0 <= dirty_rate <= 0.5:
        raise ValueError("dirty_rate must be within [0, 0.5]")
    wanted = FeedManifest(seed, users, tracks, events, dirty_rate, chunk_rows)
    existing = _read_manifest(out_dir)
    if (
        not force
        and existing is not None
        and existing.same_scale(wanted)
        and all((out_dir / name).is_file() for name in existing.files)
    ):
        _say(progress, f"feeds in {out_dir} already match seed {seed} and scale; skipped")
        return existing

    for name in (*_FEED_DIRS, "manifest.json"):
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    manifest = _generate(out_dir, wanted, progress)
    # Written last: an interrupted run leaves no manifest and is redone next time.
    (out_dir / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _generate(out_dir: Path, scale: FeedManifest, progress: bool) -> FeedManifest:
    seed = scale.seed
    steps = tqdm(total=4, desc="generate feeds", unit="step", disable=not progress, file=sys.stderr)
    catalog = build_catalog(np.random.default_rng([seed, 0]), scale.tracks)
    listeners = sample_listeners(np.random.default_rng([seed, 1]), scale.users)
    user_ids = format_ids("usr-", np.arange(scale.users), 7)
    counts, catalog_dirt, files = write_catalog_feed(
        catalog, np.random.default_rng([seed, 3]), out_dir / "catalog", scale.dirty_rate
    )
    steps.update()

    profiles_path = out_dir / "personalization" / "user_profiles.jsonl"
    profile_dirt = write_profiles(
        listeners,
        user_ids.tolist(),
        np.random.default_rng([seed, 4]),
        profiles_path,
        feed_start=FEED_START,
        dirty_rate=scale.dirty_rate,
    )
    files.append(profiles_path)
    counts["user_profiles"] = scale.users
    steps.update()

    world = listen_world(catalog, listeners, user_ids, np.random.default_rng([seed, 5]))
    per_day = events_per_day(np.random.default_rng([seed, 6]), scale.events)
    event_dirt: dict[str, int] = {}
    listens = out_dir / "personalization" / "listens"
    bar = tqdm(
        total=scale.events,
        desc="listening events",
        unit="event",
        disable=not progress,
        file=sys.stderr,
        leave=False,
    )
    first_seq = 0
    for day, count in enumerate(per_day.tolist()):
        day_start = FEED_START + timedelta(days=day)
        parts = day_parts(
            world,
            seed=seed,
            day=day,
            count=count,
            first_seq=first_seq,
            day_start=day_start,
            chunk_rows=scale.chunk_rows,
            dirty_rate=scale.dirty_rate,
        )
        for k, part in enumerate(parts):
            path = listens / f"dt={day_start:%Y-%m-%d}" / f"part-{k}.csv.gz"
            write_csv(part.table, path)
            files.append(path)
            for name, n in part.dirt.items():
                event_dirt[name] = event_dirt.get(name, 0) + n
            bar.update(part.table.num_rows)
        first_seq += count
    bar.close()
    counts["listen_events"] = scale.events
    counts["listen_days"] = FEED_DAYS
    steps.update()

    truth_dir = out_dir / "_truth"
    GroundTruth(
        genres=tuple(genre.name for genre in GENRES),
        user_ids=user_ids,
        user_genre_weights=listeners.genre_weights,
        user_point=listeners.point,
        track_ids=catalog.track_ids,
        track_genre=catalog.track_genre,
        track_features=catalog.feature_matrix(),
        track_popularity=catalog.popularity,
    ).save(truth_dir / "truth.npz")
    dirt = {"tracks": catalog_dirt, "user_profiles": profile_dirt, "listen_events": event_dirt}
    (truth_dir / "dirt.json").write_text(json.dumps(dirt, indent=2, sort_keys=True) + "\n")
    (truth_dir / "README.txt").write_text(_TRUTH_README)
    files += [truth_dir / "truth.npz", truth_dir / "dirt.json", truth_dir / "README.txt"]
    steps.update()
    steps.close()

    relative = tuple(sorted(path.relative_to(out_dir).as_posix() for path in files))
    return FeedManifest(
        scale.seed,
        scale.users,
        scale.tracks,
        scale.events,
        scale.dirty_rate,
        scale.chunk_rows,
        row_counts=counts,
        files=relative,
    )


def _read_manifest(out_dir: Path) -> FeedManifest | None:
    path = out_dir / "manifest.json"
    try:
        return FeedManifest.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # absent or from another version: regenerate


def _say(progress: bool, message: str) -> None:
    if progress:
        tqdm.write(message, file=sys.stderr)
