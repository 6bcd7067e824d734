"""``PosteriorStore`` in one DynamoDB table: an item per arm, a marker item per event.

Keys: ``pk = arm#<context>``, ``sk = <track id>`` for an arm (alpha, beta, updated_at and a
revision); ``pk = event#<event id>``, ``sk = <context>#<track id>`` for a recorded event,
expiring (TTL) after ``event_ttl_s``. ``record`` writes each piece of evidence as one
transaction: the marker, on condition it does not exist, and the arm, on condition its
revision is the one read. A cancelled transaction is retried (jittered backoff) after a fresh
read, unless the marker exists (the event was recorded: skipped)."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from recommender.errors import PosteriorStoreUnavailable
from recommender.storage.dynamodb_table import DynamoDBTable, Item
from recommender.storage.posteriors import Evidence, Fold, Posterior

EVENT_TTL_S = 30 * 86_400
MAX_ATTEMPTS = 12
FIRST_BACKOFF_S = 0.005


class DynamoDBPosteriorStore:
    def __init__(self, client: Any, table_name: str, *, event_ttl_s: int = EVENT_TTL_S) -> None:
        self._client = client
        self._table = DynamoDBTable(
            client, table_name, ("pk", "sk"), PosteriorStoreUnavailable, ttl_attribute="ttl"
        )
        self._event_ttl_s = event_ttl_s

    def ensure_schema(self) -> None:
        self._table.ensure()

    def read(self, context: str, track_ids: Sequence[str]) -> dict[str, Posterior]:
        keys = [(f"arm#{context}", track) for track in dict.fromkeys(track_ids)]
        items = self._table.get_many(keys) if keys else []
        return {item["sk"]["S"]: _posterior(item) for item in items}

    def record(self, evidence: Sequence[Evidence], fold: Fold) -> int:
        return sum(self._record_one(item, fold) for item in evidence)

    def _record_one(self, item: Evidence, fold: Fold) -> bool:
        marker_key = (f"event#{item.event_id}", f"{item.context}#{item.track_id}")
        arm_key = (f"arm#{item.context}", item.track_id)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:  # another writer changed the arm: back off, jittered, then re-read
                time.sleep(random.uniform(0, FIRST_BACKOFF_S * 2 ** min(attempt, 6)))
            if self._table.get(marker_key, consistent=True) is not None:
                return False
            stored = self._table.get(arm_key, consistent=True)
            rev = int(stored["rev"]["N"]) if stored is not None else None
            after = fold(_posterior(stored) if stored is not None else None, item)
            if self._table.transact(self._actions(marker_key, arm_key, after, rev)):
                return True
        raise PosteriorStoreUnavailable(
            f"recording evidence kept conflicting with other writers after {MAX_ATTEMPTS} tries"
        )

    def _actions(
        self,
        marker_key: tuple[str, str],
        arm_key: tuple[str, str],
        after: Posterior,
        rev: int | None,
    ) -> list[dict[str, Any]]:
        expires = str(int(time.time() + self._event_ttl_s))
        marker = {**self._table.key_of(marker_key), "ttl": {"N": expires}}
        arm: Item = {
            **self._table.key_of(arm_key),
            "alpha": {"N": repr(after.alpha)},
            "beta": {"N": repr(after.beta)},
            "updated_at": {"N": repr(after.updated_at)},
            "rev": {"N": str((rev or 0) + 1)},
        }
        put_arm: dict[str, Any] = {"TableName": self._table.name, "Item": arm}
        if rev is None:
            put_arm["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put_arm["ConditionExpression"] = "#rev = :rev"
            put_arm["ExpressionAttributeNames"] = {"#rev": "rev"}
            put_arm["ExpressionAttributeValues"] = {":rev": {"N": str(rev)}}
        return [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": marker,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": put_arm},
        ]

    def close(self) -> None:
        """The client is shared; nothing to release."""


def _posterior(item: Item) -> Posterior:
    return Posterior(
        float(item["alpha"]["N"]), float(item["beta"]["N"]), float(item["updated_at"]["N"])
    )
