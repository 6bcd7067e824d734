"""``ProfileStore`` in DynamoDB: profiles in one table, the feedback state in a second.

Profiles table (``table_name``): one item per listener, partition key ``user_id`` (S), the
profile in ``profile`` (S) as its persisted JSON (``profile_json``) and ``rev`` (N), bumped by
every ``apply_events`` for optimistic concurrency. No TTL: a profile is what Philomath has
learnt about a listener and must outlive gaps in their listening. A profile item is far
below the 400 KB limit (``put_many`` raises ``ValueError`` should one ever pass it).

Feedback table (``<table_name>-feedback`` unless named): partition key ``pk`` (S), sort key
``sk`` (S), TTL attribute ``ttl``. Its items, by partition:

    applied#<user_id>          sk event id      an applied event; expires after 30 days
    changed#<shard>            sk user id       changed_at (N): lists to recompute
    counts#<YYYY-MM-DD>#<shard> sk track id     plays, finishes, skips, likes, dislikes (N)
    checkpoint                 sk consumer      position (S): the consumer's stream position
    forgotten#<user_id>        sk "tombstone"   a forgotten listener; expires with its ``ttl``

Marks and counters are spread over ``SHARDS`` partitions (crc32 of the sort key) so no single
partition takes every write. ``apply_events`` reads the profile and the chunk's markers
consistently, then writes profile (conditional on ``rev``), markers (conditional on not
existing), counter ``ADD``s and the changed mark in one ``TransactWriteItems``. A concurrent
writer cancels it; the chunk is then re-read and retried, so each event is applied once.
The same transaction checks that the listener has no tombstone (``forget`` writes it before
deleting anything), so an event racing an erasure cannot bring the profile back.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from recommender.errors import ProfileStoreUnavailable
from recommender.storage.dynamodb_table import DynamoDBTable, Item
from recommender.storage.profile_json import dump_profile, load_profile
from recommender.storage.profiles import (
    APPLY_CHUNK,
    COUNTER_FIELDS,
    TOMBSTONE_TTL_S,
    ChangedUser,
    ProfileChange,
    ProfileUpdate,
    TrackCounts,
    UserProfile,
    with_live_feedback,
)

SHARDS = 8
APPLIED_TTL_S = 30 * 24 * 3600
MAX_APPLY_ATTEMPTS = 8
_CONFLICT_BACKOFF_S = 0.02


def _shard(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


def _changed_key(user_id: str) -> Item:
    return {"pk": {"S": f"changed#{_shard(user_id)}"}, "sk": {"S": user_id}}


def _tombstone_key(user_id: str) -> tuple[str, str]:
    return (f"forgotten#{user_id}", "tombstone")


def _live_tombstone(item: Item | None) -> bool:
    """DynamoDB deletes expired items lazily: one past its ``ttl`` counts as gone."""
    return item is not None and float(item.get("ttl", {"N": "0"})["N"]) > time.time()


class DynamoDBProfileStore:
    """Listener profiles and feedback state in DynamoDB; ``client`` is a boto3 DynamoDB
    client. The client belongs to the caller."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        feedback_table: str | None = None,
        applied_ttl_s: float = APPLIED_TTL_S,
        tombstone_ttl_s: float = TOMBSTONE_TTL_S,
    ) -> None:
        self._client = client
        self._table = DynamoDBTable(client, table_name, ("user_id",), ProfileStoreUnavailable)
        self._feedback = DynamoDBTable(
            client,
            feedback_table or f"{table_name}-feedback",
            ("pk", "sk"),
            ProfileStoreUnavailable,
            ttl_attribute="ttl",
        )
        self._applied_ttl_s = applied_ttl_s
        self._tombstone_ttl_s = tombstone_ttl_s

    def ensure_schema(self) -> None:
        self._table.ensure()
        self._feedback.ensure()

    def get(self, user_id: str) -> UserProfile | None:
        item = self._table.get((user_id,))
        return None if item is None else _profile_of(item)

    def get_many(self, user_ids: Sequence[str]) -> dict[str, UserProfile]:
        items = self._table.get_many([(user_id,) for user_id in user_ids])
        return {item["user_id"]["S"]: _profile_of(item) for item in items}

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        return self._table.put_all(_items(profiles))

    def refresh_many(self, profiles: Iterable[UserProfile]) -> int:
        written = 0
        for profile in profiles:
            written += self._refresh(profile)
        return written

    def _refresh(self, profile: UserProfile) -> bool:
        """Read, merge, and put conditional on ``rev`` as ``apply_events`` does, so neither
        overwrites the other; a conflict re-reads and merges again. False for a forgotten
        listener (``forget`` writes the tombstone first, then deletes: a put that raced it
        fails its ``rev`` condition and the retry sees the tombstone)."""
        for attempt in range(MAX_APPLY_ATTEMPTS):
            if attempt:
                time.sleep(_CONFLICT_BACKOFF_S * 2 ** (attempt - 1))
            tombstone = self._feedback.get(_tombstone_key(profile.user_id), consistent=True)
            if _live_tombstone(tombstone):
                return False
            item = self._table.get((profile.user_id,), consistent=True)
            rev = int(item["rev"]["N"]) if item is not None and "rev" in item else None
            merged = with_live_feedback(profile, None if item is None else _profile_of(item))
            put = self._conditional_put(merged, rev)
            with self._table.translated("put_item"):
                try:
                    self._client.put_item(**put)
                    return True
                except ClientError as exc:
                    if (
                        exc.response.get("Error", {}).get("Code")
                        != "ConditionalCheckFailedException"
                    ):
                        raise
        raise ProfileStoreUnavailable(
            f"refreshing {profile.user_id!r} kept conflicting with other writers after "
            f"{MAX_APPLY_ATTEMPTS} attempts"
        )

    def _conditional_put(self, profile: UserProfile, rev: int | None) -> dict[str, Any]:
        """A put of ``profile`` with ``rev`` bumped, only if the stored ``rev`` is still
        ``rev`` (absent when None)."""
        put: dict[str, Any] = {
            "TableName": self._table.name,
            "Item": {**_item(profile), "rev": {"N": str((rev or 0) + 1)}},
            "ExpressionAttributeNames": {"#rev": "rev"},
        }
        if rev is None:
            put["ConditionExpression"] = "attribute_not_exists(#rev)"
        else:
            put["ConditionExpression"] = "#rev = :rev"
            put["ExpressionAttributeValues"] = {":rev": {"N": str(rev)}}
        return put

    # -- feedback ---------------------------------------------------------------------------

    def apply_events(
        self, user_id: str, event_ids: Sequence[str], update: ProfileUpdate
    ) -> list[str]:
        wanted = list(dict.fromkeys(event_ids))
        applied: list[str] = []
        for start in range(0, len(wanted), APPLY_CHUNK):
            applied += self._apply_chunk(user_id, wanted[start : start + APPLY_CHUNK], update)
        return applied

    def _apply_chunk(self, user_id: str, chunk: list[str], update: ProfileUpdate) -> list[str]:
        for attempt in range(MAX_APPLY_ATTEMPTS):
            if attempt:
                time.sleep(_CONFLICT_BACKOFF_S * 2 ** (attempt - 1))
            item = self._table.get((user_id,), consistent=True)
            tombstone = _tombstone_key(user_id)
            markers = self._feedback.get_many(
                [tombstone, *((f"applied#{user_id}", event_id) for event_id in chunk)],
                consistent=True,
            )
            if any(m["pk"]["S"] == tombstone[0] and _live_tombstone(m) for m in markers):
                return []
            done = {m["sk"]["S"] for m in markers if m["pk"]["S"] != tombstone[0]}
            new = [event_id for event_id in chunk if event_id not in done]
            if not new:
                return []
            rev = int(item["rev"]["N"]) if item is not None and "rev" in item else None
            change = update(None if item is None else _profile_of(item), new)
            if change.profile.user_id != user_id:
                raise ValueError("update returned another listener's profile")
            if self._feedback.transact(self._actions(user_id, new, change, rev)):
                return new
        raise ProfileStoreUnavailable(
            f"applying events kept conflicting with other writers after {MAX_APPLY_ATTEMPTS}"
            " attempts"
        )

    def _actions(
        self, user_id: str, new: list[str], change: ProfileChange, rev: int | None
    ) -> list[dict[str, Any]]:
        now = time.time()
        actions: list[dict[str, Any]] = [{"Put": self._conditional_put(change.profile, rev)}]
        expires = str(int(now + self._applied_ttl_s))
        for event_id in new:
            marker = {
                "pk": {"S": f"applied#{user_id}"},
                "sk": {"S": event_id},
                "ttl": {"N": expires},
            }
            actions.append(
                {
                    "Put": {
                        "TableName": self._feedback.name,
                        "Item": marker,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        for (day, track_id), counts in change.counts.items():
            action = self._counter_update(day, track_id, counts)
            if action is not None:
                actions.append(action)
        mark = {**_changed_key(user_id), "changed_at": {"N": repr(now)}}
        actions.append({"Put": {"TableName": self._feedback.name, "Item": mark}})
        actions.append(
            {
                "ConditionCheck": {
                    "TableName": self._feedback.name,
                    "Key": self._feedback.key_of(_tombstone_key(user_id)),
                    "ConditionExpression": "attribute_not_exists(pk) OR #ttl <= :now",
                    "ExpressionAttributeNames": {"#ttl": "ttl"},
                    "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
                }
            }
        )
        return actions

    def _counter_update(
        self, day: str, track_id: str, counts: TrackCounts
    ) -> dict[str, Any] | None:
        deltas = {name: value for name, value in counts.as_dict().items() if value}
        if not deltas:
            return None
        return {
            "Update": {
                "TableName": self._feedback.name,
                "Key": {"pk": {"S": f"counts#{day}#{_shard(track_id)}"}, "sk": {"S": track_id}},
                "UpdateExpression": "ADD " + ", ".join(f"#{n} :{n}" for n in deltas),
                "ExpressionAttributeNames": {f"#{n}": n for n in deltas},
                "ExpressionAttributeValues": {f":{n}": {"N": str(v)} for n, v in deltas.items()},
            }
        }

    def forget(self, user_id: str) -> int:
        # The tombstone first: from here on no event or refresh can recreate the profile.
        now = time.time()
        tombstone = {
            **self._feedback.key_of(_tombstone_key(user_id)),
            "forgotten_at": {"N": repr(now)},
            "ttl": {"N": str(int(now + self._tombstone_ttl_s))},
        }
        with self._feedback.translated("put_item"):
            self._client.put_item(TableName=self._feedback.name, Item=tombstone)
        deleted = 0
        with self._table.translated("delete_item"):
            response = self._client.delete_item(
                TableName=self._table.name,
                Key=self._table.key_of((user_id,)),
                ReturnValues="ALL_OLD",
            )
            deleted += 1 if response.get("Attributes") else 0
        markers = self._feedback.query(f"applied#{user_id}")
        deleted += self._feedback.delete_all((m["pk"]["S"], m["sk"]["S"]) for m in markers)
        with self._feedback.translated("delete_item"):
            response = self._client.delete_item(
                TableName=self._feedback.name, Key=_changed_key(user_id), ReturnValues="ALL_OLD"
            )
            deleted += 1 if response.get("Attributes") else 0
        return deleted

    def forgotten(self, user_ids: Sequence[str]) -> set[str]:
        items = self._feedback.get_many([_tombstone_key(u) for u in user_ids], consistent=True)
        return {
            item["pk"]["S"].removeprefix("forgotten#") for item in items if _live_tombstone(item)
        }

    def popularity_counts(self, days: Sequence[str]) -> dict[str, TrackCounts]:
        totals: dict[str, TrackCounts] = {}
        for day in dict.fromkeys(days):
            for shard in range(SHARDS):
                for item in self._feedback.query(f"counts#{day}#{shard}"):
                    counts = TrackCounts(
                        *(int(item.get(name, {"N": "0"})["N"]) for name in COUNTER_FIELDS)
                    )
                    track_id = item["sk"]["S"]
                    totals[track_id] = totals.get(track_id, TrackCounts()) + counts
        return totals

    def changed_users(self, limit: int = 1000) -> list[ChangedUser]:
        marks = [
            ChangedUser(item["sk"]["S"], float(item["changed_at"]["N"]))
            for shard in range(SHARDS)
            for item in self._feedback.query(f"changed#{shard}")
        ]
        marks.sort(key=lambda mark: (mark.changed_at, mark.user_id))
        return marks[:limit]

    def clear_changed(self, users: Sequence[ChangedUser]) -> int:
        cleared = 0
        with self._feedback.translated("delete_item"):
            for user in users:
                try:
                    self._client.delete_item(
                        TableName=self._feedback.name,
                        Key=_changed_key(user.user_id),
                        ConditionExpression="changed_at <= :at",
                        ExpressionAttributeValues={":at": {"N": repr(user.changed_at)}},
                    )
                except ClientError as exc:
                    code = exc.response.get("Error", {}).get("Code")
                    if code == "ConditionalCheckFailedException":
                        continue  # changed again since, or already cleared: keep it
                    raise
                cleared += 1
        return cleared

    def get_checkpoint(self, consumer: str) -> str | None:
        item = self._feedback.get(("checkpoint", consumer), consistent=True)
        return None if item is None else str(item["position"]["S"])

    def put_checkpoint(self, consumer: str, position: str) -> None:
        item = {
            "pk": {"S": "checkpoint"},
            "sk": {"S": consumer},
            "position": {"S": position},
            "updated_at": {"N": repr(time.time())},
        }
        with self._feedback.translated("put_item"):
            self._client.put_item(TableName=self._feedback.name, Item=item)

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""


def _profile_of(item: Item) -> UserProfile:
    try:
        return load_profile(item["profile"]["S"])
    except (KeyError, ValueError) as exc:
        raise ProfileStoreUnavailable("a stored profile is unreadable") from exc


def _item(profile: UserProfile) -> Item:
    return {"user_id": {"S": profile.user_id}, "profile": {"S": dump_profile(profile)}}


def _items(profiles: Iterable[UserProfile]) -> Iterator[Item]:
    return map(_item, profiles)
