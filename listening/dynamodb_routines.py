"""``RoutineStore`` on DynamoDB: partition key ``user_id``, sort key ``routine_id``, the
routine's JSON in ``body``. A listener's routines are one Query; ``forget`` deletes them in
batches of 25 (``DynamoDBTable``)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from listening.routines import Routine, RoutinesUnavailable, decode_routine, encode_routine
from recommender.storage.dynamodb_table import DynamoDBTable


class DynamoDBRoutineStore:
    """Routines in table ``table`` through a boto3 DynamoDB client the caller built."""

    def __init__(self, client: Any, table: str) -> None:
        self._client = client
        self._table = DynamoDBTable(client, table, ("user_id", "routine_id"), RoutinesUnavailable)

    def ensure_schema(self) -> None:
        self._table.ensure()

    def add(self, routine: Routine) -> None:
        key = self._table.key_of((routine.user_id, routine.routine_id))
        with self._table.translated("put_item"):
            self._client.put_item(
                TableName=self._table.name,
                Item={**key, "body": {"S": encode_routine(routine)}},
            )

    def for_listener(self, user_id: str) -> list[Routine]:
        items = self._table.query(user_id)
        try:
            found = [decode_routine(item["body"]["S"]) for item in items]
        except (ValidationError, KeyError) as exc:
            raise RoutinesUnavailable(f"a stored routine does not parse: {exc}") from exc
        return sorted(found, key=lambda r: (r.created_at, r.routine_id))

    def delete(self, user_id: str, routine_id: str) -> bool:
        with self._table.translated("delete_item"):
            answer = self._client.delete_item(
                TableName=self._table.name,
                Key=self._table.key_of((user_id, routine_id)),
                ReturnValues="ALL_OLD",
            )
        return "Attributes" in answer

    def forget(self, user_id: str) -> int:
        keys = [(user_id, item["routine_id"]["S"]) for item in self._table.query(user_id)]
        return self._table.delete_all(keys)

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""
