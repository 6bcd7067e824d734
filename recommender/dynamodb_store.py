"""``RecommendationStore`` in DynamoDB: the production store, read on every request.

Table design (one item per list)::

    user_id        S   partition key (``POPULAR_USER`` for charts)
    context        S   sort key: ``all``, ``mood:<m>``, ``genre:<g>``
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
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from recommender.dynamodb_table import DynamoDBTable, Item
from recommender.errors import StoreUnavailable
from recommender.list_codec import pack_scores, pack_track_ids, unpack_scores, unpack_track_ids
from recommender.store import RecommendationList

DEFAULT_TTL_S = 7 * 24 * 3600
TTL_ATTRIBUTE = "ttl"


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
        self._ttl_s = ttl_s

    def ensure_schema(self) -> None:
        self._table.ensure()

    def put_lists(self, lists: Iterable[RecommendationList]) -> int:
        return self._table.put_all(self._items(lists))

    def get_list(self, user_id: str, context: str = "all") -> RecommendationList | None:
        item = self._table.get((user_id, context))
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

    def close(self) -> None:
        """Nothing to release: the injected client belongs to the caller."""

    def _items(self, lists: Iterable[RecommendationList]) -> Iterator[Item]:
        for item in lists:
            # Each item's TTL counts from its own write: a put of millions takes minutes.
            expires = int(time.time() + self._ttl_s)
            yield {
                "user_id": {"S": item.user_id},
                "context": {"S": item.context},
                "model_version": {"S": item.model_version},
                "track_ids": {"S": pack_track_ids(item.track_ids)},
                "scores": {"B": pack_scores(item.scores)},
                "generated_at": {"N": repr(float(item.generated_at))},
                TTL_ATTRIBUTE: {"N": str(expires)},
            }
