"""Per-request skill metrics: a port and two adapters.

``LogSkillMetrics`` writes one log line per request in CloudWatch's Embedded Metric Format
(the ``_aws`` key at the top of the JSON line, which ``philomath.logging_config`` keeps):
CloudWatch turns those lines into metrics in Lambda with no agent and no API call on the
request path. ``MemorySkillMetrics`` counts in process, for tests and local runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Protocol

NAMESPACE = "Philomath/Skill"


class SkillMetrics(Protocol):
    def observe(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        """One handled request: its type, intent name (IntentRequest only), how long it
        took, and whether the catch-all handler had to answer it."""


class MemorySkillMetrics:
    """Counts by (request type, intent, outcome) and the slowest request seen."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str | None, str]] = Counter()
        self.max_seconds = 0.0
        self._lock = threading.Lock()

    def observe(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        with self._lock:
            self.counts[(request_type, intent, "failed" if failed else "ok")] += 1
            self.max_seconds = max(self.max_seconds, seconds)


class LogSkillMetrics:
    """CloudWatch EMF lines on the ``philomath.metrics`` logger."""

    def __init__(self, namespace: str = NAMESPACE) -> None:
        self._namespace = namespace
        self._logger = logging.getLogger("philomath.metrics")

    def observe(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        emf = {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": self._namespace,
                    "Dimensions": [["RequestType"], ["RequestType", "Intent"]],
                    "Metrics": [
                        {"Name": "Requests", "Unit": "Count"},
                        {"Name": "Errors", "Unit": "Count"},
                        {"Name": "Latency", "Unit": "Milliseconds"},
                    ],
                }
            ],
        }
        self._logger.info(
            "skill request metrics",
            extra={
                "_aws": emf,
                "RequestType": request_type,
                "Intent": intent or "-",
                "Requests": 1,
                "Errors": int(failed),
                "Latency": round(seconds * 1000, 3),
            },
        )
