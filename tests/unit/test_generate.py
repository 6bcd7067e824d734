"""The feed generator: deterministic, to scale, realistic enough, dirty at the set rate."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import recommender.data.generator.feeds as generate_module
from playback.vocabulary import MOODS, mood_of_features
from recommender.data.generator.feeds import FeedManifest, generate_feeds
from recommender.data.generator.taste import TRUTH_FEATURES, GroundTruth

TINY: dict[str, Any] = {"users": 60, "tracks": 400, "events": 3_000}


def _events(root: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted((root / "personalization" / "listens").glob("dt=*/*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def _tracks(root: Path) -> list[dict[str, str]]:
    with (root / "catalog" / "tracks.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("medium")
    generate_feeds(
        root, users=400, tracks=3_000, events=40_000, seed=5, dirty_rate=0.03, progress=False
    )
    return root


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    generate_feeds(tmp_path / "a", seed=3, progress=False, **TINY)
    generate_feeds(tmp_path / "b", seed=3, progress=False, **TINY)
    generate_feeds(tmp_path / "c", seed=4, progress=False, **TINY)
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert a == b
    assert len(a) > 10
    differing = [name for name in a if name in c and a[name] != c[name]]
    assert "catalog/tracks.csv" in differing
    assert "personalization/user_profiles.jsonl" in differing


def test_scale_is_honoured_and_recorded(tmp_path: Path) -> None:
    manifest = generate_feeds(
        tmp_path, users=70, tracks=500, events=2_500, seed=1, chunk_rows=10, progress=False
    )
    lines = (tmp_path / "personalization" / "user_profiles.jsonl").read_text().splitlines()
    assert len(lines) == 70
    assert len(_tracks(tmp_path)) == 500
    assert len(_events(tmp_path)) == 2_500
    # A small chunk size splits days into several parts without changing the count.
    assert any(name.endswith("part-1.csv.gz") for name in manifest.files)
    assert manifest.row_counts["listen_events"] == 2_500
    recorded = FeedManifest.from_json((tmp_path / "manifest.json").read_text())
    assert recorded == manifest
    assert all((tmp_path / name).is_file() for name in manifest.files)


def test_matching_manifest_skips_work_unless_forced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = generate_feeds(tmp_path, seed=2, progress=False, **TINY)

    def fail(*args: object) -> FeedManifest:
        raise AssertionError("regenerated")

    monkeypatch.setattr(generate_module, "_generate", fail)
    assert generate_feeds(tmp_path, seed=2, progress=False, **TINY) == first
    with pytest.raises(AssertionError, match="regenerated"):
        generate_feeds(tmp_path, seed=2, progress=False, force=True, **TINY)
    with pytest.raises(AssertionError, match="regenerated"):
        generate_feeds(tmp_path, seed=9, progress=False, **TINY)


def test_top_one_percent_of_tracks_takes_a_large_share_of_plays(medium: Path) -> None:
    plays = Counter(row["track_id"] for row in _events(medium))
    counts = np.array(sorted(plays.values(), reverse=True))
    top = counts[:30].sum() / counts.sum()  # 1% of 3,000 tracks
    assert top > 0.15, f"top 1% share {top:.2%}: popularity is not heavy-tailed"


def test_skips_are_likelier_when_the_track_matches_the_listener_poorly(medium: Path) -> None:
    truth = GroundTruth.load(medium / "_truth" / "truth.npz")
    rows = _events(medium)
    users = truth.user_index([row["user_id"] for row in rows])
    tracks = truth.track_index([row["track_id"] for row in rows])
    known = (users >= 0) & (tracks >= 0)
    match = truth.match(users[known], tracks[known])
    skipped = np.array([row["end_reason"] == "skipped" for row in rows])[known]
    low, high = np.quantile(match, [0.25, 0.75])
    poor, good = skipped[match <= low].mean(), skipped[match >= high].mean()
    assert poor > 2 * good, (poor, good)
    finished = np.array([row["end_reason"] == "finished" for row in rows])[known]
    expected = truth.finish_probability(users[known], tracks[known]).mean()
    assert abs(finished.mean() - expected) < 0.03


def test_dirty_rows_appear_at_about_the_configured_rate(medium: Path) -> None:
    rows = _events(medium)
    known_tracks = {row["trackId"] for row in _tracks(medium)}
    lines = (medium / "personalization" / "user_profiles.jsonl").read_text().splitlines()
    known_users = {json.loads(line)["userId"] for line in lines if line.endswith("}")}
    seen: set[str] = set()
    dirty = 0
    for row in rows:
        bad = (
            row["event_id"] in seen
            or not row["ts_ms"].isdigit()
            or row["ms_played"].startswith("-")
            or row["end_reason"] not in ("finished", "skipped", "stopped")
            or row["track_id"] not in known_tracks
            or (row["user_id"] not in known_users and int(row["user_id"][4:]) >= 400)
        )
        dirty += bad
        seen.add(row["event_id"])
    assert 0.02 < dirty / len(rows) < 0.04
    recorded = json.loads((medium / "_truth" / "dirt.json").read_text())
    assert sum(recorded["listen_events"].values()) == dirty

    def unusable(value: str) -> bool:
        try:
            number = float(value)
        except ValueError:
            return True
        return not 0.0 <= number <= 1.0 and not 20 <= number <= 300

    bad_tracks = sum(
        any(unusable(row[name]) for name in TRUTH_FEATURES)
        or row["durationSec"].startswith("-")
        or row["genre"] != row["genre"].strip().lower()
        for row in _tracks(medium)
    )
    assert 0.015 < bad_tracks / 3_000 < 0.05


def test_a_clean_feed_is_possible(tmp_path: Path) -> None:
    generate_feeds(tmp_path, seed=8, dirty_rate=0.0, progress=False, **TINY)
    rows = _events(tmp_path)
    assert len({row["event_id"] for row in rows}) == len(rows)
    assert all(row["ts_ms"].isdigit() and row["ms_played"].isdigit() for row in rows)


def test_genres_have_their_own_sound(medium: Path) -> None:
    truth = GroundTruth.load(medium / "_truth" / "truth.npz")
    energy = truth.track_features[:, TRUTH_FEATURES.index("energy")]
    acoustic = truth.track_features[:, TRUTH_FEATURES.index("acousticness")]
    valence = truth.track_features[:, TRUTH_FEATURES.index("valence")]

    def mean(values: np.ndarray, genre: str) -> float:
        return float(values[truth.track_genre == truth.genres.index(genre)].mean())

    assert mean(energy, "ambient") < mean(energy, "classical") < mean(energy, "pop")
    assert mean(energy, "metal") > 0.8 and mean(valence, "metal") < 0.35
    assert mean(acoustic, "classical") > 0.8 > 0.2 > mean(acoustic, "electronic")


def test_mood_tags_follow_from_the_true_features(medium: Path) -> None:
    truth = GroundTruth.load(medium / "_truth" / "truth.npz")
    tracks = _tracks(medium)
    agree = 0
    for row, features in zip(tracks, truth.track_features, strict=True):
        derived = set(mood_of_features(**dict(zip(TRUTH_FEATURES, features, strict=True))))
        tagged = {tag.lower() for tag in row["moodTags"].split("|") if tag.lower() in MOODS}
        assert tagged <= derived
        agree += tagged == derived
    assert agree > len(tracks) // 3  # editors tag most moods a track has, not all


def test_stated_genres_correlate_with_but_differ_from_true_taste(medium: Path) -> None:
    truth = GroundTruth.load(medium / "_truth" / "truth.npz")
    lines = (medium / "personalization" / "user_profiles.jsonl").read_text().splitlines()
    hits = total = 0
    for line in lines:
        if not line.endswith("}"):
            continue
        profile = json.loads(line)
        user = truth.user_index([profile["userId"]])[0]
        favourite = truth.genres[int(truth.user_genre_weights[user].argmax())]
        stated = {genre.lower() for genre in profile["preferences"]["genres"]}
        hits += favourite in stated
        total += 1
    assert 0.5 < hits / total < 0.98
