"""``ProfileStore`` in DynamoDB: one item per listener, partition key ``user_id`` (S), the
profile in ``profile`` (S) as its persisted JSON (``profile_json``).

No TTL: a profile is what Philomath has learnt about a listener and must outlive gaps in
their listening. A profile item is far below the 400 KB limit (``put_many`` raises
``ValueError`` should one ever pass it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from recommender.dynamodb_table import DynamoDBTable, Item
from recommender.errors import ProfileStoreUnavailable
from recommender.profile_json import dump_profile, load_profile
from recommender.profiles import UserProfile


class DynamoDBProfileStore:
    """Listener profiles in one DynamoDB table; ``client`` is a boto3 DynamoDB client."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._table = DynamoDBTable(client, table_name, ("user_id",), ProfileStoreUnavailable)

    def ensure_schema(self) -> None:
        self._table.ensure()

    def get(self, user_id: str) -> UserProfile | None:
        item = self._table.get((user_id,))
        if item is None:
            return None
        try:
            return load_profile(item["profile"]["S"])
        except (KeyError, ValueError) as exc:
            raise ProfileStoreUnavailable("a stored profile is unreadable") from exc

    def put_many(self, profiles: Iterable[UserProfile]) -> int:
        return self._table.put_all(_items(profiles))

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""


def _items(profiles: Iterable[UserProfile]) -> Iterator[Item]:
    for profile in profiles:
        yield {"user_id": {"S": profile.user_id}, "profile": {"S": dump_profile(profile)}}
