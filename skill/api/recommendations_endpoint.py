"""``GET /v1/users/{user_id}/recommendations``, answered in plain ASGI ahead of FastAPI when
the request is an ordinary one.

The app clients' hot route. FastAPI's routing and dependency machinery (the path parameter,
the bearer scheme, the query model) cost a fifth of the call's CPU, more than the whole bare
endpoint the load test compares it with (BENCHMARKS.md, "2026-12-07 (late night)"). Here the
same three inputs are read directly and the same ``RecommendationsPages.page`` answers, with
the same model validating the query.

Only ordinary requests are taken: a bearer token, each known query parameter at most once and
valid. Anything else (no token or another scheme, a repeated or invalid parameter, HEAD)
goes on to the FastAPI route, which answers it as it always has, so every error a client can
get is still FastAPI's and the problem handlers'. The route stays the one the OpenAPI document
describes. ``tests/integration/test_recommendations_endpoint.py`` holds both answers to be the same.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from skill.api.offload import Offload
from skill.api.problems import ApiProblem, problem_of
from skill.api.recommendations import PageQuery, RecommendationsPages

PREFIX = "/v1/users/"
SUFFIX = "/recommendations"
MAX_USER_ID = 256  # as the route's path parameter
_FIELDS = frozenset(PageQuery.model_fields)
_JSON_HEADERS = [(b"content-type", b"application/json")]


class _Route:
    """What ``scope["route"]`` holds for this endpoint: the template the metrics label."""

    path = "/v1/users/{user_id}/recommendations"


class RecommendationsEndpoint:
    """ASGI middleware that answers ordinary recommendations pages itself (see the module
    docstring) and passes every other request on; ``offload`` runs a page's work."""

    def __init__(self, app: ASGIApp, pages: RecommendationsPages, offload: Offload) -> None:
        self.app = app
        self._pages = pages
        self._offload = offload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inputs = self.ordinary(scope)
        if inputs is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = _Route
        try:
            page = await self._offload(self._pages.page, *inputs)
        except ApiProblem as exc:  # as the app's problem handler answers it
            await problem_of(exc)(scope, receive, send)
            return
        content = page.model_dump_json().encode()
        headers = [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def ordinary(self, scope: Scope) -> tuple[HTTPAuthorizationCredentials, str, PageQuery] | None:
        """(credentials, user id, query) of a request this endpoint answers, else None."""
        path = scope["path"] if scope["type"] == "http" else ""
        if scope.get("method") != "GET" or not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return None
        user_id = path[len(PREFIX) : -len(SUFFIX)]
        if not 0 < len(user_id) <= MAX_USER_ID or "/" in user_id:
            return None
        credentials = _bearer(scope)
        if credentials is None:
            return None
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        known = {name: value for name, value in pairs if name in _FIELDS}
        if len(known) != sum(name in _FIELDS for name, _ in pairs):
            return None  # a parameter given twice: the route decides which one counts
        try:
            query = PageQuery.model_validate(known)
        except ValidationError:
            return None  # the route answers with its 422
        return credentials, user_id, query


def _bearer(scope: Scope) -> HTTPAuthorizationCredentials | None:
    """The request's bearer token, as FastAPI's ``HTTPBearer`` reads it; None for anything
    else (no header, two of them, another scheme)."""
    values = [value for name, value in scope["headers"] if name == b"authorization"]
    if len(values) != 1:
        return None
    scheme, _, token = values[0].decode("latin-1").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return HTTPAuthorizationCredentials(scheme=scheme, credentials=token)
