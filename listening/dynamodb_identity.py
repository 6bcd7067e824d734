"""``IdentityStore`` in DynamoDB: one table, partition key ``pk`` (S), sort key ``sk`` (S).

Two items per mapping, written in one transaction::

    pk caller#<account hash>     sk <person hash or "-">          listener (S)
    pk listener#<listener id>    sk <account hash>#<person hash>  (the way back, for erasure)

``listener`` is one ``GetItem``; ``listeners_of`` one query of the account's partition;
``forget`` one query of the listener's partition, then deletes, so no operation scans. The
forward put is conditional on the item not existing: of two first requests for one caller,
the loser's transaction is cancelled and it reads the winner's listener.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from listening.identity import IdentityUnavailable
from recommender.storage.dynamodb_table import DynamoDBTable, Item


def _forward(account: str, person: str) -> tuple[str, str]:
    return (f"caller#{account}", person)


class DynamoDBIdentityStore:
    """Caller -> listener mappings in one DynamoDB table; ``client`` is a boto3 DynamoDB
    client, which belongs to the caller."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = DynamoDBTable(client, table_name, ("pk", "sk"), IdentityUnavailable)

    def ensure_schema(self) -> None:
        self._table.ensure()

    def listener(self, account: str, person: str) -> str | None:
        item = self._table.get(_forward(account, person))
        return None if item is None else _listener_of(item)

    def claim(self, account: str, person: str, listener: str) -> str:
        forward = {**self._table.key_of(_forward(account, person)), "listener": {"S": listener}}
        back = self._table.key_of((f"listener#{listener}", f"{account}#{person}"))
        actions = [
            {
                "Put": {
                    "TableName": self._table.name,
                    "Item": forward,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table.name, "Item": back}},
        ]
        with self._table.translated("transact_write_items"):
            try:
                self._client.transact_write_items(TransactItems=actions)
                return listener
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
        winner = self._table.get(_forward(account, person), consistent=True)
        if winner is None:
            raise IdentityUnavailable("a claim was cancelled, yet no mapping is stored")
        return _listener_of(winner)

    def listeners_of(self, account: str) -> list[str]:
        return [_listener_of(item) for item in self._table.query(f"caller#{account}")]

    def forget(self, user_id: str) -> int:
        partition = f"listener#{user_id}"
        backs = self._table.query(partition)
        forwards = []
        for item in backs:
            account, _, person = item["sk"]["S"].partition("#")
            forwards.append(_forward(account, person))
        # The forward items first: should the deletes stop half way, the way back remains
        # and a retried erasure finds them again.
        self._table.delete_all(forwards)
        self._table.delete_all((partition, item["sk"]["S"]) for item in backs)
        return len(forwards)

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""


def _listener_of(item: Item) -> str:
    try:
        return str(item["listener"]["S"])
    except KeyError as exc:
        raise IdentityUnavailable("a stored identity mapping is unreadable") from exc
