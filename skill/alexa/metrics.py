"""Per-request skill metrics: a port and three adapters.

``LogSkillMetrics`` writes one log line per request in CloudWatch's Embedded Metric Format
(the ``_aws`` key at the top of the JSON line, which ``philomath.logging_config`` keeps):
CloudWatch turns those lines into metrics in Lambda with no agent and no API call on the
request path. ``TelemetrySkillMetrics`` records into ``telemetry.Metrics`` (Prometheus on a
server). Both use one vocabulary (``telemetry.names``): the EMF metric and dimension names
are the Prometheus metric and label names. ``MemorySkillMetrics`` counts in process, for
tests and local runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import Protocol

from telemetry import Metrics
from telemetry.names import SKILL_DURATION, SKILL_REQUESTS

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


class TelemetrySkillMetrics:
    """``SkillMetrics`` into ``telemetry.Metrics`` (``philomath_skill_*``)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def observe(
        self, request_type: str, intent: str | None, seconds: float, *, failed: bool
    ) -> None:
        self._metrics.skill_request(request_type, intent, seconds, failed=failed)


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
                    "Dimensions": [
                        ["request_type", "outcome"],
                        ["request_type", "intent", "outcome"],
                    ],
                    "Metrics": [
                        {"Name": SKILL_REQUESTS, "Unit": "Count"},
                        {"Name": SKILL_DURATION, "Unit": "Seconds"},
                    ],
                }
            ],
        }
        self._logger.info(
            "skill request metrics",
            extra={
                "_aws": emf,
                "request_type": request_type,
                "intent": intent or "-",
                "outcome": "failed" if failed else "ok",
                SKILL_REQUESTS: 1,
                SKILL_DURATION: round(seconds, 6),
            },
        )
