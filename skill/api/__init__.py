"""The REST API for app clients (``/v1``), health and readiness, and demo media.

Small modules, one per resource: ``recommendations`` (recommendations, playlists), ``play``
(text to a play answer that starts a device queue), ``devices`` (next, the queue),
``events`` (event batches, likes, dislikes), ``health``, ``media``;
``auth`` (the authenticator port, static tokens, scopes; ``jwt_auth`` and ``jwks`` for JWTs),
``rate_limit`` (per-listener token buckets; ``redis_rate_limit`` shares them), ``depth_guard``
(over-nested bodies refused before parsing) and ``problems`` (the one error model) serve them
all.
"""

from skill.api.problems import PROBLEM_JSON, ApiProblem, Problem, problem
from skill.api.security.auth import TokenAuthenticator

__all__ = ["PROBLEM_JSON", "ApiProblem", "Problem", "TokenAuthenticator", "problem"]
