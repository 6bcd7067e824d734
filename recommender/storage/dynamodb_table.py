"""One DynamoDB table as the recommender's DynamoDB adapters use it.

Shared by ``DynamoDBRecommendationStore`` and ``DynamoDBProfileStore``: creating the table
(on-demand billing, optional TTL), reading one item, writing many with ``BatchWriteItem``,
checking the 400 KB item limit before sending, and turning botocore's errors into the port's.

``BatchWriteItem`` takes at most 25 puts and may hand some back as ``UnprocessedItems`` when
the table is throttled; those are resent with exponential backoff. A batch write is not a
transaction: when one fails part way, the earlier chunks stay written. Throttling errors are
already retried by botocore itself.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

# A low-level item: attribute name -> {"S": "..."} / {"B": b"..."} / {"N": "..."}.
Item = dict[str, dict[str, Any]]

MAX_ITEM_BYTES = 400 * 1024
BATCH_SIZE = 25  # BatchWriteItem's limit
GET_BATCH_SIZE = 100  # BatchGetItem's limit
MAX_BATCH_ATTEMPTS = 8
FIRST_BACKOFF_S = 0.05
# DynamoDB stores a number in at most 21 bytes; counting that is a safe upper bound.
_NUMBER_BYTES = 21


class DynamoDBTable:
    """A table keyed by string attributes ``key`` (partition key, then optional sort key)."""

    def __init__(
        self,
        client: Any,
        name: str,
        key: Sequence[str],
        error: type[Exception],
        *,
        ttl_attribute: str | None = None,
    ) -> None:
        self._client = client
        self.name = name
        self._key = tuple(key)
        self._error = error
        self._ttl_attribute = ttl_attribute

    @contextlib.contextmanager
    def translated(self, what: str) -> Iterator[None]:
        """Raise the port's error in place of any botocore error in the block."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise self._error(f"DynamoDB {what} on table {self.name!r} failed: {exc}") from exc

    def ensure(self) -> None:
        """Create the table on demand if it is missing, wait until it is active, enable TTL."""
        with self.translated("ensure_schema"):
            if not self._exists():
                self._create()
            self._client.get_waiter("table_exists").wait(
                TableName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )
            if self._ttl_attribute is not None:
                self._enable_ttl(self._ttl_attribute)

    def transact(self, actions: list[dict[str, Any]]) -> bool:
        """Write ``actions`` in one transaction: True when written, False when a condition
        failed or another writer's transaction conflicted (the caller re-reads and retries)."""
        with self.translated("transact_write_items"):
            try:
                self._client.transact_write_items(TransactItems=actions)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code in ("TransactionCanceledException", "TransactionConflictException"):
                    return False
                raise
        return True

    def get(self, key: Sequence[str], *, consistent: bool = False) -> Item | None:
        """The item with these key values, or None; ``consistent`` reads the latest write."""
        with self.translated("get_item"):
            response = self._client.get_item(
                TableName=self.name, Key=self.key_of(key), ConsistentRead=consistent
            )
        item: Item | None = response.get("Item")
        return item

    def get_many(self, keys: Sequence[Sequence[str]], *, consistent: bool = False) -> list[Item]:
        """The items that exist among ``keys`` (any order), ``BatchGetItem`` 100 keys a call;
        keys handed back unprocessed (throttling) are asked again with backoff."""
        found: list[Item] = []
        distinct = list(dict.fromkeys(tuple(key) for key in keys))
        with self.translated("batch_get_item"):
            for start in range(0, len(distinct), GET_BATCH_SIZE):
                chunk = distinct[start : start + GET_BATCH_SIZE]
                pending: dict[str, Any] = {
                    self.name: {
                        "Keys": [self.key_of(key) for key in chunk],
                        "ConsistentRead": consistent,
                    }
                }
                for attempt in range(MAX_BATCH_ATTEMPTS):
                    if attempt:
                        time.sleep(FIRST_BACKOFF_S * 2 ** (attempt - 1))
                    response = self._client.batch_get_item(RequestItems=pending)
                    found.extend(response.get("Responses", {}).get(self.name, []))
                    pending = response.get("UnprocessedKeys") or {}
                    if not pending:
                        break
                else:
                    raise self._error(f"DynamoDB left keys unprocessed in table {self.name!r}")
        return found

    def query(self, partition: str) -> list[Item]:
        """Every item of one partition, in sort-key order, read consistently."""
        items: list[Item] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": self._key[0]},
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ConsistentRead": True,
        }
        with self.translated("query"):
            while True:
                response = self._client.query(**request)
                items.extend(response.get("Items", []))
                last = response.get("LastEvaluatedKey")
                if not last:
                    return items
                request["ExclusiveStartKey"] = last

    def put_all(self, items: Iterable[Item]) -> int:
        """Write every item (replacing any with the same key) in batches; returns the count.

        Raises ``ValueError`` for an item over the 400 KB limit; chunks sent before it stay.
        """
        iterator = iter(items)
        written = 0
        with self.translated("batch_write_item"):
            while chunk := list(islice(iterator, BATCH_SIZE)):
                for item in chunk:
                    _check_size(item, self.name)
                # One batch may not name a key twice; the last put wins, as in a loop of puts.
                by_key = {tuple(item[k]["S"] for k in self._key): item for item in chunk}
                self._write_batch([{"PutRequest": {"Item": item}} for item in by_key.values()])
                written += len(chunk)
        return written

    def delete_all(self, keys: Iterable[Sequence[str]]) -> int:
        """Delete the items with these key values in batches; returns how many were asked."""
        iterator = iter(dict.fromkeys(tuple(key) for key in keys))
        deleted = 0
        with self.translated("batch_write_item"):
            while chunk := list(islice(iterator, BATCH_SIZE)):
                self._write_batch([{"DeleteRequest": {"Key": self.key_of(k)}} for k in chunk])
                deleted += len(chunk)
        return deleted

    def scan_keys(self, filter_expression: str, values: Item, names: dict[str, str]) -> list[Item]:
        """The keys of every item matching ``filter_expression``: a full table scan, for
        maintenance jobs only."""
        keys: list[Item] = []
        request: dict[str, Any] = {
            "TableName": self.name,
            "FilterExpression": filter_expression,
            "ExpressionAttributeValues": values,
            "ExpressionAttributeNames": {**names, **{f"#k{i}": k for i, k in enumerate(self._key)}},
            "ProjectionExpression": ", ".join(f"#k{i}" for i in range(len(self._key))),
        }
        with self.translated("scan"):
            while True:
                response = self._client.scan(**request)
                keys.extend(response.get("Items", []))
                last = response.get("LastEvaluatedKey")
                if not last:
                    return keys
                request["ExclusiveStartKey"] = last

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.name: requests}
        for attempt in range(MAX_BATCH_ATTEMPTS):
            if attempt:
                time.sleep(FIRST_BACKOFF_S * 2 ** (attempt - 1))
            response = self._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        left = sum(len(requests) for requests in pending.values())
        raise self._error(
            f"DynamoDB left {left} items unprocessed in table {self.name!r}"
            f" after {MAX_BATCH_ATTEMPTS} attempts"
        )

    def _exists(self) -> bool:
        try:
            self._client.describe_table(TableName=self.name)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return True

    def _create(self) -> None:
        roles = ("HASH", "RANGE")
        try:
            self._client.create_table(
                TableName=self.name,
                KeySchema=[
                    {"AttributeName": name, "KeyType": role}
                    for name, role in zip(self._key, roles, strict=False)
                ],
                AttributeDefinitions=[
                    {"AttributeName": name, "AttributeType": "S"} for name in self._key
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            # Another process created it between our describe and create: that is fine.
            if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise

    def _enable_ttl(self, attribute: str) -> None:
        described = self._client.describe_time_to_live(TableName=self.name)
        status = described.get("TimeToLiveDescription", {}).get("TimeToLiveStatus")
        # Enabling it twice is an error in DynamoDB, so only when it is off.
        if status not in ("ENABLED", "ENABLING"):
            self._client.update_time_to_live(
                TableName=self.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )

    def key_of(self, values: Sequence[str]) -> Item:
        return {name: {"S": value} for name, value in zip(self._key, values, strict=True)}


def item_size(item: Item) -> int:
    """DynamoDB's size of an item of S / B / N attributes: names plus values, in bytes."""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        if "S" in value:
            size += len(value["S"].encode())
        elif "B" in value:
            size += len(value["B"])
        elif "N" in value:
            size += _NUMBER_BYTES
        else:
            raise ValueError(f"attribute {name!r}: only S, B and N values are sized here")
    return size


def _check_size(item: Item, table: str) -> None:
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise ValueError(
            f"an item for DynamoDB table {table!r} is {size} bytes, over DynamoDB's item limit"
            f" of {MAX_ITEM_BYTES} bytes (400 KB); store less in it"
        )
