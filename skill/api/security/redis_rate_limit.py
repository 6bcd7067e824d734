"""``RateLimiter`` on Redis: the token buckets every worker shares.

One Lua script per request reads, refills and takes from a bucket atomically, on the
server's clock (workers' clocks may disagree). A bucket is a hash ``prefix + key`` that
expires once it would be full again. When Redis cannot be reached the limiter lets requests
through, says so in the log, and leaves Redis alone for ``pause_s`` so requests do not wait
on it: a rate limit is no reason to take the API down.
"""

from __future__ import annotations

import logging
import math
import time

import redis

from skill.api.security.rate_limit import check_rate

logger = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV: rate per second, burst. Returns the wait in microseconds (0: taken).
_TAKE = """
local now_t = redis.call('TIME')
local now = tonumber(now_t[1]) * 1000000 + tonumber(now_t[2])
local rate = tonumber(ARGV[1]) / 1000000
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate / 1000) + 1000)
return wait
"""


class RedisRateLimiter:
    """Token buckets on a Redis client the caller built; the adapter owns it."""

    def __init__(
        self,
        client: redis.Redis,
        rate_per_s: float,
        burst: int,
        *,
        prefix: str = "philomath:rate:",
        pause_s: float = 5.0,
    ) -> None:
        check_rate(rate_per_s, burst)
        self._client, self._rate, self._burst, self._prefix = client, rate_per_s, burst, prefix
        self._take = client.register_script(_TAKE)
        self._pause_s = pause_s
        self._paused_until = -math.inf

    def acquire(self, key: str) -> float:
        if time.monotonic() < self._paused_until:
            return 0.0
        try:
            wait_us = self._take(keys=[self._prefix + key], args=[repr(self._rate), self._burst])
        except redis.RedisError as exc:
            self._paused_until = time.monotonic() + self._pause_s
            logger.warning(
                "rate limits are off for %.0f s: Redis is unavailable (%s)", self._pause_s, exc
            )
            return 0.0
        return int(wait_us) / 1_000_000

    def close(self) -> None:
        self._client.close()
