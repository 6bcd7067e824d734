"""Fault load test: a bounded mixed load on ``philomath serve`` with PostgreSQL and Redis as
backends while Redis, then PostgreSQL, then the feedback consumer are stopped and restarted.
It checks that no answer is a 5xx, that answers degrade and recover, and that every play
event the load caused is applied to the profiles exactly once.

Run after ``philomath pipeline run`` with the catalog on PostgreSQL (``PHILOMATH_CATALOG_URL=
postgresql://...?schema=...``: see README, "Load test"). The bench starts servers of its own,
on free ports, so that stopping them disturbs nobody else on the machine:

- a redis-server with ``appendonly yes`` (``appendfsync everysec``), the configuration
  ``playback/redis_stream.py`` asks of a Redis holding the event stream; it holds the cache,
  the device queues and the event stream;
- a PostgreSQL cluster (initdb into a temporary folder, as the ``postgres`` user when run as
  root) holding a copy of the catalog's schema (``pg_dump``);
- ``philomath serve --processes N`` (no ``--workers``) on the pipeline's data folder, and
  ``philomath consume`` beside it, a process of its own so it can be stopped alone.

Outages, each at a fraction of ``--duration`` (0.15, 0.40, 0.65): Redis stopped (SIGTERM,
as ``service redis-server stop``), PostgreSQL stopped (``pg_ctl stop -m fast``), the consumer
killed (SIGKILL, a crash); each restarted after its ``--*-down`` seconds.

The load follows a schedule of ``--rate`` requests/s on ``--connections`` connections: each
takes the next slot and sends at its time, or late when every connection is still waiting
for an answer; how late is reported (``late_p99_ms``), so a phase whose answers slowed shows
it there as well as in its latencies, measured from sending. 25% PlayMusic turns,
15% AudioPlayer.PlaybackStarted and 10% PlaybackFinished reports (each records a play event)
from ``--listeners`` Alexa listeners, 30% REST recommendations and 20% REST event uploads
(one or two ``started``/``skipped`` events, each with an ``event_id`` of the bench's) from as
many other listeners. Every answer's status and time is kept, with the phase it was sent in.

Exactly once: before the load the bench reads each listener's play and skip counts and
applied event ids in the profile store; after it, it waits for the consumer to drain and
compares. An event counts as sent when its request was answered 2xx. Missing: sent but not
applied; duplicates: a play or skip count above what was sent (the applied-ids table cannot
hold an id twice, so a double application shows in the counts).

    .venv/bin/python bench/fault_load.py --duration 90      # a quick check
    .venv/bin/python bench/fault_load.py --save fault.json  # 10 minutes, 60 req/s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import redis
from load import (
    ROOT,
    Call,
    catalog_names,
    device_tokens,
    free_port,
    from_account_of,
    listener,
    philomath_command,
    play_calls,
    recs_calls,
    server_env,
    serving,
)

from philomath.adapters import build_profiles, build_spool
from philomath.settings import Settings
from playback.directives import track_id_of
from playback.errors import CatalogUnavailable
from skill.alexa.envelopes import audio_player_request

OUTAGE_AT = {"redis": 0.15, "postgres": 0.40, "consumer": 0.65}
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


# -- servers of the bench's own ------------------------------------------------------------


class RedisServer:
    """A redis-server on ``port`` keeping its data in ``folder`` (append-only file)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "yes", "--appendfsync", "everysec"]
        command += ["--dir", str(self.folder), "--logfile", str(self.folder / "redis.log")]
        self._process = subprocess.Popen(command)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(redis.RedisError):
                if client.ping():
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"redis-server on port {self.port} did not start")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits, as on a service stop."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
            self._process = None


class PostgresServer:
    """A PostgreSQL cluster of the bench's own in ``folder``, listening on ``port``."""

    def __init__(self, folder: Path, port: int) -> None:
        if not PG_BIN:
            raise SystemExit("PostgreSQL's server programs are not installed (postgresql)")
        self.bin, self.folder, self.port = PG_BIN[-1], folder, port
        self.dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if os.geteuid() == 0:  # initdb refuses root; the cluster belongs to ``postgres``
            self.folder.parent.chmod(0o755)
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """``-m fast``: open connections are cut, as on a service stop."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def load_schema(self, source_url: str, schema: str) -> None:
        """Copy ``schema`` of the database at ``source_url`` into this cluster (a password
        comes from libpq's usual places, such as PGPASSWORD)."""
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", "-n", schema, source_url],
            capture_output=True,
        )
        if dump.returncode != 0 or not dump.stdout:
            reason = dump.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
            raise SystemExit(f"cannot copy the catalog's schema {schema!r}: {reason[-1]}")
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", self.dsn],
            input=dump.stdout,
            stdout=subprocess.DEVNULL,
            check=True,
        )

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd="/")


@dataclass(frozen=True)
class Outage:
    service: str
    at_s: float  # from the start of the load
    down_s: float
    stop: Callable[[], None]
    restart: Callable[[], None]


class Consumer:
    """``philomath consume`` as a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env, self._log = env, log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(Path(sys.executable).with_name("philomath")), "consume"]
        with self._log.open("ab") as out:
            self._process = subprocess.Popen(
                command, env=self._env, stdout=out, stderr=out, cwd=ROOT
            )

    def stop(self) -> None:
        """SIGKILL: a crash anywhere in a pass, the case exactly-once must survive."""
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self._process = None


def catalog_source(settings: Settings) -> tuple[str, str]:
    """(connection URL without the query, schema) of the pipeline's PostgreSQL catalog."""
    url = urlsplit(settings.catalog_url)
    if not url.scheme.startswith("postgres"):
        raise SystemExit(
            "PHILOMATH_CATALOG_URL must name the pipeline's PostgreSQL catalog "
            "(postgresql://...?schema=...): run `philomath pipeline run` with it first"
        )
    schema = parse_qs(url.query).get("schema", ["public"])[0]
    return url._replace(query="").geturl(), schema


# -- the load --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    kind: str  # play, started, finished, recs, events
    call: Call
    user: str = ""
    events: tuple[tuple[str, str], ...] = ()  # (event_id or "", kind) this request records


@dataclass
class Sample:
    at_s: float
    phase: str
    kind: str
    status: int  # 0: no answer (socket error or timeout)
    ms: float  # from sending to the answer
    degraded: bool
    late_ms: float  # sent this long after its slot in the schedule (the client's lag)


@dataclass
class Ledger:
    """What the load sent: per listener, the events answered 2xx, and the REST events' ids."""

    applied: Counter[str] = field(default_factory=Counter)
    plays: Counter[str] = field(default_factory=Counter)
    skips: Counter[str] = field(default_factory=Counter)
    ids: set[tuple[str, str]] = field(default_factory=set)
    unsure: int = 0  # events whose request got no answer, or not a 2xx

    def answered(self, request: Request, status: int) -> None:
        if not request.events:
            return
        if not 200 <= status < 300:
            self.unsure += len(request.events)
            return
        for event_id, kind in request.events:
            self.applied[request.user] += 1
            self.plays[request.user] += kind == "started"
            self.skips[request.user] += kind == "skipped"
            if event_id:
                self.ids.add((request.user, event_id))


class Mix:
    """The requests of the module docstring, drawn at random in its proportions."""

    def __init__(self, plays: list[Call], tokens: dict[int, str], listeners: int) -> None:
        self._rng = random.Random(17)
        self._plays = plays
        self._tokens = list(tokens.items())
        self._tracks = [t for _, token in self._tokens if (t := track_id_of(token))]
        self._recs = recs_calls(2 * listeners)[listeners:]
        self._rest = range(listeners, 2 * listeners)
        self._run = uuid.uuid4().hex[:8]
        self._sent = 0
        self._draws: list[Callable[[], Request]] = [self.play, self.started, self.finished]
        self._draws += [self.recs, self.events]
        self._weights = [25, 15, 10, 30, 20]

    def next(self) -> Request:
        return self._rng.choices(self._draws, self._weights)[0]()

    def play(self) -> Request:
        return Request("play", self._rng.choice(self._plays))

    def started(self) -> Request:
        return self._report("PlaybackStarted", "started")

    def finished(self) -> Request:
        return self._report("PlaybackFinished", "finished")

    def _report(self, report: str, kind: str) -> Request:
        index, token = self._rng.choice(self._tokens)
        user = listener(index)
        envelope = audio_player_request(
            report, token, 60_000, f"amzn1.ask.account.{user}", f"device-{user}"
        )
        body = json.dumps(from_account_of(index, envelope))
        return Request(kind, Call("POST", "/alexa", body), user, (("", kind),))

    def recs(self) -> Request:
        return Request("recs", self._rng.choice(self._recs))

    def events(self) -> Request:
        user = listener(self._rng.choice(self._rest))
        events = []
        for _ in range(self._rng.randint(1, 2)):
            self._sent += 1
            kind = self._rng.choice(("started", "skipped"))
            events.append((f"fault-{self._run}-{self._sent}", kind))
        body = {
            "events": [
                {"kind": kind, "track_id": self._rng.choice(self._tracks), "event_id": event_id}
                for event_id, kind in events
            ]
        }
        call = Call("POST", "/v1/users/me/events", json.dumps(body), f"bench-{user}")
        return Request("events", call, user, tuple(events))


class Phases:
    """The phase requests are sent in, and the degraded-answer counters at each change."""

    def __init__(self) -> None:
        self.current = "normal"
        self.spans: list[dict[str, Any]] = []

    def enter(self, name: str, at_s: float, degraded: dict[str, float]) -> None:
        if self.spans:
            self.spans[-1] |= {"end_s": at_s, "degraded_after": degraded}
        self.spans.append({"phase": name, "start_s": at_s, "degraded_before": degraded})
        self.current = name


async def degraded_counts(client: httpx.AsyncClient) -> dict[str, float]:
    """``philomath_degraded_answers_total`` by cause, from the servers' /metrics."""
    try:
        text = (await client.get("/metrics", timeout=5)).text
    except httpx.HTTPError:
        return {}
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("philomath_degraded_answers_total{"):
            labels, value = line.rsplit(" ", 1)
            cause = labels.split('cause="', 1)[1].split('"', 1)[0]
            counts[cause] = counts.get(cause, 0.0) + float(value)
    return counts


async def send(
    client: httpx.AsyncClient,
    request: Request,
    phases: Phases,
    start: float,
    samples: list[Sample],
    ledger: Ledger,
    late_ms: float,
) -> None:
    call = request.call
    headers = {"content-type": "application/json"}
    if call.token:
        headers["authorization"] = f"Bearer {call.token}"
    phase, began = phases.current, time.monotonic()
    degraded = False
    try:
        answer = await client.request(
            call.method, call.path, content=call.body or None, headers=headers
        )
        status = answer.status_code
        if request.kind == "recs" and status == 200:
            degraded = bool(answer.json().get("degraded"))
    except httpx.HTTPError:
        status = 0
    ms = (time.monotonic() - began) * 1e3
    samples.append(Sample(began - start, phase, request.kind, status, ms, degraded, late_ms))
    ledger.answered(request, status)


async def drive(
    base: str,
    mix: Mix,
    args: argparse.Namespace,
    outages: list[Outage],
    ledger: Ledger,
) -> tuple[list[Sample], Phases]:
    samples: list[Sample] = []
    phases = Phases()
    limits = httpx.Limits(max_connections=args.connections)
    async with httpx.AsyncClient(base_url=base, timeout=10.0, limits=limits) as client:
        start = time.monotonic()
        phases.enter("normal", 0.0, await degraded_counts(client))

        async def schedule() -> None:
            for outage in outages:
                await asyncio.sleep(max(0.0, start + outage.at_s - time.monotonic()))
                before = await degraded_counts(client)
                await asyncio.to_thread(outage.stop)
                phases.enter(f"{outage.service} down", time.monotonic() - start, before)
                back = start + outage.at_s + outage.down_s
                await asyncio.sleep(max(0.0, back - time.monotonic()))
                await asyncio.to_thread(outage.restart)
                at = time.monotonic() - start
                phases.enter(f"after {outage.service}", at, await degraded_counts(client))

        slots = itertools.count()

        async def connection() -> None:
            # Takes the next slot of the schedule; late when every connection was busy.
            while (due := start + next(slots) / args.rate) < start + args.duration:
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                late_ms = (time.monotonic() - due) * 1e3
                await send(client, mix.next(), phases, start, samples, ledger, late_ms)

        outage_task = asyncio.create_task(schedule())
        await asyncio.gather(*(connection() for _ in range(args.connections)))
        await outage_task
        end = time.monotonic() - start
        phases.spans[-1] |= {"end_s": end, "degraded_after": await degraded_counts(client)}
    return samples, phases


# -- exactly once --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreState:
    applied: dict[str, int]  # listener -> applied event ids
    plays: dict[str, int]
    skips: dict[str, int]
    ids: frozenset[tuple[str, str]]  # (listener, event id) of the bench's REST events


def store_state(settings: Settings, users: list[str]) -> StoreState:
    """The profile store's view of ``users``: counts from the profiles (the project's
    ``ProfileStore``) and applied ids read from its SQLite table (no port reads them)."""
    if not settings.profiles_url.startswith("sqlite:///"):
        raise SystemExit("the exactly-once check reads a SQLite profile store")
    profiles = build_profiles(settings)
    try:
        stored = profiles.get_many(users)
    finally:
        profiles.close()
    path = settings.profiles_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.execute("PRAGMA busy_timeout = 10000")
        rows = db.execute(
            "SELECT user_id, event_id FROM applied_events WHERE user_id IN "
            f"({', '.join('?' * len(users))})",
            users,
        ).fetchall()
    applied = Counter(user for user, _ in rows)
    return StoreState(
        {u: applied[u] for u in users},
        {u: stored[u].play_count if u in stored else 0 for u in users},
        {u: stored[u].skip_count if u in stored else 0 for u in users},
        frozenset((u, i) for u, i in rows if i.startswith("fault-")),
    )


def reconcile(before: StoreState, after: StoreState, ledger: Ledger) -> dict[str, int]:
    users = list(before.applied)
    sent = sum(ledger.applied.values())
    applied = sum(after.applied[u] - before.applied[u] for u in users)
    missing = sum(max(0, ledger.applied[u] - (after.applied[u] - before.applied[u])) for u in users)
    extra_plays = sum(max(0, after.plays[u] - before.plays[u] - ledger.plays[u]) for u in users)
    extra_skips = sum(max(0, after.skips[u] - before.skips[u] - ledger.skips[u]) for u in users)
    return {
        "sent": sent,
        "applied": applied,
        "missing": missing,
        "duplicates": extra_plays + extra_skips,
        "rest_ids_sent": len(ledger.ids),
        "rest_ids_missing": len(ledger.ids - after.ids),
        "unanswered_or_refused": ledger.unsure,
    }


def drain(
    settings: Settings, users: list[str], before: StoreState, ledger: Ledger, timeout_s: float
) -> tuple[dict[str, int], float, int]:
    """Wait for the consumer to apply what was sent (or ``timeout_s``): the reconciliation,
    the seconds it took and the events left in the spool."""
    spool = build_spool(settings)
    began = time.monotonic()
    try:
        while True:
            result = reconcile(before, store_state(settings, users), ledger)
            pending = spool.count()
            if (result["missing"] == 0 and pending == 0) or time.monotonic() - began > timeout_s:
                return result, time.monotonic() - began, pending
            time.sleep(2.0)
    finally:
        spool.close()


# -- report ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def summarize(samples: list[Sample], phases: Phases) -> list[dict[str, Any]]:
    rows = []
    for span in phases.spans:
        mine = [s for s in samples if s.phase == span["phase"]]
        recs = [s for s in mine if s.kind == "recs" and s.status == 200]
        before, after = span["degraded_before"], span.get("degraded_after", {})
        degraded = {c: after.get(c, 0.0) - before.get(c, 0.0) for c in after}
        seconds = span["end_s"] - span["start_s"]
        rows.append(
            {
                "phase": span["phase"],
                "start_s": round(span["start_s"], 1),
                "seconds": round(seconds, 1),
                "requests": len(mine),
                "per_s": len(mine) / seconds if seconds else 0.0,
                "statuses": dict(sorted(Counter(str(s.status) for s in mine).items())),
                "server_errors": sum(s.status >= 500 for s in mine),
                "no_answer": sum(s.status == 0 for s in mine),
                "p50_ms": percentile([s.ms for s in mine], 50),
                "p99_ms": percentile([s.ms for s in mine], 99),
                "late_p99_ms": percentile([s.late_ms for s in mine], 99),
                "recs_degraded": sum(s.degraded for s in recs),
                "recs_answered": len(recs),
                "degraded_by_cause": {c: int(v) for c, v in degraded.items() if v},
            }
        )
    return rows


def per_second(samples: list[Sample]) -> list[dict[str, Any]]:
    seconds: dict[int, list[Sample]] = {}
    for sample in samples:
        seconds.setdefault(int(sample.at_s), []).append(sample)
    return [
        {
            "second": second,
            "phase": group[0].phase,
            "statuses": dict(Counter(str(s.status) for s in group)),
            "p50_ms": round(percentile([s.ms for s in group], 50), 1),
            "max_ms": round(max(s.ms for s in group), 1),
            "recs_degraded": sum(s.degraded for s in group),
        }
        for second, group in sorted(seconds.items())
    ]


def report(document: dict[str, Any], args: argparse.Namespace) -> None:
    if args.save is not None:
        args.save.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
        return
    s = document["settings"]
    print(
        f"{s['processes']} processes, {s['rate']:g} req/s offered for {s['duration']} s, "
        f"{document['requests']} requests, statuses {document['statuses']}"
    )
    print(
        "| phase | from s | s | requests | req/s | statuses | 5xx | no answer | p50 ms "
        "| p99 ms | sent late p99 ms | degraded recs | degraded answers by cause |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for row in document["phases"]:
        statuses = " ".join(f"{k}:{v}" for k, v in row["statuses"].items())
        causes = " ".join(f"{k}:{v}" for k, v in row["degraded_by_cause"].items()) or "-"
        print(
            f"| {row['phase']} | {row['start_s']:.0f} | {row['seconds']:.0f} "
            f"| {row['requests']} | {row['per_s']:.0f} | {statuses} | {row['server_errors']} "
            f"| {row['no_answer']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} "
            f"| {row['late_p99_ms']:.0f} "
            f"| {row['recs_degraded']}/{row['recs_answered']} | {causes} |"
        )
    e = document["events"]
    print(
        f"events: sent {e['sent']}, applied {e['applied']}, missing {e['missing']}, "
        f"duplicates {e['duplicates']} (REST ids: {e['rest_ids_sent']} sent, "
        f"{e['rest_ids_missing']} missing; {e['unanswered_or_refused']} in requests not "
        f"answered 2xx); drained in {document['drain_s']:.0f} s, "
        f"{document['spool_left']} left in the spool"
    )


# -- main ------------------------------------------------------------------------------------


@contextlib.contextmanager
def own_backends(
    source: str, schema: str, folder: Path
) -> Iterator[tuple[RedisServer, PostgresServer]]:
    """A Redis and a PostgreSQL holding a copy of ``schema`` of ``source``, both stopped after."""
    redis_server = RedisServer(folder / "redis", free_port())
    # A folder of its own: when run as root, the ``postgres`` user must be able to reach it.
    pg_folder = Path(tempfile.mkdtemp(prefix="philomath-fault-pg-")) / "pg"
    postgres = PostgresServer(pg_folder, free_port())
    try:
        redis_server.start()
        postgres.init()
        postgres.start()
        postgres.load_schema(source, schema)
        yield redis_server, postgres
    finally:
        redis_server.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            postgres.stop()
        shutil.rmtree(postgres.folder.parent, ignore_errors=True)


def outage_plan(
    args: argparse.Namespace,
    redis_server: RedisServer,
    postgres: PostgresServer,
    consumer: Consumer,
) -> list[Outage]:
    longest = 0.15 * args.duration  # each outage ends before the next begins
    down = {"redis": args.redis_down, "postgres": args.pg_down, "consumer": args.consumer_down}
    services = {
        "redis": (redis_server.stop, redis_server.start),
        "postgres": (postgres.stop, postgres.start),
        "consumer": (consumer.stop, consumer.start),
    }
    return [
        Outage(name, OUTAGE_AT[name] * args.duration, min(down[name], longest), *services[name])
        for name in ("redis", "postgres", "consumer")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2, help="server worker processes")
    parser.add_argument("--rate", type=float, default=60.0, help="offered requests/s")
    parser.add_argument("--duration", type=int, default=600, help="seconds of load")
    parser.add_argument("--connections", type=int, default=32, help="most requests at once")
    parser.add_argument("--listeners", type=int, default=200, help="Alexa ones, as many REST")
    parser.add_argument("--redis-down", type=float, default=30.0, help="seconds")
    parser.add_argument("--pg-down", type=float, default=30.0, help="seconds")
    parser.add_argument("--consumer-down", type=float, default=40.0, help="seconds")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--save", type=Path, help="also write the JSON document to this file")
    parser.add_argument("--log", type=Path, help="keep the servers' and consumer's log here")
    args = parser.parse_args()
    for program in ["redis-server", *(["runuser"] if os.geteuid() == 0 else [])]:
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is not installed")

    settings = Settings()
    source, schema = catalog_source(settings)
    try:
        genres, artists = catalog_names(settings)
    except CatalogUnavailable as exc:
        reason = str(exc).splitlines()[0]
        raise SystemExit(f"the catalog cannot be read ({reason}): run the pipeline") from None
    plays = play_calls(args.listeners, genres, artists)
    with (
        tempfile.TemporaryDirectory(prefix="philomath-fault-") as tmp,
        own_backends(source, schema, Path(tmp)) as (redis_server, postgres),
    ):
        folder = Path(tmp)
        log = args.log or folder / "servers.log"
        env = server_env(args, 2 * args.listeners) | {
            "PHILOMATH_CATALOG_URL": f"{postgres.dsn}?schema={schema}",
            "PHILOMATH_CACHE_URL": redis_server.url,
            "PHILOMATH_QUEUE_URL": redis_server.url,
            "PHILOMATH_EVENTS_URL": redis_server.url,
            "PHILOMATH_METRICS_PORT": str(free_port()),
        }
        consumer = Consumer(env, log)
        try:
            with serving(philomath_command(args), env, log) as server:
                base = server.base
                consumer.start()
                tokens = device_tokens(base, plays)
                mix = Mix(plays, tokens, args.listeners)
                users = [listener(i) for i in range(2 * args.listeners)]
                before = store_state(settings, users)
                ledger = Ledger()
                outages = outage_plan(args, redis_server, postgres, consumer)
                samples, phases = asyncio.run(drive(base, mix, args, outages, ledger))
                events, drain_s, spool_left = drain(
                    settings, users, before, ledger, args.drain_timeout
                )
        except BaseException:
            sys.stderr.write(log.read_text(errors="replace")[-4000:] if log.exists() else "")
            raise
        finally:
            consumer.stop()
    document = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "save", "log")},
        "requests": len(samples),
        "statuses": dict(sorted(Counter(str(s.status) for s in samples).items())),
        "phases": summarize(samples, phases),
        "events": events,
        "drain_s": drain_s,
        "spool_left": spool_left,
        "per_second": per_second(samples),
    }
    report(document, args)


if __name__ == "__main__":
    main()
