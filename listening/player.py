"""The music player: a ParsedRequest in, a track to stream (or a polite no) out.

Every request goes through the router, artist and track requests included (its artist
path); the player keeps what the catalog can play and speaks the answer. It never raises for
a backend being down: it answers with speech that says so.

Names are grounded in the catalog honestly: when a request names an artist, a track or an
album the catalog does not have, the answer says so before what plays instead ("I couldn't
find Imogen Heap; here is something close."), and ``PlayAnswer.not_found`` names it for the
REST API. Instead of an unknown artist (or a track with no artist the catalog knows) comes
what the rest of the request asks for (its mood, genre or sort; the listener's picks when it
says nothing else); instead of an unknown title or album of a known artist, that artist's
best other track.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from listening.candidates import candidates_for
from listening.routines import Routine, RoutineStore, RoutinesUnavailable, find_routine
from nlu.parsed import ParsedRequest, Slot, SlotName
from playback.catalog import Track, TrackCatalog
from playback.directives import new_token, track_id_of
from playback.errors import PlaybackError
from playback.events import Served, new_impression_id
from playback.stream_urls import StreamUrls
from playback.vocabulary import phrase_key
from recommender.errors import RecommenderError
from recommender.serving.bandit import Reranker
from recommender.serving.experiments import exposure_context
from recommender.serving.named import ARTIST_TRACKS, Named, named_tracks
from recommender.serving.router import Recommendation, RecommendationRequest, Router

logger = logging.getLogger(__name__)

# Tracks a play lines up: the one that starts and a few a device queue plays after it.
TRACKS_PER_PLAY = 5

BACKEND_DOWN_SPEECH = "Sorry, I can't reach the music library right now. Please try again soon."
NOTHING_TO_RESUME_SPEECH = "There's nothing to resume. Try asking me to play something."
NOTHING_TO_PLAY_SPEECH = "Sorry, I don't have anything to play for that yet."
NOT_FOUND_SPEECH = "I couldn't find {name}; here is something close."
NO_ROUTINE_SPEECH = (
    "You don't have a routine called {name} yet. You can set one up in the Philomath app."
)
ROUTINE_SPEECH = "Starting your {name} routine. "

# Slots that name music in the catalog; what a request names that the catalog lacks is one
# of these (``PlayAnswer.not_found``). Playlists and albums alone are not played by name.
GroundedSlot = Literal["artist", "track", "album"]
GROUNDED_SLOTS: tuple[GroundedSlot, ...] = ("artist", "track", "album")
NAMING_SLOTS: frozenset[SlotName] = frozenset({*GROUNDED_SLOTS, "playlist", "item_type"})


@functools.lru_cache(maxsize=4_096)  # every turn logs its listener and device
def user_ref(user_id: str) -> str:
    """A short stable hash of a user id, for logs (raw ids are personal data)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class PlayAnswer:
    """What to play and what to say. ``track`` is None when nothing can be played, and then
    ``speech`` says why. ``path`` is the router's path, ``resume`` or ``none``."""

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
    # What the request named that the catalog does not have, as said (slot, name); the
    # track, if any, is the closest the catalog has, and ``speech`` says so first.
    not_found: tuple[tuple[GroundedSlot, str], ...] = ()
    # What served ``track`` (``upcoming`` follow it in the same list, one position each);
    # None for a track nobody recommended now (a foreign token, the queue store down).
    served: Served | None = None


@dataclass(frozen=True, slots=True)
class RecommendedTrack:
    """A playable track. Its stream URL is signed when read: a page shows a third of the
    candidates it was cut from, and signing was a third of a recommendation's cost."""

    track: Track
    urls: StreamUrls

    @property
    def stream_url(self) -> str:
        return self.urls.url_for(self.track.track_id)


@dataclass(frozen=True, slots=True)
class Recommendations:
    """The router's answer with the catalog metadata of the tracks the catalog has."""

    recommendation: Recommendation
    items: tuple[RecommendedTrack, ...]
    # The impression (position 0); ``items[i]`` was served at ``served.at(i)``.
    served: Served | None = None


def served_context(request: RecommendationRequest) -> dict[str, str]:
    """The request's facets an event records, for crediting plays to a context."""
    named = request.named
    facets = {
        "mood": request.mood,
        "genre": request.genre,
        "popular": "true" if request.popular else None,
        "artist": named.artist if named is not None else None,
        "track": named.title if named is not None else None,
        "part_of_day": request.part_of_day,
    }
    return {key: value[:128] for key, value in facets.items() if value}


def impression(recommendation: Recommendation, request: RecommendationRequest) -> Served:
    """A new impression of ``recommendation``'s list, at its first position."""
    return Served(
        impression_id=new_impression_id(),
        position=0,
        path=recommendation.path,
        model_version=recommendation.model_version[:128],
        context=served_context(request) | exposure_context(recommendation.experiments),
        propensities=recommendation.propensities,
    )


def named_in(parsed: ParsedRequest) -> Named | None:
    """The artist or track a play request names (the artist path), or None."""
    artist, track = parsed.slots.get("artist"), parsed.slots.get("track")
    if artist is None and track is None:
        return None
    return Named(
        artist=artist.value if artist else None,
        artist_id=artist.id if artist else None,
        title=track.value if track else None,
        track_id=track.id if track else None,
        album=parsed.slot_value("album"),
    )


class MusicPlayer:
    """Turns play requests into tracks, and track ids into playable tracks."""

    def __init__(
        self,
        catalog: TrackCatalog,
        router: Router,
        stream_urls: StreamUrls,
        routines: RoutineStore | None = None,
    ) -> None:
        self._catalog = catalog
        self._router = router
        self._stream_urls = stream_urls
        self._routines = routines

    def play(
        self,
        user_id: str,
        parsed: ParsedRequest,
        device_id: str | None = None,
        *,
        exclude: frozenset[str] = frozenset(),
        now: float | None = None,
    ) -> PlayAnswer:
        """The track for a ``play_music`` request (``device_id`` is for logs); ``exclude``
        holds tracks not to pick (the one just skipped, those already queued). ``now``
        (unix seconds, from the front door: the Alexa request's timestamp) is when the
        listener asked: on their clock, its part of the day picks their list for that part
        when the request says no mood or genre."""
        if parsed.intent != "play_music":
            raise ValueError(f"play() needs a play_music request, got {parsed.intent}")
        try:
            if "routine" in parsed.slots:
                return self._play_routine(user_id, parsed, exclude, now)
            named = named_in(parsed)
            if named is not None:
                return self._play_named(user_id, parsed, named, exclude)
            if parsed.slot_value("playlist") or parsed.slot_value("album"):
                return PlayAnswer("Sorry, I can't play albums or playlists by name yet.")
            return self._play_recommended(user_id, parsed, exclude, now)
        except (PlaybackError, RecommenderError, RoutinesUnavailable):
            logger.error(
                "backend failed while choosing a track",
                exc_info=True,
                extra={"user": user_ref(user_id), "device": device_id},
            )
            return PlayAnswer(BACKEND_DOWN_SPEECH, degraded=True)

    def replay(
        self,
        token: str | None,
        offset_ms: int = 0,
        *,
        fresh_token: bool = False,
        path: str = "resume",
    ) -> PlayAnswer:
        """The track a token names again, from ``offset_ms``: resume, start over, repeat, or
        a queued track (``path="queue"``). ``fresh_token`` makes it a new play for the event
        stream (start over, repeat)."""
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
            path=path,
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

    def recommend(
        self, request: RecommendationRequest, reranker: Reranker | None = None
    ) -> Recommendations:
        """Recommendations with catalog metadata, for the REST API. Raises
        ``CatalogUnavailable`` when the catalog is down (the router itself degrades).
        ``reranker`` replaces the router's own (a simulated policy)."""
        recommendation = self._router.recommend(request, reranker)
        return Recommendations(
            recommendation,
            self.playable(recommendation.track_ids),
            impression(recommendation, request),
        )

    def playable(self, track_ids: Sequence[str]) -> tuple[RecommendedTrack, ...]:
        """The tracks the catalog has, in the given order, with stream URLs. Raises
        ``CatalogUnavailable``."""
        found = self._catalog.get_tracks(track_ids)
        urls = self._stream_urls
        return tuple(RecommendedTrack(found[t], urls) for t in track_ids if t in found)

    def track(self, track_id: str) -> Track | None:
        """One track's metadata, or None. Raises ``CatalogUnavailable``."""
        return self._catalog.get_tracks([track_id]).get(track_id)

    def _play_named(
        self, user_id: str, parsed: ParsedRequest, named: Named, exclude: frozenset[str]
    ) -> PlayAnswer:
        """The named music, or (when the catalog lacks the name) the closest, saying so."""
        request = self._request(user_id, parsed, exclude, named=named)
        said = f"any music by {named.artist}" if named.artist else named.spoken
        answer = self._first_playable(request, nothing=f"Sorry, I couldn't find {said}.")
        if answer.track is not None:
            return _not_found(answer, parsed, self._unmatched(parsed, named, answer.track))
        if answer.degraded or named_tracks(self._catalog, named, 1):
            return answer  # the catalog is down, or all of the named music is excluded
        # The catalog has nothing by that name: what the rest of the request asks for.
        missing = tuple(name for name in GROUNDED_SLOTS if name in parsed.slots)
        unnamed = {name: slot for name, slot in parsed.slots.items() if name not in NAMING_SLOTS}
        close = self._play_recommended(
            user_id, parsed.model_copy(update={"slots": unnamed}), exclude
        )
        logger.info("not in the catalog", extra={"missing": missing, "close": close.path})
        return _not_found(close if close.track is not None else answer, parsed, missing)

    def _unmatched(
        self, parsed: ParsedRequest, named: Named, track: Track
    ) -> tuple[GroundedSlot, ...]:
        """The title and album ``named`` gives that neither ``track`` (the artist path's
        first) nor any other catalog track of its artist has. Raises ``CatalogUnavailable``."""
        wanted: list[tuple[GroundedSlot, str, str | None]] = []
        if named.title is not None and named.track_id != track.track_id:
            wanted.append(("track", named.title, track.title))
        if named.album is not None:
            wanted.append(("album", named.album, track.album_title))
        missing = [(slot, said) for slot, said, have in wanted if not _same(said, have)]
        if not missing:
            return ()
        if named.track_id is not None and named.track_id in self._catalog.get_tracks(
            [named.track_id]
        ):
            missing = [(slot, said) for slot, said in missing if slot != "track"]
        others = self._catalog.tracks_by_artist(track.artist_id, ARTIST_TRACKS) if missing else []
        return tuple(
            slot
            for slot, said in missing
            if not any(_same(said, t.title if slot == "track" else t.album_title) for t in others)
        )

    def _play_routine(
        self, user_id: str, parsed: ParsedRequest, exclude: frozenset[str], now: float | None
    ) -> PlayAnswer:
        """ "Play my meditation routine": the listener's routine of that name (or id), else a
        routine named after a part of the day ("my night routine") plays their list for it."""
        asked = parsed.slots["routine"]
        routine = self._routine(user_id, asked)
        if routine is not None:
            answer = self._play_recommended(
                user_id, routine_request(routine), exclude, now, timezone=routine.timezone
            )
            name = routine.name
        elif "part_of_day" in parsed.slots:
            general = {k: v for k, v in parsed.slots.items() if k != "routine"}
            answer = self._play_recommended(
                user_id, parsed.model_copy(update={"slots": general}), exclude, now
            )
            name = asked.value
        else:
            return PlayAnswer(NO_ROUTINE_SPEECH.format(name=asked.value or "that"))
        if answer.track is None:
            return answer
        return replace(answer, speech=ROUTINE_SPEECH.format(name=name) + answer.speech)

    def _routine(self, user_id: str, asked: Slot) -> Routine | None:
        if self._routines is None:
            return None
        mine = self._routines.for_listener(user_id)
        if asked.id is not None:
            return next((r for r in mine if r.routine_id == asked.id), None)
        return find_routine(mine, asked.value) if asked.value else None

    def _play_recommended(
        self,
        user_id: str,
        parsed: ParsedRequest,
        exclude: frozenset[str],
        now: float | None = None,
        *,
        timezone: str | None = None,
    ) -> PlayAnswer:
        request = replace(self._request(user_id, parsed, exclude), at=now, timezone=timezone)
        answer = self._first_playable(request)
        wanted = request.mood or request.genre
        if answer.track is None and wanted:
            # Better any good track than silence; the reason says the context had none.
            general = replace(request, mood=None, genre=None)
            fallback = self._first_playable(general, note=f"since I have no {wanted} picks yet")
            if fallback.track is not None:
                return fallback
        return answer

    @staticmethod
    def _request(
        user_id: str, parsed: ParsedRequest, exclude: frozenset[str], named: Named | None = None
    ) -> RecommendationRequest:
        return RecommendationRequest(
            user_id=user_id,
            mood=parsed.slot_value("mood"),
            genre=parsed.slot_value("genre"),
            part_of_day=parsed.slot_value("part_of_day"),
            popular=parsed.slot_value("sort") == "popular",
            n=candidates_for(TRACKS_PER_PLAY),
            exclude=exclude,
            named=named,
        )

    def _first_playable(
        self, request: RecommendationRequest, note: str = "", nothing: str = NOTHING_TO_PLAY_SPEECH
    ) -> PlayAnswer:
        """The first recommended track the catalog has, or a polite no (``nothing``)."""
        recommendation = self._router.recommend(request)
        if request.named is not None and recommendation.degraded and not recommendation.track_ids:
            return PlayAnswer(BACKEND_DOWN_SPEECH, path="artist", degraded=True)  # catalog down
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
                served=impression(recommendation, request),
            )
        logger.warning(
            "no playable recommendation",
            extra={"path": recommendation.path, "context": request.context},
        )
        return PlayAnswer(nothing, path=recommendation.path, degraded=recommendation.degraded)

    def _answer(
        self,
        track: Track,
        *,
        path: str,
        reason: str,
        degraded: bool = False,
        upcoming: tuple[str, ...] = (),
        served: Served | None = None,
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
            served=served,
        )


def routine_request(routine: Routine) -> ParsedRequest:
    """The play request a routine makes: its mood, genre and activity, at its part of the
    day, under its name and id (kept in a device queue for refills)."""
    values: dict[SlotName, str | None] = {
        "mood": routine.mood, "genre": routine.genre, "activity": routine.activity,
        "part_of_day": routine.part_of_day,
    }  # fmt: skip
    slots = {k: Slot(text=v, value=v) for k, v in values.items() if v}
    slots["routine"] = Slot(text=routine.name, value=routine.key, id=routine.routine_id)
    return ParsedRequest(intent="play_music", confidence=1.0, slots=slots)


def _same(said: str, have: str | None) -> bool:
    return have is not None and phrase_key(said) == phrase_key(have)


def _not_found(
    answer: PlayAnswer, parsed: ParsedRequest, missing: Sequence[GroundedSlot]
) -> PlayAnswer:
    """``answer`` saying first that the catalog lacks the ``missing`` names of ``parsed``."""
    if not missing:
        return answer
    said = {name: parsed.slots[name].text for name in GROUNDED_SLOTS if name in parsed.slots}
    thing = said.get("track") if "track" in missing else None
    if "album" in missing:
        album = f"the album {said['album']}"
        thing = f"{thing} from {album}" if thing else album
    artist = said.get("artist")
    name = f"{thing} by {artist}" if thing and artist else thing or artist or "that"
    notice = NOT_FOUND_SPEECH.format(name=name)
    speech = f"{notice} {answer.speech}" if answer.track is not None else answer.speech
    not_found = tuple((slot, said[slot]) for slot in missing)
    return replace(answer, speech=speech, not_found=not_found)
