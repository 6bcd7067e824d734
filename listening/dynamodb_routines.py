"""``RoutineStore`` on DynamoDB: partition key ``user_id``, sort key ``routine_id``, the
routine's JSON in ``body``. A listener's routines are one Query; ``forget`` deletes them in
batches of 25."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from listening.routines import Routine, RoutinesUnavailable, decode_routine, encode_routine

_BATCH = 25  # BatchWriteItem's limit


class DynamoDBRoutineStore:
    """Routines in table ``table`` through a boto3 DynamoDB client the caller built."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = table

    @contextlib.contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            raise RoutinesUnavailable(f"DynamoDB {what} on {self._table!r} failed: {exc}") from exc

    def ensure_schema(self) -> None:
        with self._translated("ensure_schema"):
            try:
                self._client.describe_table(TableName=self._table)
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                    raise
                self._client.create_table(
                    TableName=self._table,
                    AttributeDefinitions=[
                        {"AttributeName": "user_id", "AttributeType": "S"},
                        {"AttributeName": "routine_id", "AttributeType": "S"},
                    ],
                    KeySchema=[
                        {"AttributeName": "user_id", "KeyType": "HASH"},
                        {"AttributeName": "routine_id", "KeyType": "RANGE"},
                    ],
                    BillingMode="PAY_PER_REQUEST",
                )
            self._client.get_waiter("table_exists").wait(
                TableName=self._table, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
            )

    def add(self, routine: Routine) -> None:
        with self._translated("put_item"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "user_id": {"S": routine.user_id},
                    "routine_id": {"S": routine.routine_id},
                    "body": {"S": encode_routine(routine)},
                },
            )

    def for_listener(self, user_id: str) -> list[Routine]:
        try:
            found = [decode_routine(item["body"]["S"]) for item in self._items(user_id)]
        except (ValidationError, KeyError) as exc:
            raise RoutinesUnavailable(f"a stored routine does not parse: {exc}") from exc
        return sorted(found, key=lambda r: (r.created_at, r.routine_id))

    def delete(self, user_id: str, routine_id: str) -> bool:
        with self._translated("delete_item"):
            answer = self._client.delete_item(
                TableName=self._table,
                Key={"user_id": {"S": user_id}, "routine_id": {"S": routine_id}},
                ReturnValues="ALL_OLD",
            )
        return "Attributes" in answer

    def forget(self, user_id: str) -> int:
        keys = [item["routine_id"]["S"] for item in self._items(user_id, keys_only=True)]
        with self._translated("batch_write_item"):
            for start in range(0, len(keys), _BATCH):
                requests = [
                    {"DeleteRequest": {"Key": {"user_id": {"S": user_id}, "routine_id": {"S": k}}}}
                    for k in keys[start : start + _BATCH]
                ]
                pending: dict[str, Any] = {self._table: requests}
                while pending:
                    answer = self._client.batch_write_item(RequestItems=pending)
                    pending = answer.get("UnprocessedItems") or {}
        return len(keys)

    def _items(self, user_id: str, *, keys_only: bool = False) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "user_id = :u",
            "ExpressionAttributeValues": {":u": {"S": user_id}},
            "ConsistentRead": True,
        }
        if keys_only:
            query["ProjectionExpression"] = "routine_id"
        with self._translated("query"):
            while True:
                page = self._client.query(**query)
                items.extend(page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    return items
                query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def close(self) -> None:
        pass
