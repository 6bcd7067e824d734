"""``philomath serve --processes 2 --workers`` as a user starts it, on a tiny pipeline output:
both workers answer, and a stream URL signed by either verifies in both (the demo's media key,
unset here, is made once for all of them), while the supervisor runs the background roles."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.services import free_port

TOKEN, USER = "processes-token", "usr-0000001"
FETCHES = 24  # over fresh connections, so the kernel spreads them over both workers


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"connection": "close", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


@pytest.fixture(scope="module")
def base(tiny_pipeline: Path) -> Iterator[str]:
    data_dir = tiny_pipeline
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHILOMATH_")} | {
        "PHILOMATH_DATA_DIR": str(data_dir),
        "PHILOMATH_NLU_TRAIN": "false",
        "PHILOMATH_LOG_LEVEL": "WARNING",
        "PHILOMATH_VERIFY_ALEXA_SIGNATURES": "false",
        "PHILOMATH_API_TOKENS": json.dumps({TOKEN: USER}),
        "PHILOMATH_STREAM_BASE_URL": f"{url}/media",
    }
    command = [sys.executable, "-m", "philomath", "serve", "--processes", "2", "--workers"]
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=out, stderr=out,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_ready(url, server, log)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_ready(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve exited:\n{log.read_text(errors='replace')}"
        with contextlib.suppress(OSError):
            if _get(f"{url}/ready")[0] == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"serve --processes 2 was not ready in 120 s:\n{log.read_text()[-3000:]}")


def _stream_paths(base: str) -> list[str]:
    status, body = _get(
        f"{base}/v1/users/me/recommendations?limit=5", {"authorization": f"Bearer {TOKEN}"}
    )
    assert status == 200, body
    paths = []
    for item in json.loads(body)["items"]:
        parts = urlsplit(item["stream_url"])
        paths.append(f"{parts.path}?{parts.query}")
    assert paths
    return paths


def test_a_stream_url_signed_by_either_worker_verifies_in_both(base: str) -> None:
    # Each page is signed by whichever worker answered; each URL is then fetched several
    # times over new connections. With a key per process, about half would be refused.
    paths = [path for _ in range(4) for path in _stream_paths(base)]
    statuses = [_get(f"{base}{paths[i % len(paths)]}")[0] for i in range(FETCHES)]
    assert statuses == [200] * FETCHES


def _ready_count(base: str) -> float:
    status, body = _get(f"{base}/metrics")
    assert status == 200
    wanted = ('route="/ready"', 'method="GET"', 'status="200"')
    lines = [
        line
        for line in body.decode().splitlines()
        if line.startswith("philomath_http_requests_total{") and all(w in line for w in wanted)
    ]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_metrics_count_every_worker_whichever_answers_the_scrape(base: str) -> None:
    before = _ready_count(base)
    for _ in range(10):
        assert _get(f"{base}/ready")[0] == 200
    counts = {_ready_count(base) - before for _ in range(4)}  # several scrapes, any worker
    assert counts == {10.0}
