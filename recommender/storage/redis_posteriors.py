"""``PosteriorStore`` in Redis: a hash per arm, a key per recorded event id.

``record`` updates each arm in an optimistic transaction (WATCH the arm and the event's key,
MULTI, EXEC; retried when another writer got there first), so the event mark and the
posterior change together. Event marks expire after ``event_ttl_s``, longer than any stream
keeps a record that could be redelivered. Every ``redis.RedisError`` becomes
``PosteriorStoreUnavailable``."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from recommender.errors import PosteriorStoreUnavailable
from recommender.storage.posteriors import Evidence, Fold, Posterior

EVENT_TTL_S = 30 * 86_400


class RedisPosteriorStore:
    def __init__(
        self, client: redis.Redis, prefix: str = "philomath:bandit:", event_ttl_s: int = EVENT_TTL_S
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._event_ttl_s = event_ttl_s

    def ensure_schema(self) -> None:
        """Nothing to create."""

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        unique = list(dict.fromkeys(track_ids))
        try:
            pipe = self._client.pipeline(transaction=False)
            for track in unique:
                pipe.hmget(self._arm(context, track), "alpha", "beta", "at")
            rows = pipe.execute()
        except redis.RedisError as exc:
            raise PosteriorStoreUnavailable(f"redis posterior read failed: {exc}") from exc
        return {t: _posterior(row) for t, row in zip(unique, rows, strict=True) if row[0]}

    def record(self, evidence: Sequence[Evidence], fold: Fold) -> int:
        try:
            return sum(self._record_one(item, fold) for item in evidence)
        except redis.RedisError as exc:
            raise PosteriorStoreUnavailable(f"redis posterior update failed: {exc}") from exc

    def _record_one(self, item: Evidence, fold: Fold) -> bool:
        arm = self._arm(item.context, item.track_id)
        mark = f"{self._prefix}event:{item.event_id}:{item.context}:{item.track_id}"
        with self._client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(arm, mark)  # type: ignore[no-untyped-call]
                    if pipe.exists(mark):
                        pipe.unwatch()
                        return False
                    row = pipe.hmget(arm, "alpha", "beta", "at")
                    after = fold(_posterior(row) if row[0] else None, item)
                    pipe.multi()
                    pipe.hset(
                        arm,
                        mapping={"alpha": after.alpha, "beta": after.beta, "at": after.updated_at},
                    )
                    pipe.set(mark, b"1", ex=self._event_ttl_s)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue

    def close(self) -> None:
        try:
            self._client.close()
        except redis.RedisError as exc:
            raise PosteriorStoreUnavailable(f"redis close failed: {exc}") from exc

    def _arm(self, context: str, track_id: str) -> str:
        return f"{self._prefix}arm:{context}:{track_id}"


def _posterior(row: Sequence[bytes | str | None]) -> Posterior:
    alpha, beta, at = (float(value) if value is not None else 0.0 for value in row)
    return Posterior(alpha, beta, at)
