"""The music player: a ParsedRequest in, a track to stream (or a polite no) out.

Front-door neutral: the Alexa handlers, the REST API and the CLI all go through it. It never
raises for a backend being down; it answers with speech that says so.

Play events go to the event stream through ``record``. When the stream is down they go to a
spool on local disk (``playback.spool``), which survives restarts and is replayed, oldest
first, ahead of later events once the stream is back: events are never dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nlu.parsed import ParsedRequest
from nlu.rules import phrase_key
from playback.catalog import Track, TrackCatalog
from playback.directives import new_token, track_id_of
from playback.errors import PlaybackError
from playback.events import EventStream, PlaybackEvent
from playback.spool import EventSpool, SpooledPublisher
from playback.stream_urls import StreamUrls
from recommender.errors import RecommenderError
from recommender.serving.router import Recommendation, RecommendationRequest, Router

logger = logging.getLogger(__name__)

# How many recommendations to ask for per play: enough to survive ids the catalog lacks.
CANDIDATES_PER_PLAY = 20

BACKEND_DOWN_SPEECH = "Sorry, I can't reach the music library right now. Please try again soon."
NOTHING_TO_RESUME_SPEECH = "There's nothing to resume. Try asking me to play something."


def user_ref(user_id: str) -> str:
    """A short stable hash of a user id, for logs (raw ids are personal data)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class PlayAnswer:
    """What to play and what to say. ``track`` is None when nothing can be played, and then
    ``speech`` says why. ``path`` is the router's path, ``artist``, ``resume`` or ``none``."""

    speech: str
    track: Track | None = None
    stream_url: str | None = None
    token: str | None = None
    offset_ms: int = 0
    path: str = "none"
    reason: str = ""
    degraded: bool = False
    # Other playable track ids for the same request, best first: a device queue plays these.
    upcoming: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RecommendedTrack:
    track: Track
    stream_url: str


@dataclass(frozen=True, slots=True)
class Recommendations:
    """The router's answer with the catalog metadata of the tracks the catalog has."""

    recommendation: Recommendation
    items: tuple[RecommendedTrack, ...]


class MusicPlayer:
    """Turns play requests into tracks; records what listeners do with them."""

    def __init__(
        self,
        catalog: TrackCatalog,
        router: Router,
        stream_urls: StreamUrls,
        events: EventStream,
        *,
        spool: EventSpool,
        stream_retry_after_s: float = 5.0,
    ) -> None:
        self._catalog = catalog
        self._router = router
        self._stream_urls = stream_urls
        self._publisher = SpooledPublisher(events, spool, retry_after_s=stream_retry_after_s)

    def play(
        self,
        user_id: str,
        parsed: ParsedRequest,
        device_id: str | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
    ) -> PlayAnswer:
        """The track for a ``play_music`` request. ``device_id`` is for the per-device queue
        of a later issue; ``exclude`` holds tracks not to pick (the one just skipped)."""
        if parsed.intent != "play_music":
            raise ValueError(f"play() needs a play_music request, got {parsed.intent}")
        try:
            artist = parsed.slot_value("artist")
            if artist is not None:
                return self._play_artist(artist, parsed, exclude)
            if parsed.slot_value("playlist") or parsed.slot_value("album"):
                return PlayAnswer("Sorry, I can't play albums or playlists by name yet.")
            return self._play_recommended(user_id, parsed, exclude)
        except (PlaybackError, RecommenderError):
            logger.error(
                "backend failed while choosing a track",
                exc_info=True,
                extra={"user": user_ref(user_id), "device": device_id},
            )
            return PlayAnswer(BACKEND_DOWN_SPEECH, degraded=True)

    def replay(
        self, token: str | None, offset_ms: int = 0, *, fresh_token: bool = False
    ) -> PlayAnswer:
        """The track a token names again, from ``offset_ms``: resume, start over, repeat.
        ``fresh_token`` makes it a new play for the event stream (start over, repeat)."""
        track_id = track_id_of(token)
        if track_id is None or token is None:
            return PlayAnswer(NOTHING_TO_RESUME_SPEECH)
        try:
            track = self._catalog.get_tracks([track_id]).get(track_id)
        except PlaybackError:
            logger.error("catalog failed while resuming", exc_info=True)
            return PlayAnswer(BACKEND_DOWN_SPEECH, degraded=True)
        if track is None:
            return PlayAnswer(NOTHING_TO_RESUME_SPEECH)
        return PlayAnswer(
            speech="",
            track=track,
            stream_url=self._stream_urls.url_for(track.track_id),
            token=new_token(track.track_id) if fresh_token else token,
            offset_ms=max(0, offset_ms),
            path="resume",
        )

    def describe(self, token: str | None) -> str:
        """Speech saying what the token is playing."""
        track_id = track_id_of(token)
        if track_id is None:
            return "Nothing from me is playing right now."
        try:
            track = self._catalog.get_tracks([track_id]).get(track_id)
        except PlaybackError:
            logger.error("catalog failed while describing a track", exc_info=True)
            return BACKEND_DOWN_SPEECH
        if track is None:
            return "I don't know this track, sorry."
        return f"This is {track.title} by {track.artist_name}."

    def recommend(self, request: RecommendationRequest) -> Recommendations:
        """Recommendations with catalog metadata, for the REST API. Raises
        ``CatalogUnavailable`` when the catalog is down (the router itself degrades)."""
        recommendation = self._router.recommend(request)
        found = self._catalog.get_tracks(recommendation.track_ids)
        items = tuple(
            RecommendedTrack(found[t], self._stream_urls.url_for(t))
            for t in recommendation.track_ids
            if t in found
        )
        return Recommendations(recommendation, items)

    def record(self, event: PlaybackEvent) -> bool:
        """Publish ``event`` (after any spooled ones). True when published now; False when
        the stream is down and it waits in the disk spool. Never raises StreamUnavailable."""
        return self._publisher.publish([event])

    def record_all(self, events: Sequence[PlaybackEvent]) -> bool:
        """``record`` for a batch, in order (app clients upload many at once)."""
        return self._publisher.publish(list(events))

    def replay_events(self) -> int:
        """Publish spooled events now (a timer may call this); how many went out."""
        return self._publisher.replay()

    @property
    def pending_events(self) -> int:
        """Events waiting in the disk spool."""
        return self._publisher.pending

    def _play_artist(self, name: str, parsed: ParsedRequest, exclude: frozenset[str]) -> PlayAnswer:
        artists = self._catalog.find_artists(name, limit=1)
        if not artists and " and " in name:  # typed "&" reaches us as "and"
            artists = self._catalog.find_artists(name.replace(" and ", " & "), limit=1)
        if not artists:
            return PlayAnswer(f"Sorry, I couldn't find any music by {name}.")
        tracks = [
            t
            for t in self._catalog.tracks_by_artist(artists[0].artist_id)
            if t.track_id not in exclude
        ]
        if not tracks:
            return PlayAnswer(f"Sorry, I couldn't find any music by {artists[0].name}.")
        preferred = [t for t in tracks if _matches(t, parsed)]
        ranked = preferred + [t for t in tracks if t not in preferred]
        reason = "as you asked" if preferred else "one of their latest tracks"
        upcoming = tuple(t.track_id for t in ranked[1:])
        return self._answer(ranked[0], path="artist", reason=reason, upcoming=upcoming)

    def _play_recommended(
        self, user_id: str, parsed: ParsedRequest, exclude: frozenset[str]
    ) -> PlayAnswer:
        request = RecommendationRequest(
            user_id=user_id,
            mood=parsed.slot_value("mood"),
            genre=parsed.slot_value("genre"),
            popular=parsed.slot_value("sort") == "popular",
            n=CANDIDATES_PER_PLAY,
            exclude=exclude,
        )
        answer = self._first_playable(request)
        wanted = request.mood or request.genre
        if answer.track is None and wanted:
            # Better any good track than silence; the reason says the context had none.
            general = replace(request, mood=None, genre=None)
            fallback = self._first_playable(general, note=f"since I have no {wanted} picks yet")
            if fallback.track is not None:
                return fallback
        return answer

    def _first_playable(self, request: RecommendationRequest, note: str = "") -> PlayAnswer:
        """The first recommended track the catalog has, or a polite no."""
        recommendation = self._router.recommend(request)
        found = self._catalog.get_tracks(recommendation.track_ids)
        playable = [t for t in recommendation.track_ids if t in found]
        if playable:
            reason = f"{recommendation.reason}, {note}" if note else recommendation.reason
            return self._answer(
                found[playable[0]],
                path=recommendation.path,
                reason=reason,
                degraded=recommendation.degraded,
                upcoming=tuple(playable[1:]),
            )
        logger.warning(
            "no playable recommendation",
            extra={"path": recommendation.path, "context": request.context},
        )
        return PlayAnswer(
            "Sorry, I don't have anything to play for that yet.",
            path=recommendation.path,
            degraded=recommendation.degraded,
        )

    def _answer(
        self,
        track: Track,
        *,
        path: str,
        reason: str,
        degraded: bool = False,
        upcoming: tuple[str, ...] = (),
    ) -> PlayAnswer:
        return PlayAnswer(
            speech=f"Playing {track.title} by {track.artist_name}, {reason}.",
            track=track,
            stream_url=self._stream_urls.url_for(track.track_id),
            token=new_token(track.track_id),
            path=path,
            reason=reason,
            degraded=degraded,
            upcoming=upcoming,
        )


def _matches(track: Track, parsed: ParsedRequest) -> bool:
    """Whether an artist's track fits the rest of the request (title, album, mood, genre)."""
    checks = (
        (parsed.slot_value("track"), track.title),
        (parsed.slot_value("album"), track.album_title),
        (parsed.slot_value("genre"), track.genre),
    )
    wanted = [(w, have) for w, have in checks if w is not None]
    mood = parsed.slot_value("mood")
    if not wanted and mood is None:
        return False
    if mood is not None and mood not in track.moods:
        return False
    return all(have is not None and phrase_key(w) == phrase_key(have) for w, have in wanted)
