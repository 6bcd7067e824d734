"""Recommendations with context filters and pagination, and in-app playlist construction."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from listening.candidates import MAX_CANDIDATES, candidates_for
from listening.player import MusicPlayer, Recommendations
from nlu.request_parser import RequestParser
from playback.errors import PlaybackError
from playback.playlist import build_playlist
from playback.vocabulary import MOODS, canonical_mood
from recommender.serving.router import RecommendationRequest
from skill.api.offload import Offload, in_threads
from skill.api.problems import ApiProblem, problem_responses
from skill.api.schemas import PlaylistOut, PlaylistRequest, RecommendationsPage, TrackOut
from skill.api.security.auth import READ, ApiAuth, Credentials

MAX_DEPTH = MAX_CANDIDATES  # pages go no deeper than the router ranks
UserId = Annotated[
    str, PathParam(min_length=1, max_length=256, description="A listener id, or `me`.")
]


class PageQuery(BaseModel):
    """The query of a recommendations page, read as one model: FastAPI then validates it in
    one pass instead of resolving each parameter on its own (a sixth of the call's CPU)."""

    limit: int | None = Field(None, ge=1, le=MAX_DEPTH, description="Page size.")
    cursor: str | None = Field(None, max_length=32)
    mood: str | None = Field(None, max_length=64, description="A mood or a synonym of one.")
    genre: str | None = Field(None, max_length=64)
    popular: bool = False
    # Deprecated in the OpenAPI document only: pydantic's own flag warns on every read.
    n: int | None = Field(
        None, ge=1, le=MAX_DEPTH, description="Use limit.", json_schema_extra={"deprecated": True}
    )


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        offset = int(text.removeprefix("o:")) if text.startswith("o:") else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        offset = -1
    if not 0 <= offset < MAX_DEPTH:
        raise ApiProblem(422, "Invalid cursor", "pass next_cursor from a previous page")
    return offset


def context_filters(
    parser: RequestParser, mood: str | None, genre: str | None
) -> tuple[str | None, str | None]:
    """Canonical (mood, genre); 422 for one the system does not know."""
    canonical = canonical_mood(mood) if mood else None
    if mood and canonical is None:
        raise ApiProblem(422, "Unknown mood", f"known moods: {', '.join(MOODS)}")
    catalog_genre = parser.canonical_genre(genre) if genre else None
    if genre and catalog_genre is None:
        raise ApiProblem(422, "Unknown genre", "no such genre in the catalog")
    return canonical, catalog_genre


def recommend(player: MusicPlayer, request: RecommendationRequest) -> Recommendations:
    try:
        return player.recommend(request)
    except PlaybackError as exc:
        raise ApiProblem(503, "Catalog unavailable", "try again shortly") from exc


class RecommendationsPages:
    """The recommendations page's work, for its route and its plain-ASGI endpoint
    (``skill.api.recommendations_endpoint``)."""

    def __init__(self, player: MusicPlayer, parser: RequestParser, auth: ApiAuth) -> None:
        self._player = player
        self._parser = parser
        self._auth = auth

    def page(
        self, credentials: HTTPAuthorizationCredentials | None, user_id: str, query: PageQuery
    ) -> RecommendationsPage:
        """One page; raises ``ApiProblem`` (401, 403, 422, 429, 503)."""
        listener = self._auth.authorize(credentials, user_id, READ)
        limit = query.limit or query.n or 10
        offset = decode_cursor(query.cursor)
        mood, genre = context_filters(self._parser, query.mood, query.genre)
        depth = min(offset + limit, MAX_DEPTH)
        wanted = candidates_for(depth)
        request = RecommendationRequest(
            listener, mood=mood, genre=genre, popular=query.popular, n=wanted
        )
        answer = recommend(self._player, request)
        rec, served = answer.recommendation, answer.served
        # Pages slice the playable list, so every page but the last has ``limit`` items.
        more = depth < MAX_DEPTH and (len(answer.items) > depth or len(rec.track_ids) >= wanted)
        return RecommendationsPage(
            user_id=listener,
            path=rec.path,
            reason=rec.reason,
            model_version=rec.model_version,
            degraded=rec.degraded,
            impression_id=served.impression_id if served is not None else None,
            items=TrackOut.listed(
                [(item.track, item.stream_url) for item in answer.items[offset:depth]],
                served,
                offset,
            ),
            next_cursor=encode_cursor(depth) if more else None,
        )


def recommendations_router(
    player: MusicPlayer,
    parser: RequestParser,
    auth: ApiAuth,
    offload: Offload = in_threads,
    pages: RecommendationsPages | None = None,
) -> APIRouter:
    """The routes; ``offload`` runs a page's blocking work (``skill.api.offload``)."""
    router = APIRouter(prefix="/v1/users/{user_id}", tags=["recommendations"])
    page = (pages or RecommendationsPages(player, parser, auth)).page

    @router.get(
        "/recommendations",
        response_model=RecommendationsPage,
        responses=problem_responses(401, 403, 422, 429, 503),
    )
    async def recommendations(
        user_id: UserId, credentials: Credentials, query: Annotated[PageQuery, Query()]
    ) -> Response:
        """The listener's recommendations, best first, a page at a time (10 by default)."""
        built = await offload(page, credentials, user_id, query)
        # Already the response model: written as it is, not validated again on the way out.
        return Response(built.model_dump_json(), media_type="application/json")

    @router.post(
        "/playlists",
        response_model=PlaylistOut,
        responses=problem_responses(400, 401, 403, 422, 429, 503),
    )
    def playlist(user_id: UserId, body: PlaylistRequest, credentials: Credentials) -> PlaylistOut:
        """A playlist of up to ``size`` playable tracks with metadata, built from the
        listener's recommendations; candidates that cannot go in are counted in
        ``dropped``."""
        listener = auth.authorize(credentials, user_id, READ)
        mood, genre = context_filters(parser, body.mood, body.genre)
        exclude = frozenset(body.exclude)
        wanted = candidates_for(body.size)
        request = RecommendationRequest(
            listener, mood=mood, genre=genre, popular=body.popular, n=wanted, exclude=exclude
        )
        answer = recommend(player, request)
        found = {item.track.track_id: item for item in answer.items}
        built = build_playlist(
            answer.recommendation.track_ids,
            {track_id: item.track for track_id, item in found.items()},
            body.size,
            allow_explicit=body.allow_explicit,
            exclude=exclude,
        )
        rec, served = answer.recommendation, answer.served
        return PlaylistOut(
            user_id=listener,
            tracks=TrackOut.listed(
                [(t, found[t.track_id].stream_url) for t in built.tracks], served
            ),
            dropped=built.dropped,
            path=rec.path,
            reason=rec.reason,
            degraded=rec.degraded,
        )

    return router
