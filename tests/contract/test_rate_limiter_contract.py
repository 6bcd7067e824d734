"""The ``RateLimiter`` contract, run against the in-process and Redis adapters; adapter
specifics at the end. Time passes by a fake clock in process and for real on Redis (whose
buckets run on the server's clock), so the Redis rate is high and the waits generous."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from skill.api.security.rate_limit import InProcessRateLimiter, RateLimiter
from skill.api.security.redis_rate_limit import RedisRateLimiter
from tests.fakes import FakeClock

RATE = 20.0  # per second: one request every 50 ms
BURST = 3


@dataclass
class Harness:
    make: Callable[[], RateLimiter]  # limiters of one deployment: they share buckets
    advance: Callable[[float], None]


@pytest.fixture(params=["memory", "redis"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    made: list[RateLimiter] = []
    if request.param == "memory":
        clock = FakeClock()
        shared = InProcessRateLimiter(RATE, BURST, clock=clock)
        yield Harness(lambda: shared, clock.advance)
        shared.close()
        return
    url: str = request.getfixturevalue("redis_url")

    def make() -> RateLimiter:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        made.append(RedisRateLimiter(client, RATE, BURST))
        return made[-1]

    yield Harness(make, time.sleep)
    for limiter in made:
        limiter.close()


# -- the contract -------------------------------------------------------------------------


def test_a_burst_is_allowed_then_the_next_request_waits(harness: Harness) -> None:
    limiter = harness.make()
    assert [limiter.acquire("a") for _ in range(BURST)] == [0.0] * BURST
    wait_s = limiter.acquire("a")
    assert 0 < wait_s <= 1 / RATE + 0.01


def test_keys_have_their_own_buckets(harness: Harness) -> None:
    limiter = harness.make()
    for _ in range(BURST):
        limiter.acquire("a")
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_a_bucket_refills_at_the_rate(harness: Harness) -> None:
    limiter = harness.make()
    for _ in range(BURST):
        limiter.acquire("a")
    assert limiter.acquire("a") > 0
    harness.advance(0.5)  # ten tokens' worth, capped at the burst
    assert [limiter.acquire("a") for _ in range(BURST)] == [0.0] * BURST
    assert limiter.acquire("a") > 0


def test_a_refused_request_takes_nothing(harness: Harness) -> None:
    limiter = harness.make()
    for _ in range(BURST):
        limiter.acquire("a")
    for _ in range(20):
        assert limiter.acquire("a") > 0
    harness.advance(0.3)  # enough for a request, had the refusals not taken any
    assert limiter.acquire("a") == 0.0


def test_limiters_of_one_deployment_share_buckets(harness: Harness) -> None:
    first, second = harness.make(), harness.make()
    taken = [first.acquire("a") if i % 2 else second.acquire("a") for i in range(BURST)]
    assert taken == [0.0] * BURST
    assert first.acquire("a") > 0 and second.acquire("a") > 0


def test_concurrent_requests_never_exceed_the_burst(harness: Harness) -> None:
    limiter = harness.make()
    results: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        wait_s = limiter.acquire("hot")
        with lock:
            results.append(wait_s)

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Real time passes on Redis while the threads run: at most a token or two refills.
    assert BURST <= results.count(0.0) <= BURST + 2


# -- adapter specifics --------------------------------------------------------------------


def test_the_in_process_limiter_forgets_the_least_recent_keys() -> None:
    limiter = InProcessRateLimiter(RATE, 1, max_keys=2, clock=FakeClock())
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("c")  # "a" goes
    assert limiter.acquire("a") == 0.0  # a full bucket again
    assert limiter.acquire("c") > 0


def test_an_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    client = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
    )
    limiter = RedisRateLimiter(client, RATE, 1)
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    # Said once: Redis is left alone for a while, so requests do not wait on it each time.
    assert caplog.text.count("rate limits are off") == 1
    limiter.close()


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_a_rate_limit_needs_a_rate_and_a_burst(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        InProcessRateLimiter(rate, burst)
