"""``POST /alexa``, the Alexa webservice endpoint, answered in plain ASGI ahead of FastAPI.

A skill turn is the request path's hot route. FastAPI's routing, request and response
objects, dependency machinery and exception middleware cost about as much CPU as the turn's
whole HTTP share should (BENCHMARKS.md, "2026-12-07 (night)"), and this route uses none of
them: it reads the raw body (Alexa signs exactly those bytes), checks it, runs the turn and
writes JSON. Every other request goes on to the app unchanged.

Errors reach the client as ``application/problem+json`` like the API's: 413 for a body over
``MAX_ALEXA_BODY_BYTES``, 400 for a failed signature check, malformed JSON, JSON nested too
deeply or an envelope the skill cannot read. Whatever else goes wrong is the middleware
outside this one's (``LastResort``): logged with its traceback, a 503 problem.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from ask_sdk_core.skill import CustomSkill
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from skill.alexa import EnvelopeTooDeep, InvalidEnvelope, VerificationFailed, handle_envelope
from skill.api.offload import Offload
from skill.api.problems import problem
from skill.json_depth import MAX_JSON_DEPTH, JsonTooDeep

logger = logging.getLogger(__name__)

PATH = "/alexa"
MAX_ALEXA_BODY_BYTES = 256 * 1024  # Alexa envelopes are a few KiB

# Raises VerificationFailed when the request did not come from Alexa (headers, raw body).
Verifier = Callable[[Mapping[str, str], bytes], None]

_JSON_HEADERS = [(b"content-type", b"application/json")]


class _Route:
    """What ``scope["route"]`` holds for this endpoint: the template the metrics label."""

    path = PATH


class AlexaEndpoint:
    """ASGI middleware that answers ``POST /alexa`` itself and passes anything else on.

    ``offload`` runs the turn (and the signature check): inline on the loop or in the thread
    pool (``skill.api.offload``). With ``verifier=None`` every request is accepted: only a
    local development server runs like that, and the composition root says so loudly."""

    def __init__(
        self, app: ASGIApp, skill: CustomSkill, offload: Offload, verifier: Verifier | None
    ) -> None:
        self.app = app
        self._skill = skill
        self._offload = offload
        self._verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["route"] = _Route
        body = await _body(receive, MAX_ALEXA_BODY_BYTES)
        if body is None:  # the client went away
            return
        answer = await self._answer(scope, body)
        if isinstance(answer, Response):  # a problem
            await answer(scope, receive, send)
            return
        content = json.dumps(
            answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
        headers = [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _answer(self, scope: Scope, body: bytes | _TooLarge) -> dict[str, Any] | Response:
        """The response envelope, or the problem to answer with."""
        if isinstance(body, _TooLarge):
            detail = f"the body is over {MAX_ALEXA_BODY_BYTES} bytes"
            return problem(413, "Request body too large", detail)
        if self._verifier is not None:
            try:
                await self._offload(self._verifier, Headers(scope=scope), body)
            except VerificationFailed as exc:
                logger.warning("alexa request failed verification: %s", exc)
                return problem(400, "Request verification failed")
        try:
            # No depth scan first: the parser's own recursion guard refuses a body nested
            # past the interpreter's limit, and handle_envelope bounds the depth of the rest.
            envelope = json.loads(body)
        except RecursionError:
            return _too_deep()
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            return problem(400, "Malformed JSON", "the body must be an Alexa request envelope")
        try:
            return await self._offload(handle_envelope, self._skill, envelope)
        except EnvelopeTooDeep:
            return _too_deep()
        except InvalidEnvelope as exc:
            return problem(400, "Invalid Alexa request envelope", str(exc)[:200])


def _too_deep() -> Response:
    return problem(400, "Request body nested too deeply", str(JsonTooDeep(MAX_JSON_DEPTH)))


class _TooLarge:
    """A body that passed the limit: reading stopped there."""


async def _body(receive: Receive, limit: int) -> bytes | _TooLarge | None:
    """The whole body; ``_TooLarge`` once it passes ``limit``; None if the client left."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _TooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
