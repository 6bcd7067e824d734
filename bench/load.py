"""Load test over HTTP on loopback: ``philomath serve`` against a bare FastAPI app served the
same way, in the same run, with wrk (Debian's ``wrk``) as the load generator.

Run after ``philomath pipeline run`` with the same PHILOMATH_* settings (embedded defaults, or
PostgreSQL and Redis as backends: see BENCHMARKS.md):

    .venv/bin/python bench/load.py                       # 2 processes, 16 clients, 15 s each
    .venv/bin/python bench/load.py --processes 1 --connections 8 --duration 10 --json

Scenarios, each run against Philomath and then the bare app with the same requests:
  alexa-play  POST /alexa PlayMusicIntent turns (mood, genre, artist or activity slots),
              one device per listener, each Alexa account linked to a feed listener (its
              access token is that listener's API token)
  alexa-mix   40% PlayMusic, 20% free text (PlayRequestIntent), 20% PlaybackController Next,
              20% AudioPlayer events (started, nearly finished, finished)
  rest-recs   GET /v1/users/me/recommendations with each listener's bearer token
``--save FILE`` keeps the figures as JSON beside the table (``bench/capacity.py --load-json``).
``--rate`` paces each connection so that all of them together offer that many requests per
second (0: as fast as answers come). A 5xx, a socket error or a timeout is an error; so is a
4xx, since every request sent is valid.

Prints, per scenario, requests/s, p50/p95/p99 in ms and errors for both sides, the ratio, and
the server's CPU per request (all its processes, from /proc): steadier than throughput when
other jobs share the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from philomath.adapters import build_catalog
from philomath.settings import Settings
from skill.alexa.envelopes import (
    audio_player_request,
    intent_request,
    linked,
    playback_controller_request,
    search_request,
)

ROOT = Path(__file__).resolve().parent.parent
MOODS = ("relaxing", "happy", "energetic", "sad", "chill", "romantic")
ACTIVITIES = ("workout", "study", "party", "sleep", "focus")
FREE_TEXT = (
    "play something relaxing",
    "put on some upbeat music for my workout",
    "play some jazz",
    "I want to hear something sad",
    "play music for studying",
    "play the most popular songs",
    "something chill for the evening please",
    "play happy songs from the nineties",
)
EVENTS = ("PlaybackStarted", "PlaybackNearlyFinished", "PlaybackFinished")
# The bench only signs media links; this key exists for its servers alone.
BENCH_MEDIA_KEY = "bench-" + "k" * 32


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: str = ""
    token: str = ""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_ms: float = 0.0  # the server's CPU per request (all its processes)

    @property
    def per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server at {base} exited with {process.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base}/ready", timeout=2) as answer,
        ):
            if answer.status == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"{base} was not ready after {timeout_s:.0f} s")


@dataclass(frozen=True)
class Server:
    """A server under test: its address, and its processes (one group: every worker)."""

    base: str
    group: int

    def cpu_s(self) -> float:
        """CPU seconds used so far by every live process of the server's group (user and
        system, from /proc): divided by the requests served, the cost of one request, which
        unlike throughput does not shift with what else the machine runs."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.group:  # pgrp
                    ticks += int(fields[11]) + int(fields[12])  # utime + stime
        return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
            cwd=ROOT,
            start_new_session=True,  # one group: stopping it stops every worker
        )
    try:
        wait_ready(base, process)
        yield Server(base, process.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def post_json(url: str, body: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return dict(json.loads(answer.read()))


def listener(index: int) -> str:
    return f"usr-{index:07d}"


def from_account_of(index: int, envelope: dict[str, Any]) -> dict[str, Any]:
    """``envelope`` from the Alexa account linked to listener ``index``."""
    return linked(envelope, f"bench-{listener(index)}")


def play_calls(listeners: int, genres: list[str], artists: list[str]) -> list[Call]:
    """One PlayMusic turn per listener, on that listener's own device."""
    rng = random.Random(7)
    calls = []
    for index in range(listeners):
        slot = rng.choice(
            [
                {"Mood": rng.choice(MOODS)},
                {"Genre": rng.choice(genres)},
                {"Artist": rng.choice(artists)},
                {"Activity": rng.choice(ACTIVITIES)},
            ]
        )
        user = listener(index)
        envelope = from_account_of(
            index,
            intent_request("PlayMusicIntent", slot, f"amzn1.ask.account.{user}", f"device-{user}"),
        )
        calls.append(Call("POST", "/alexa", json.dumps(envelope)))
    return calls


def device_tokens(base: str, plays: list[Call]) -> dict[int, str]:
    """Listener index -> the stream token its device got from playing once against ``base``."""
    tokens: dict[int, str] = {}
    for index, play in enumerate(plays):
        directives = post_json(f"{base}/alexa", play.body)["response"].get("directives", [])
        if directives:
            tokens[index] = directives[0]["audioItem"]["stream"]["token"]
    if not tokens:
        raise SystemExit("no PlayMusic turn started music: is the pipeline's output there?")
    return tokens


def mix_calls(base: str, plays: list[Call]) -> list[Call]:
    """Plays, free text, Next and AudioPlayer events in the proportions of the docstring. The
    device tokens come from playing once on each device against ``base`` first."""
    rng = random.Random(11)
    tokens = device_tokens(base, plays)
    calls: list[Call] = []
    for index, token in tokens.items():
        user, device = f"amzn1.ask.account.{listener(index)}", f"device-{listener(index)}"
        text = from_account_of(index, search_request(rng.choice(FREE_TEXT), user, device))
        nxt = from_account_of(
            index,
            playback_controller_request(
                "Next", user, device, player_token=token, player_offset_ms=30_000
            ),
        )
        event = from_account_of(
            index, audio_player_request(rng.choice(EVENTS), token, 60_000, user, device)
        )
        others = (Call("POST", "/alexa", json.dumps(e)) for e in (text, nxt, event))
        calls += [plays[index], plays[index], *others]
    return calls


def recs_calls(listeners: int) -> list[Call]:
    rng = random.Random(13)
    return [
        Call(
            "GET",
            f"/v1/users/me/recommendations?mood={rng.choice(MOODS)}&limit=10",
            token=f"bench-{listener(index)}",
        )
        for index in range(listeners)
    ]


LUA = r"""
local calls = {%(calls)s}
local pace_ms = %(pace_ms)s
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  formatted = {}
  for i, c in ipairs(calls) do
    local headers = {["content-type"] = "application/json"}
    if c[4] ~= "" then headers["authorization"] = "Bearer " .. c[4] end
    formatted[i] = wrk.format(c[1], c[2], headers, c[3] ~= "" and c[3] or nil)
  end
  position = (id * 7919) %% #formatted
end

function request()
  position = position %% #formatted + 1
  return formatted[position]
end

function response(status, headers, body)
  if status >= 400 then errors = errors + 1 end
end

if pace_ms > 0 then
  function delay() return pace_ms end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do failed = failed + thread:get("errors") end
  local e = summary.errors
  failed = failed + e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    '\nRESULT {"requests": %%d, "seconds": %%.3f, "p50_ms": %%.3f, "p95_ms": %%.3f, ' ..
    '"p99_ms": %%.3f, "errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, failed))
end
"""


def lua_string(text: str) -> str:
    return f"[==[{text}]==]"


def wrk_script(calls: list[Call], pace_ms: float, folder: Path) -> Path:
    entries = ", ".join(
        "{" + ", ".join(lua_string(v) for v in (c.method, c.path, c.body, c.token)) + "}"
        for c in calls
    )
    script = folder / f"calls-{len(calls)}-{int(time.monotonic() * 1e6)}.lua"
    script.write_text(LUA % {"calls": entries, "pace_ms": f"{pace_ms:.3f}"})
    return script


def run_wrk(base: str, calls: list[Call], args: argparse.Namespace, folder: Path) -> Result:
    pace_ms = args.connections * 1000 / args.rate if args.rate else 0.0
    script = wrk_script(calls, pace_ms, folder)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in output.splitlines() if ln.startswith("RESULT "))
    return Result(**json.loads(line.removeprefix("RESULT ")))


def server_env(args: argparse.Namespace, listeners: int) -> dict[str, str]:
    tokens = {f"bench-{listener(i)}": listener(i) for i in range(listeners)}
    return os.environ | {
        "PHILOMATH_VERIFY_ALEXA_SIGNATURES": "false",
        "PHILOMATH_API_TOKENS": json.dumps(tokens),
        "PHILOMATH_MEDIA_SIGNING_KEY": os.environ.get(
            "PHILOMATH_MEDIA_SIGNING_KEY", BENCH_MEDIA_KEY
        ),
        "PHILOMATH_STREAM_BASE_URL": "http://127.0.0.1:8000/media",
    }


def philomath_command(args: argparse.Namespace) -> list[str]:
    return [
        str(Path(sys.executable).with_name("philomath")),
        "serve",
        "--processes",
        str(args.processes),
    ]


def bare_command(args: argparse.Namespace) -> list[str]:
    return [sys.executable, "-m", "bench.bare_app", "--processes", str(args.processes)]


def catalog_names(settings: Settings) -> tuple[list[str], list[str]]:
    catalog = build_catalog(settings)
    try:
        genres = catalog.genres()
        tracks = catalog.get_tracks([f"TRK{i:08d}" for i in range(0, 2000, 5)])
    finally:
        catalog.close()
    artists = sorted({t.artist_name for t in tracks.values()})
    if not genres or not artists:
        raise SystemExit("the catalog is empty: run `philomath pipeline run` first")
    return genres, artists


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2, help="server worker processes")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario side")
    parser.add_argument("--rate", type=float, default=0.0, help="offered requests/s (0: open)")
    parser.add_argument("--listeners", type=int, default=400)
    parser.add_argument(
        "--scenarios", default="alexa-play,alexa-mix,rest-recs", help="comma-separated"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--save", type=Path, help="also write the JSON document to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    settings = Settings()
    genres, artists = catalog_names(settings)
    plays = play_calls(args.listeners, genres, artists)
    env = server_env(args, args.listeners)
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    results: dict[str, dict[str, Result]] = {}
    with tempfile.TemporaryDirectory(prefix="philomath-load-") as tmp:
        folder = Path(tmp)
        log = folder / "servers.log"
        try:
            with serving(philomath_command(args), env, log) as server:
                base = server.base
                calls = {
                    "alexa-play": plays,
                    "alexa-mix": mix_calls(base, plays) if "alexa-mix" in scenarios else [],
                    "rest-recs": recs_calls(args.listeners),
                }
                for name in scenarios:
                    run_wrk(base, calls[name], _warmup(args), folder)
                    results[name] = {"philomath": measured(server, calls[name], args, folder)}
            with serving(bare_command(args), env, log) as server:
                for name in scenarios:
                    run_wrk(server.base, calls[name], _warmup(args), folder)
                    results[name]["bare"] = measured(server, calls[name], args, folder)
        except BaseException:
            sys.stderr.write(log.read_text(errors="replace")[-4000:] if log.exists() else "")
            raise
    report(results, args)


def measured(server: Server, calls: list[Call], args: argparse.Namespace, folder: Path) -> Result:
    """One wrk run against ``server``, with the server's CPU per request over it."""
    before = server.cpu_s()
    result = run_wrk(server.base, calls, args, folder)
    cpu_ms = 1000 * (server.cpu_s() - before) / max(result.requests, 1)
    return replace(result, cpu_ms=round(cpu_ms, 3))


def _warmup(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**(vars(args) | {"duration": 2}))


def report(results: dict[str, dict[str, Result]], args: argparse.Namespace) -> None:
    document = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "save")},
        "results": {
            name: {side: vars(r) | {"per_s": r.per_s} for side, r in sides.items()}
            for name, sides in results.items()
        },
    }
    if args.save is not None:
        args.save.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
        return
    rate = f"{args.rate:g}/s offered" if args.rate else "closed loop"
    print(f"{args.processes} processes, {args.connections} connections, {args.duration} s, {rate}")
    print(
        "| scenario | side | req/s | p50 ms | p95 ms | p99 ms | errors | req/s ratio "
        "| server CPU ms/req |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, sides in results.items():
        bare = sides["bare"].per_s
        for side, r in sides.items():
            ratio = f"{r.per_s / bare:.2f}x" if bare else "-"
            print(
                f"| {name} | {side} | {r.per_s:,.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
                f"| {r.p99_ms:.1f} | {r.errors} | {ratio} | {r.cpu_ms:.2f} |"
            )


if __name__ == "__main__":
    main()
