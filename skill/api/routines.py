"""A listener's routines: declare ("meditation at 22:00 every day"), list, delete, start.

The app, or an Alexa Routine through the app's backend, starts a routine at its time with
``POST .../routines/{id}/play``; by voice it is "play my meditation routine". Invalid bodies
are 422 problems (``skill.api.problems``); a request text that names no mood, genre or
activity is one too, and an out-of-scope one ("a podcast") is the ``out-of-scope`` problem.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam

from listening import Listening
from listening.player import routine_request
from listening.routines import (
    MAX_ROUTINES_PER_LISTENER,
    Routine,
    RoutineStore,
    RoutinesUnavailable,
    new_routine_id,
)
from nlu.request_parser import RequestParser
from playback.vocabulary import canonical_mood
from skill.api.play import OUT_OF_SCOPE_RESPONSE, out_of_scope_problem
from skill.api.problems import ApiProblem, problem_responses
from skill.api.recommendations import UserId
from skill.api.routine_schemas import RoutineIn, RoutineOut, RoutinePlayIn, RoutinesOut
from skill.api.schemas import ParsedOut, PlayAnswerOut
from skill.api.security.auth import PLAY, ApiAuth, Credentials

logger = logging.getLogger(__name__)

RoutineId = Annotated[str, PathParam(min_length=1, max_length=64)]
_UNAVAILABLE = ("Routines unavailable", "try again shortly")


def routines_router(listening: Listening, parser: RequestParser, auth: ApiAuth) -> APIRouter:
    """The routes on ``listening.routines``; without a store (an app built without one) every
    route answers 503."""
    router = APIRouter(prefix="/v1/users/{user_id}/routines", tags=["routines"])

    def store() -> RoutineStore:
        if listening.routines is None:
            raise ApiProblem(503, "Routines unavailable", "this deployment keeps no routines")
        return listening.routines

    def mine(listener: str) -> list[Routine]:
        routines = store()
        try:
            return routines.for_listener(listener)
        except RoutinesUnavailable as exc:
            raise ApiProblem(503, *_UNAVAILABLE) from exc

    @router.post(
        "",
        status_code=201,
        response_model=RoutineOut,
        responses=problem_responses(
            400, 401, 403, 422, 429, 503, typed={422: OUT_OF_SCOPE_RESPONSE}
        ),
    )
    def declare(user_id: UserId, body: RoutineIn, credentials: Credentials) -> RoutineOut:
        """Declare a routine; 201 with its ``id``."""
        listener = auth.authorize(credentials, user_id, PLAY)
        routines = store()
        mood, genre, activity = _what_to_play(body, parser)
        if len(mine(listener)) >= MAX_ROUTINES_PER_LISTENER:
            raise ApiProblem(
                422, "Too many routines", f"at most {MAX_ROUTINES_PER_LISTENER} per listener"
            )
        routine = Routine(
            routine_id=new_routine_id(), user_id=listener, name=body.name,
            request=body.request or "", mood=mood, genre=genre, activity=activity,
            at=body.at, repeat=body.repeat, timezone=body.timezone, created_at=time.time(),
        )  # fmt: skip
        try:
            routines.add(routine)
        except RoutinesUnavailable as exc:
            raise ApiProblem(503, *_UNAVAILABLE) from exc
        return RoutineOut.of(routine)

    @router.get(
        "", response_model=RoutinesOut, responses=problem_responses(401, 403, 422, 429, 503)
    )
    def list_routines(user_id: UserId, credentials: Credentials) -> RoutinesOut:
        """The listener's routines, oldest first."""
        listener = auth.authorize(credentials, user_id, PLAY)
        return RoutinesOut(routines=[RoutineOut.of(r) for r in mine(listener)])

    @router.delete(
        "/{routine_id}",
        status_code=204,
        responses=problem_responses(401, 403, 404, 422, 429, 503),
    )
    def delete(user_id: UserId, routine_id: RoutineId, credentials: Credentials) -> Response:
        """Delete a routine."""
        listener = auth.authorize(credentials, user_id, PLAY)
        routines = store()
        try:
            deleted = routines.delete(listener, routine_id)
        except RoutinesUnavailable as exc:
            raise ApiProblem(503, *_UNAVAILABLE) from exc
        if not deleted:
            raise ApiProblem(404, "No such routine")
        return Response(status_code=204)

    @router.post(
        "/{routine_id}/play",
        response_model=PlayAnswerOut,
        responses=problem_responses(400, 401, 403, 404, 422, 429, 503),
    )
    def play(
        user_id: UserId,
        routine_id: RoutineId,
        credentials: Credentials,
        body: RoutinePlayIn | None = None,
    ) -> PlayAnswerOut:
        """Start a routine on a device (the app's own by default), as "play my <name>
        routine" would."""
        listener = auth.authorize(credentials, user_id, PLAY)
        routine = next((r for r in mine(listener) if r.routine_id == routine_id), None)
        if routine is None:
            raise ApiProblem(404, "No such routine")
        device_id = (body or RoutinePlayIn()).device_id
        parsed = routine_request(routine)
        state = listening.playback.state(listener, device_id)
        answer = listening.playback.play(state, parsed, now=time.time())
        state.commit(force=True)
        parsed_out = ParsedOut(
            intent=parsed.intent,
            confidence=parsed.confidence,
            slots={name: slot.value for name, slot in parsed.slots.items()},
        )
        return PlayAnswerOut.answering(parsed_out, answer, device_id)

    return router


def _what_to_play(
    body: RoutineIn, parser: RequestParser
) -> tuple[str | None, str | None, str | None]:
    """(mood, genre, activity) of a routine body: the structured ones, else what its request
    text says; 422 for what names none of them, or an unknown mood or genre."""
    mood = genre = activity = None
    if body.mood is not None:
        mood = canonical_mood(body.mood)
        if mood is None:
            raise ApiProblem(422, "Unknown mood", f"no mood called {body.mood!r}")
    if body.genre is not None:
        genre = parser.canonical_genre(body.genre)
        if genre is None:
            raise ApiProblem(422, "Unknown genre", f"no genre called {body.genre!r}")
    if body.request:
        parsed = parser.parse(body.request, assume_play=True)
        if parsed.intent == "out_of_scope":
            raise out_of_scope_problem(parsed)
        said = (parsed.slot_value(k) for k in ("mood", "genre", "activity"))
        said_mood, said_genre, activity = said
        if parsed.intent != "play_music" or not (said_mood or said_genre or activity):
            raise ApiProblem(
                422,
                "Request not understood",
                "a routine's request must name a mood, a genre or an activity "
                '("meditation", "calm jazz"); it cannot name an artist yet',
            )
        mood, genre = mood or said_mood, genre or said_genre
    return mood, genre, activity
