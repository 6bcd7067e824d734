"""The one metric vocabulary: every name, label and bucket, whatever adapter records it.

Prometheus exposes these names as they are; the skill's CloudWatch EMF lines (Lambda) use the
same names and label names as metric names and dimensions, so a dashboard or alarm means the
same thing on both sides.
"""

from __future__ import annotations

PREFIX = "philomath_"

# HTTP front door, per route template (``/v1/users/{user_id}/recommendations``).
HTTP_REQUESTS = "philomath_http_requests_total"  # route, method, status
HTTP_DURATION = "philomath_http_request_duration_seconds"  # route, method
# Each stage of a request (``ports.Stage``), total included.
STAGE_DURATION = "philomath_stage_duration_seconds"  # stage
STAGE_ERRORS = "philomath_stage_errors_total"  # stage
# Read-through cache lookups by the router: hit ratio = hit / (hit + miss).
CACHE_LOOKUPS = "philomath_cache_lookups_total"  # result: hit | miss
# Answers the router gave degraded, once per cause present (an answer may have several).
DEGRADED_ANSWERS = "philomath_degraded_answers_total"  # cause
# Alexa skill requests (also the EMF metrics of the Lambda).
SKILL_REQUESTS = "philomath_skill_requests_total"  # request_type, intent, outcome
SKILL_DURATION = "philomath_skill_request_duration_seconds"  # request_type
# Feedback consumer.
CONSUMER_LAG = "philomath_consumer_lag_seconds"
CONSUMER_LAST_PASS = "philomath_consumer_last_pass_timestamp_seconds"
PLAY_EVENTS = "philomath_play_events_total"  # kind (started, finished, skipped, ...)
# Batch inference and the model it serves.
BATCH_LAST_SUCCESS = "philomath_batch_last_success_timestamp_seconds"  # mode
BATCH_DURATION = "philomath_batch_duration_seconds"  # mode
MODEL_TRAINED = "philomath_model_trained_timestamp_seconds"
# Listeners the model never saw: folded in by a batch run, or left on the charts and why.
BATCH_LISTENERS = "philomath_batch_unknown_listeners_total"  # outcome: folded | <reason>
# Lists the router computed at request time (outcome: served), or why it did not.
LIVE_LISTS = "philomath_live_lists_total"  # outcome

LABELS: dict[str, tuple[str, ...]] = {
    HTTP_REQUESTS: ("route", "method", "status"),
    HTTP_DURATION: ("route", "method"),
    STAGE_DURATION: ("stage",),
    STAGE_ERRORS: ("stage",),
    CACHE_LOOKUPS: ("result",),
    DEGRADED_ANSWERS: ("cause",),
    SKILL_REQUESTS: ("request_type", "intent", "outcome"),
    SKILL_DURATION: ("request_type",),
    CONSUMER_LAG: (),
    CONSUMER_LAST_PASS: (),
    PLAY_EVENTS: ("kind",),
    BATCH_LAST_SUCCESS: ("mode",),
    BATCH_DURATION: ("mode",),
    MODEL_TRAINED: (),
    BATCH_LISTENERS: ("outcome",),
    LIVE_LISTS: ("outcome",),
}

# Request latency: fine around the 200 ms budget, which is a bucket bound (the latency SLO
# counts requests under it exactly).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0)
# Stages: most take well under a millisecond (an in-process cache) to tens (a store).
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0)
BATCH_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)
