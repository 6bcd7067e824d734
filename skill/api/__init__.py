"""The REST API for app clients (``/v1``), health and readiness, and demo media.

Small modules, one per resource: ``recommendations`` (recommendations, playlists), ``play``
(text to a play answer that starts a device queue), ``devices`` (next, the queue),
``events`` (event batches, likes, dislikes), ``health``, ``media``;
``auth`` (bearer tokens) and ``problems`` (the one error model) serve them all.
"""

from skill.api.auth import TokenAuthenticator
from skill.api.problems import PROBLEM_JSON, ApiProblem, Problem, problem

__all__ = ["PROBLEM_JSON", "ApiProblem", "Problem", "TokenAuthenticator", "problem"]
