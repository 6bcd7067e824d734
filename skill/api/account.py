"""Erasing a listener's data on request: ``DELETE /v1/users/{user_id}``.

The same ``listening.erasure.Erasure`` as the skill's SkillDisabled: profile, applied event
ids, recommendation lists and their cached copies, device queues and the voice identity
mappings of the token's listener. Any valid token of the listener may ask, whatever scopes
it was granted: erasing one's own data is the listener's right, not an app feature.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from listening.erasure import Erasure, ErasureFailed
from skill.api.problems import ApiProblem, problem_responses
from skill.api.recommendations import UserId
from skill.api.security.auth import ApiAuth, Credentials


def account_router(erasure: Erasure, auth: ApiAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["account"])

    @router.delete("", status_code=204, responses=problem_responses(401, 403, 429, 503))
    def forget_listener(user_id: UserId, credentials: Credentials) -> Response:
        """Delete everything Philomath keeps about the token's listener (``me``): profile,
        learnt preferences and feedback, recommendation lists, play queues on every
        device, and the link to their Alexa account. Play events of theirs still on the
        way are dropped, not learnt from. 204 once done; repeating it is harmless. A 503
        means a store could not be reached: repeat the call to finish the erasure."""
        listener = auth.authorize(credentials, user_id, None)
        try:
            erasure.forget(listener)
        except ErasureFailed:
            raise ApiProblem(503, "Erasure incomplete", "a store is unavailable; retry") from None
        return Response(status_code=204)

    return router
