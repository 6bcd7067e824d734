"""``RecommendationStore`` in DynamoDB: the production store, read on every request.

Table design (one item per list)::

    user_id        S   partition key (``POPULAR_USER`` for charts)
    context        S   sort key: ``<context>#<snapshot>``, e.g.
                       ``mood:relaxing#popularity.v1.20261128T120000123456Z``: the context
                       (``all``, ``mood:<m>``, ``genre:<g>``, ``region:<cc>``, ...), then the
                       snapshot, which names the model version and the batch run; lists of
                       the unversioned base snapshot have the bare context
    snapshot       S   the snapshot id again (absent in the base snapshot), for maintenance
    model_version  S
    track_ids      S   ids each preceded by U+001F (``list_codec``): far smaller than an L
    scores         B   little-endian float64s packed back to back: exact, 8 bytes a score
    generated_at   N   unix seconds
    ttl            N   unix seconds after which DynamoDB may delete the item

TTL: batch inference rewrites the lists of every active listener on each run (daily), so
an item not rewritten for ``DEFAULT_TTL_S`` (7 days) belongs to a listener who dropped out
of the batch, or a context no longer produced; DynamoDB then deletes it for free instead of
keeping it forever. Seven days rides out a week of failed batch runs without emptying the
store (the router would fall back to popular lists anyway). The TTL counts from the write,
not from ``generated_at``, so backfilling old lists does not get them deleted at once.
Expired items may still be read until DynamoDB removes them (up to a few days later); the
router treats lists as a best effort, so they are not filtered here.

A list is one item, and an item is limited to 400 KB: about 14,000 track ids of 20
characters with their scores. ``put_lists`` raises ``ValueError`` for a larger one.
An item that cannot be decoded raises ``StoreUnavailable``, like a failing backend.

Snapshots: the pointer is one item (``user_id`` = ``_snapshots``, ``context`` = ``pointer``)
holding ``current``, ``previous`` and ``published_at``; ``publish_snapshot`` rewrites it
with a condition on the ``current`` it read, so two publishers cannot both win. A reader
resolves the pointer, then reads ``(user_id, context#current)``: both snapshots stay
complete, so a reader that resolved the pointer just before a switch still reads one whole
snapshot. The router refreshes the pointer every few seconds instead of on every request.
Old snapshots expire through the TTL (each run rewrites every list, so a snapshot not
current for seven days is gone); ``drop_snapshot`` deletes one at once with a full table
scan, a maintenance job's tool, not the serving path's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from recommender.errors import StoreUnavailable
from recommender.storage.dynamodb_table import DynamoDBTable, Item
from recommender.storage.list_codec import (
    pack_scores,
    pack_track_ids,
    unpack_scores,
    unpack_track_ids,
)
from recommender.storage.recommendations import (
    BASE_SNAPSHOT,
    RecommendationList,
    SnapshotPointer,
    check_snapshot_id,
    split_stored_context,
    stored_context,
)

DEFAULT_TTL_S = 7 * 24 * 3600
TTL_ATTRIBUTE = "ttl"
POINTER_KEY = ("_snapshots", "pointer")
_MAX_PUBLISH_ATTEMPTS = 5


class DynamoDBRecommendationStore:
    """Recommendation lists in one DynamoDB table; ``client`` is a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str, *, ttl_s: float = DEFAULT_TTL_S) -> None:
        self._table = DynamoDBTable(
            client,
            table_name,
            ("user_id", "context"),
            StoreUnavailable,
            ttl_attribute=TTL_ATTRIBUTE,
        )
        self._client = client
        self._ttl_s = ttl_s

    def ensure_schema(self) -> None:
        self._table.ensure()

    def put_lists(self, lists: Iterable[RecommendationList], *, snapshot: str | None = None) -> int:
        target = self.snapshot_pointer().current if snapshot is None else snapshot
        return self._table.put_all(self._items(lists, check_snapshot_id(target)))

    def get_list(
        self, user_id: str, context: str = "all", *, snapshot: str | None = None
    ) -> RecommendationList | None:
        target = self.snapshot_pointer().current if snapshot is None else snapshot
        item = self._table.get((user_id, stored_context(context, check_snapshot_id(target))))
        if item is None:
            return None
        try:
            return RecommendationList(
                user_id=user_id,
                context=context,
                model_version=item["model_version"]["S"],
                track_ids=unpack_track_ids(item["track_ids"]["S"]),
                scores=unpack_scores(item["scores"]["B"]),
                generated_at=float(item["generated_at"]["N"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreUnavailable("a stored recommendation list is unreadable") from exc

    def snapshot_pointer(self) -> SnapshotPointer:
        item = self._table.get(POINTER_KEY, consistent=True)
        if item is None:
            return SnapshotPointer(BASE_SNAPSHOT)
        try:
            previous = item.get("previous", {}).get("S")
            return SnapshotPointer(item["current"]["S"], previous, float(item["published_at"]["N"]))
        except (KeyError, ValueError) as exc:
            raise StoreUnavailable("the snapshot pointer is unreadable") from exc

    def publish_snapshot(self, snapshot: str) -> SnapshotPointer:
        check_snapshot_id(snapshot)

        def switch(old: SnapshotPointer) -> SnapshotPointer:
            previous = old.previous if old.current == snapshot else old.current
            return SnapshotPointer(snapshot, previous, time.time())

        return self._swap_pointer(switch)

    def rollback(self) -> SnapshotPointer:
        def back(old: SnapshotPointer) -> SnapshotPointer:
            if old.previous is None:
                raise ValueError("no previous snapshot to roll back to")
            return SnapshotPointer(old.previous, old.current, time.time())

        return self._swap_pointer(back)

    def drop_snapshot(self, snapshot: str) -> int:
        check_snapshot_id(snapshot)
        pointer = self.snapshot_pointer()
        if snapshot in (pointer.current, pointer.previous):
            raise ValueError(f"snapshot {snapshot!r} is current or previous: not dropped")
        if snapshot == BASE_SNAPSHOT:
            keys = self._table.scan_keys(
                "attribute_not_exists(#s) AND #u <> :pointer",
                {":pointer": {"S": POINTER_KEY[0]}},
                {"#s": "snapshot", "#u": "user_id"},
            )
        else:
            keys = self._table.scan_keys("#s = :s", {":s": {"S": snapshot}}, {"#s": "snapshot"})
        return self._table.delete_all((k["user_id"]["S"], k["context"]["S"]) for k in keys)

    def forget(self, user_id: str) -> list[tuple[str, str]]:
        """One query of the listener's partition, then batch deletes."""
        if user_id == POINTER_KEY[0]:
            raise ValueError("not a listener: the snapshot pointer's key")
        stored = [item["context"]["S"] for item in self._table.query(user_id)]
        self._table.delete_all((user_id, context) for context in stored)
        return [split_stored_context(context) for context in stored]

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""

    def _swap_pointer(
        self, change: Callable[[SnapshotPointer], SnapshotPointer]
    ) -> SnapshotPointer:
        """Write ``change(pointer)`` unless another writer changed the pointer meanwhile
        (then read it again and retry)."""
        for _ in range(_MAX_PUBLISH_ATTEMPTS):
            old = self.snapshot_pointer()
            new = change(old)
            item: Item = {
                "user_id": {"S": POINTER_KEY[0]},
                "context": {"S": POINTER_KEY[1]},
                "current": {"S": new.current},
                "published_at": {"N": repr(new.published_at)},
            }
            if new.previous is not None:
                item["previous"] = {"S": new.previous}
            condition: dict[str, Any] = {
                "ConditionExpression": "attribute_not_exists(#c) OR #c = :old",
                "ExpressionAttributeNames": {"#c": "current"},
                "ExpressionAttributeValues": {":old": {"S": old.current}},
            }
            if old.published_at is None:  # no pointer yet: nobody else may create it first
                condition = {"ConditionExpression": "attribute_not_exists(user_id)"}
            with self._table.translated("put_item"):
                try:
                    self._client.put_item(TableName=self._table.name, Item=item, **condition)
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code == "ConditionalCheckFailedException":
                        continue
                    raise
            return new
        raise StoreUnavailable("the snapshot pointer kept changing under this writer")

    def _items(self, lists: Iterable[RecommendationList], snapshot: str) -> Iterator[Item]:
        for item in lists:
            # Each item's TTL counts from its own write: a put of millions takes minutes.
            expires = int(time.time() + self._ttl_s)
            extra: Item = {} if snapshot == BASE_SNAPSHOT else {"snapshot": {"S": snapshot}}
            yield {
                "user_id": {"S": item.user_id},
                "context": {"S": stored_context(item.context, snapshot)},
                **extra,
                "model_version": {"S": item.model_version},
                "track_ids": {"S": pack_track_ids(item.track_ids)},
                "scores": {"B": pack_scores(item.scores)},
                "generated_at": {"N": repr(float(item.generated_at))},
                TTL_ATTRIBUTE: {"N": str(expires)},
            }
