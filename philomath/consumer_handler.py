"""AWS Lambda entry of the feedback consumer: ``philomath.consumer_handler.handler``, behind
the Kinesis event source of infra/template.yaml (``ReportBatchItemFailures``).

Lambda reads the stream and keeps the checkpoint, so this applies the records it is handed
(``FeedbackConsumer.apply_records``) and answers ``batchItemFailures`` with the records it
could not apply: Lambda retries from the lowest of them, which is safe because applying is
idempotent (events are deduplicated by id). After the retries the batch goes to the
on-failure destination, the dead-letter queue. A record that is not a play event is skipped
(logged), never retried: it would block its shard for ever.

The plays of the records before the first failed one are archived as a listen partition
named by the shard and the first sequence number (a retry starts at the failed record, so
it archives the rest under its own first number, and a retried batch overwrites its own
partition). When the archive cannot be written the whole batch is failed and retried.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from philomath.logging_config import configure_logging
from philomath.settings import Settings, settings_problems
from philomath.wiring import ConfigurationError, build_backends
from playback.events import StreamRecord, parse_record
from recommender.feedback.consumer import SINGLE_SHARD, TRANSIENT_ERRORS, FeedbackConsumer

logger = logging.getLogger(__name__)

ConsumerHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def kinesis_records(event: dict[str, Any]) -> list[StreamRecord]:
    """The play events of a Kinesis event source's ``Records``, positioned by sequence number."""
    records = []
    for raw in event.get("Records", []):
        sequence = raw["kinesis"]["sequenceNumber"]
        parsed = parse_record(base64.b64decode(raw["kinesis"]["data"]), sequence)
        if parsed is not None:
            records.append(StreamRecord(position=sequence, event=parsed))
    return records


def kinesis_shard(event: dict[str, Any]) -> str:
    """The shard of a batch (Lambda hands each batch from one shard): the ``shardId-...``
    part of its records' ``eventID``."""
    for raw in event.get("Records", []):
        shard, _, _ = str(raw.get("eventID", "")).partition(":")
        if shard:
            return shard
    return SINGLE_SHARD


def apply_batch(consumer: FeedbackConsumer, event: dict[str, Any]) -> dict[str, Any]:
    """Apply one Kinesis batch and archive its plays; the records not applied (or not
    archived) as ``batchItemFailures``."""
    records = kinesis_records(event)
    if not records:
        return {"batchItemFailures": []}
    try:
        page = consumer.apply_records(records, partial=True)
    except TRANSIENT_ERRORS:  # the catalog or the posterior store: none could be applied
        logger.error("feedback batch failed; Lambda retries it", exc_info=True)
        failed = {record.event.user_id for record in records}
    else:
        failed = set(page.failed_users)
        logger.info(
            "feedback batch applied",
            extra={"read": len(records), "applied": page.applied, "failed": len(failed)},
        )
        done = next((i for i, r in enumerate(records) if r.event.user_id in failed), len(records))
        try:
            consumer.archive_page(kinesis_shard(event), records[:done])
        except TRANSIENT_ERRORS:  # the archive (ArchiveUnavailable) or the catalog
            logger.error("archiving the batch's plays failed; Lambda retries it", exc_info=True)
            failed = {record.event.user_id for record in records}
    return {
        "batchItemFailures": [
            {"itemIdentifier": record.position}
            for record in records
            if record.event.user_id in failed
        ]
    }


def from_environment() -> FeedbackConsumer:
    """The consumer as the function's environment configures it (no schema created unless
    ``PHILOMATH_ENSURE_SCHEMA``, which the template turns off)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError("; ".join(settings_problems(exc))) from None
    configure_logging(settings.log_level, settings.log_format)
    backends = build_backends(settings)
    if settings.ensure_schema:
        backends.ensure_schema()
    return FeedbackConsumer(
        backends.events,
        backends.profiles,
        backends.catalog,
        backends.cache,
        archive=backends.listen_archive,
        posteriors=backends.posteriors,
        fold=backends.bandit_fold,
    )


def create_handler(build: Callable[[], FeedbackConsumer]) -> ConsumerHandler:
    """A handler that builds the consumer on its first batch and reuses it while warm."""
    built: list[FeedbackConsumer] = []
    lock = threading.Lock()

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with lock:
            if not built:
                built.append(build())
        return apply_batch(built[0], event)

    return handler


handler = create_handler(from_environment)
