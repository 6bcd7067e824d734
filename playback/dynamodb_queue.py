"""``QueueStore`` on DynamoDB: one item per queue (``key``, ``version``, ``body``, ``ttl``).

Saves are conditional puts (``attribute_not_exists`` or the expected ``version``), so two
requests saving the same version cannot both win. DynamoDB deletes expired items lazily (up
to days later), so loads also ignore items whose ``ttl`` has passed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from playback.errors import QueueUnavailable
from playback.queue import (
    DEFAULT_TTL_S,
    DeviceQueue,
    QueueSettings,
    Stored,
    decode_queue,
    decode_settings,
    encode_queue,
    owner_prefix,
    parsing,
)


class DynamoDBQueueStore:
    """Queues in table ``table`` through a boto3 DynamoDB client the caller built."""

    def __init__(
        self,
        client: Any,
        table: str,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._ttl_s = ttl_s
        self._clock = clock

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise QueueUnavailable(f"DynamoDB {what} on {self._table!r} failed: {exc}") from exc

    def ensure_schema(self) -> None:
        with self._translated("ensure_schema"):
            try:
                self._client.describe_table(TableName=self._table)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                self._client.create_table(
                    TableName=self._table,
                    AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                )
            self._client.get_waiter("table_exists").wait(
                TableName=self._table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )
            ttl = self._client.describe_time_to_live(TableName=self._table)
            if ttl["TimeToLiveDescription"]["TimeToLiveStatus"] not in ("ENABLED", "ENABLING"):
                self._client.update_time_to_live(
                    TableName=self._table,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"},
                )

    def load(self, key: str) -> DeviceQueue | None:
        return self._read(key, lambda version, body: decode_queue(key, version, body))

    def load_settings(self, key: str) -> QueueSettings | None:
        return self._read(key, decode_settings)

    def _read(self, key: str, decode: Callable[[int, str], Stored]) -> Stored | None:
        with self._translated("get_item"):
            item = self._client.get_item(
                TableName=self._table, Key={"key": {"S": key}}, ConsistentRead=True
            ).get("Item")
        if item is None or float(item["ttl"]["N"]) <= self._clock():
            return None
        with parsing(key):
            return decode(int(item["version"]["N"]), item["body"]["S"])

    def save(self, queue: DeviceQueue) -> DeviceQueue | None:
        now = self._clock()
        item = {
            "key": {"S": queue.key},
            "version": {"N": str(queue.version + 1)},
            "body": {"S": encode_queue(queue)},
            "ttl": {"N": str(int(now + self._ttl_s))},
        }
        # An expired item that DynamoDB has not deleted yet counts as no queue (version 0).
        condition = "attribute_not_exists(#k) OR #ttl <= :now"
        values: dict[str, Any] = {":now": {"N": str(int(now))}}
        if queue.version:
            condition = "#v = :expected AND #ttl > :now"
            values[":expected"] = {"N": str(queue.version)}
        names = {"#ttl": "ttl"} | ({"#v": "version"} if queue.version else {"#k": "key"})
        try:
            self._client.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None  # another writer saved first
            raise QueueUnavailable(f"DynamoDB put_item on {self._table!r} failed: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueUnavailable(f"DynamoDB put_item on {self._table!r} failed: {exc}") from exc
        return replace(queue, version=queue.version + 1)

    def delete(self, key: str) -> None:
        with self._translated("delete_item"):
            self._client.delete_item(TableName=self._table, Key={"key": {"S": key}})

    def forget(self, user_id: str) -> int:
        """A full table scan for the listener's keys (the key is the only index): erasure is
        rare, and a queue item is small."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": "begins_with(#k, :owner)",
            "ExpressionAttributeNames": {"#k": "key"},
            "ExpressionAttributeValues": {":owner": {"S": owner_prefix(user_id)}},
            "ProjectionExpression": "#k",
            "ConsistentRead": True,
        }
        deleted = 0
        with self._translated("scan / delete_item"):
            while True:
                response = self._client.scan(**request)
                for item in response.get("Items", []):
                    self._client.delete_item(TableName=self._table, Key={"key": item["key"]})
                    deleted += 1
                if not response.get("LastEvaluatedKey"):
                    return deleted
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def close(self) -> None:
        pass
