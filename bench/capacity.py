"""The capacity model: the seed's scale (100 million songs, 5 million active listeners, 10
million at peak) priced from per-unit costs measured here, each row naming its measurement.

    .venv/bin/python bench/capacity.py --load-json load.json [--pipeline-json big.json]

Measured live, on the pipeline's output under PHILOMATH_DATA_DIR (``var`` by default): bytes
per catalog track (the SQLite file), per stored list and per profile as the DynamoDB adapters
write them (their own item layout, sized by DynamoDB's rules), lists per listener, bytes per
cached entry in Redis (``MEMORY USAGE`` on 127.0.0.1:6379, database 15, keys removed
after), bytes per play event as the Kinesis adapter sends it.

Taken from other benches: ``--load-json`` (``bench/load.py --json``) gives skill turns per
second per serving process and the p50; ``--pipeline-json`` (``philomath pipeline run --json``
at a large scale) gives batch-inference listeners per second and training time per event.

Traffic is an assumption, stated in the output and set by flags: at peak, a share of the peak
listeners stream at once; each track (``--track-s``) brings its AudioPlayer events and the
enqueue request to the skill, and every few tracks a voice turn.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql

from philomath.settings import Settings
from recommender.serving.list_reader import encode_list
from recommender.storage.dynamodb_profiles import _item as profile_item
from recommender.storage.dynamodb_recommendations import DynamoDBRecommendationStore
from recommender.storage.profile_json import dump_profile
from recommender.storage.recommendations import RecommendationList
from recommender.storage.sqlite_profiles import SqliteProfileStore
from recommender.storage.sqlite_recommendations import SqliteRecommendationStore

SONGS, ACTIVE, PEAK = 100_000_000, 5_000_000, 10_000_000
SAMPLE = 2_000
GB = 1e9
KINESIS_RECORDS_PER_S, KINESIS_BYTES_PER_S = 1_000, 1_000_000  # per shard, writes
DDB_PARTITION_RCU = 3_000  # one partition's read ceiling: a hot key cannot go past it


@dataclass(frozen=True)
class Row:
    what: str
    figure: str
    measured: str


def sqlite_path(url: str) -> Path:
    if not url.startswith("sqlite:///"):
        raise SystemExit(f"capacity.py measures the embedded SQLite files; got {url}")
    return Path(url.removeprefix("sqlite:///"))


def ddb_bytes(item: dict[str, dict[str, Any]]) -> int:
    """An item's size as DynamoDB bills it: names plus values (strings and binaries by
    length, numbers at about one byte per two digits plus one)."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        ((kind, raw),) = value.items()
        if kind == "N":
            size += len(raw.replace(".", "").replace("-", "")) // 2 + 1
        else:
            size += len(raw if isinstance(raw, bytes) else str(raw).encode())
    return size


def sample_lists(path: Path) -> tuple[list[RecommendationList], int, int]:
    """(up to SAMPLE lists of the current snapshot, its lists, its listeners)."""
    store = SqliteRecommendationStore(path)
    try:
        current = store.snapshot_pointer().current
        suffix = f"#{current}" if current else ""
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            keys = [
                (user, context.removesuffix(suffix))
                for user, context in conn.execute("SELECT user_id, context FROM recommendations")
                if (context.endswith(suffix) if suffix else "#" not in context)
            ]
        rng = random.Random(5)
        sample = rng.sample(keys, min(SAMPLE, len(keys)))
        lists = [store.get_list(u, c, snapshot=current) for u, c in sample]
    finally:
        store.close()
    found = [stored for stored in lists if stored is not None]
    if not found:
        raise SystemExit(f"no recommendation lists in {path}: run `philomath pipeline run`")
    return found, len(keys), len({user for user, _ in keys})


def measure(settings: Settings) -> dict[str, float]:
    catalog = sqlite_path(settings.catalog_url)
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as conn:
        tracks = conn.execute("SELECT count(*) FROM tracks").fetchone()[0]
    lists, total_lists, list_users = sample_lists(sqlite_path(settings.store_url))
    store = DynamoDBRecommendationStore(None, "capacity")  # its item layout only: no I/O
    items = list(store._items(lists, "20261206T000000Z"))  # noqa: SLF001
    profiles_db = SqliteProfileStore(sqlite_path(settings.profiles_url))
    try:
        profiles = list(profiles_db.get_many(sorted({x.user_id for x in lists})).values())
    finally:
        profiles_db.close()
    cache = redis.Redis(host="127.0.0.1", port=6379, db=15)
    try:
        cache.set("capacity:list", encode_list(lists[0]))
        cache.set("capacity:profile", dump_profile(profiles[0]).encode())
        list_cached = cache.memory_usage("capacity:list") or 0
        profile_cached = cache.memory_usage("capacity:profile") or 0
    finally:
        cache.delete("capacity:list", "capacity:profile")
    events = sqlite_path(settings.events_url)
    with sqlite3.connect(f"file:{events}?mode=ro", uri=True) as conn:
        payloads = [len(row[0].encode()) for row in conn.execute(_EVENTS_SQL).fetchall()]
    return {
        "catalog_bytes_per_track": catalog.stat().st_size / max(1, tracks),
        "list_item_bytes": sum(map(ddb_bytes, items)) / len(items),
        "lists_per_listener": total_lists / max(1, list_users),
        "profile_item_bytes": sum(ddb_bytes(profile_item(p)) for p in profiles) / len(profiles),
        "redis_list_bytes": float(list_cached),
        "redis_profile_bytes": float(profile_cached),
        "event_bytes": sum(payloads) / len(payloads) if payloads else 300.0,
        "events_measured": float(len(payloads)),
    }


def postgres_bytes_per_track(dsn: str, schema: str) -> float:
    with psycopg.connect(dsn) as conn:
        table = sql.Identifier(schema, "tracks")
        row = conn.execute(
            sql.SQL(
                "SELECT pg_total_relation_size({0}::regclass), (SELECT count(*) FROM {1})"
            ).format(sql.Literal(f"{schema}.tracks"), table)
        ).fetchone()
    if row is None or not row[1]:
        raise SystemExit(f"no tracks in {schema}.tracks")
    return float(row[0]) / float(row[1])


_EVENTS_SQL = "SELECT body FROM playback_events ORDER BY id DESC LIMIT 1000"


def model(m: dict[str, float], args: argparse.Namespace) -> list[Row]:
    streams = PEAK * args.streaming_share  # listening at the same moment, at peak
    per_track = args.events_per_track + 1 + args.voice_turns_per_track  # events, enqueue, voice
    skill_rate = streams * per_track / args.track_s
    event_rate = streams * args.events_per_track / args.track_s
    rows = [
        Row(
            "catalog, 100M tracks",
            f"{SONGS * m['catalog_bytes_per_track'] / GB:,.0f} GB",
            f"{m['catalog_bytes_per_track']:,.0f} B per track (SQLite file with its indexes)",
        ),
    ]
    if "pg_bytes_per_track" in m:
        rows.append(
            Row(
                "catalog on PostgreSQL, 100M tracks",
                f"{SONGS * m['pg_bytes_per_track'] / GB:,.0f} GB",
                f"{m['pg_bytes_per_track']:,.0f} B per track (table, indexes and TOAST)",
            )
        )
    rows += [
        Row(
            "recommendation store, 5M listeners",
            f"{ACTIVE * m['lists_per_listener'] * m['list_item_bytes'] / GB:,.1f} GB a snapshot",
            f"{m['lists_per_listener']:.1f} lists per listener, "
            f"{m['list_item_bytes']:,.0f} B per DynamoDB item",
        ),
        Row(
            "profiles, 10M listeners",
            f"{PEAK * m['profile_item_bytes'] / GB:,.1f} GB",
            f"{m['profile_item_bytes']:,.0f} B per DynamoDB item",
        ),
        Row(
            "peak skill requests (voice turns, AudioPlayer events, enqueues)",
            f"{skill_rate:,.0f} /s",
            f"assumed: {args.streaming_share:.0%} of {PEAK:,} streaming, a track every "
            f"{args.track_s:.0f} s, {per_track:.1f} requests a track",
        ),
    ]
    rows += _serving_rows(m, args, skill_rate, streams)
    rows += _stream_rows(m, event_rate)
    rows += _batch_rows(args)
    return rows


def _serving_rows(
    m: dict[str, float], args: argparse.Namespace, skill_rate: float, streams: float
) -> list[Row]:
    rows = []
    if args.load is not None:
        play = args.load["results"]["alexa-play"]["philomath"]
        per_process = play["per_s"] / args.load["settings"]["processes"]
        rows += [
            Row(
                "serving processes (one core each) at peak",
                f"{math.ceil(skill_rate / per_process):,}",
                f"{per_process:,.0f} PlayMusic turns/s per process (bench/load.py, 16 clients)",
            ),
            Row(
                "Lambda concurrency at peak",
                f"{math.ceil(skill_rate / per_process):,}",
                "rate x time per request; an instance serves one request at a time, taken as "
                "a process's time per turn under load (1 / turns per second)",
            ),
        ]
    reads = skill_rate * args.store_reads_per_request * (1 - args.cache_hit)
    rows += [
        Row(
            "DynamoDB reads at peak (eventually consistent)",
            f"{math.ceil(reads * math.ceil(m['list_item_bytes'] / 4096) / 2):,} RCU",
            f"{args.store_reads_per_request} store reads a request, {args.cache_hit:.0%} "
            f"answered by the cache (assumed), items under 4 KB",
        ),
        Row(
            "hot key: a chart every cold start reads",
            f"{DDB_PARTITION_RCU:,} RCU partition ceiling",
            "each process keeps the charts in memory (ListReader); Redis before DynamoDB",
        ),
        Row(
            "Redis memory, every listener streaming at peak cached",
            f"{streams * (m['redis_list_bytes'] * 2 + m['redis_profile_bytes']) / GB:,.1f} GB",
            f"{m['redis_list_bytes']:,.0f} B per cached list, {m['redis_profile_bytes']:,.0f} "
            "B per profile (MEMORY USAGE), two lists and a profile per listener",
        ),
    ]
    return rows


def _stream_rows(m: dict[str, float], event_rate: float) -> list[Row]:
    by_records = event_rate / KINESIS_RECORDS_PER_S
    by_bytes = event_rate * m["event_bytes"] / KINESIS_BYTES_PER_S
    return [
        Row(
            "Kinesis shards at peak",
            f"{math.ceil(max(by_records, by_bytes) * 1.25):,} (25% headroom)",
            f"{event_rate:,.0f} events/s of {m['event_bytes']:,.0f} B "
            f"({m['events_measured']:.0f} events read): bounded by records, not bytes",
        ),
        Row(
            "profile writes from the consumer",
            f"{math.ceil(event_rate):,} WCU",
            "one profile update per event (items under 1 KB)",
        ),
    ]


def _batch_rows(args: argparse.Namespace) -> list[Row]:
    if args.pipeline is None:
        return [Row("batch inference and training", "not measured", "pass --pipeline-json")]
    report = args.pipeline  # `philomath pipeline run --json`
    listeners = report["user_lists"]
    recommend_s = report["timings"]["recommend"]
    train_s = report["timings"]["train"]
    per_s = listeners / recommend_s
    events = report["interactions"]
    return [
        Row(
            "batch inference, 5M listeners, on 2 cores",
            _hours_and_cost(ACTIVE / per_s / 3600, args.usd_per_core_hour),
            f"{per_s:,.0f} listeners/s, charts included, at {listeners:,} listeners and "
            f"{report['tracks']:,} tracks (pipeline run --json)",
        ),
        Row(
            "training on the seed's history (linear in events)",
            _hours_and_cost(train_s * args.seed_events / events / 3600, args.usd_per_core_hour),
            f"{train_s:,.0f} s for {events:,} events; the seed's history assumed "
            f"{args.seed_events:,} events",
        ),
        Row("training and inference on one GPU", "not measured", "no GPU was lent to this work"),
    ]


def _hours_and_cost(hours: float, usd_per_core_hour: float) -> str:
    return f"{hours:,.1f} h on 2 cores, ${hours * 2 * usd_per_core_hour:,.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load-json", type=Path, help="bench/load.py --json output")
    parser.add_argument("--pipeline-json", type=Path, help="a large pipeline run's figures")
    parser.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg-schema", help="a schema the catalog step loaded, to size it")
    parser.add_argument("--streaming-share", type=float, default=0.10)
    parser.add_argument("--track-s", type=float, default=210.0)
    parser.add_argument("--events-per-track", type=float, default=3.0)
    parser.add_argument("--voice-turns-per-track", type=float, default=0.25)
    parser.add_argument("--store-reads-per-request", type=int, default=2)
    parser.add_argument("--cache-hit", type=float, default=0.8)
    parser.add_argument(
        "--usd-per-core-hour", type=float, default=0.045, help="assumed on-demand vCPU price"
    )
    parser.add_argument("--seed-events", type=int, default=2_000_000_000)
    args = parser.parse_args()
    args.load = json.loads(args.load_json.read_text()) if args.load_json else None
    args.pipeline = json.loads(args.pipeline_json.read_text()) if args.pipeline_json else None
    figures = measure(Settings())
    if args.pg_schema:
        figures["pg_bytes_per_track"] = postgres_bytes_per_track(args.pg_dsn, args.pg_schema)
    print("| what | figure | from |\n| --- | --- | --- |")
    for row in model(figures, args):
        print(f"| {row.what} | {row.figure} | {row.measured} |")
    json.dump(figures, sys.stderr, indent=2)


if __name__ == "__main__":
    main()
