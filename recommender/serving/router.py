"""The serving router, the seed's ``get_recommendations``: path, candidates, filter, rank.

Path: a listener with no profile or fewer than ``min_plays_for_personalized`` plays takes
**cold start** (the chart of the requested mood or genre, shaped by stated preferences and by
what the listener's region and age group play); a request for what is popular takes the
**popular** path (the chart, re-ranked by the listener's affinities); everything else is
**personalized** (the listener's stored list for the context, or their overall list narrowed
to it, with new tracks found by content similarity slotted in, then adjusted to the session).
A listener with no stored list yet (one the model never saw, before the next batch run) gets
one computed at request time by ``live`` (``batch.live_lists.LiveLists``: the promoted model
folds their history in; built only where the model libraries are installed, since serving
never imports numpy), treated as their overall list; without it, or when it cannot, the
charts answer.
A request naming an artist or a track takes the **artist** path: the artist's catalog
tracks (``named``), ranked by the same rules with the tracks that fit what was named first; it
has no fallback chain (nobody asking for one artist wants another's tracks), and the catalog
down means an empty, degraded answer. When a path yields fewer than ``n`` tracks, the
configured fallback chain fills up
(``RouterConfig.fallback_chain``, ``popular,memory`` by default; ``memory`` is the charts
last read, held in this process). Every answer names the path of its first track and a reason
the skill can speak.

Reads go through ``ListReader`` (cache, then store; stampede-safe). Which snapshot to read is
refreshed from the store every ``snapshot_refresh_s``. No backend outage raises: Redis down
means store reads, the store down means a list computed live where the listener has a
history and else the in-memory charts, the profile store down means a new listener, the
catalog down means filtering by id only; the answer is then ``degraded``,
and ``causes`` says why (``cache``, ``store``, ``profiles``, ``catalog``, ``snapshot``: the
snapshot pointer could not be read, ``memory``: the in-memory charts answered, ``empty``:
nothing at all). Each answer is the ``route`` stage of ``telemetry``, and a degraded one is
counted by cause. See ``ranking`` for the filter and rank rules.

Last, a ``bandit.Reranker`` re-orders the top of the answer and says how likely each
placement was (``Recommendation.propensities``): ``StaticRanking`` (the default, every
placement certain) or ``ThompsonReranker``; ``recommend`` takes another one per request. A
re-ranker with a ``pool`` wider than the request's ``n`` gets that many ranked tracks (and
their genres, from the facets) to choose from, and the answer is cut to ``n`` after it. The
posterior store down means the order as ranked.

With running A/B experiments (``experiments.ServingExperiments``), each request gets the
listener's variants' overrides: another model version's lists (read from that version's
snapshot, ``snapshots``; lists computed live come from the promoted model, so a variant
snapshot's unlisted listeners get the charts) and another re-ranker; the answer names the
variants that actually served (``Recommendation.experiments``). A re-ranker passed to
``recommend`` wins over a variant's, whose experiment is then not exposed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, get_args

from playback.catalog import TrackCatalog
from playback.day_parts import local_part, timezone_of
from playback.errors import CatalogUnavailable
from recommender.errors import PosteriorStoreUnavailable
from recommender.serving import ranking
from recommender.serving.bandit import Reranker, StaticRanking, arm_context
from recommender.serving.experiments import NO_PLAN, RequestPlan, ServingExperiments
from recommender.serving.facets import FacetCache, FacetMap, Facets
from recommender.serving.list_reader import CacheSettings, Causes, ListReader
from recommender.serving.named import ARTIST_RANKING, ARTIST_TRACKS, Named, asked_for, named_tracks
from recommender.serving.prepared import PreparedLists
from recommender.serving.ranking import Candidate, Ranked, Session, Weights
from recommender.serving.snapshots import Snapshots
from recommender.storage.cache import Cache
from recommender.storage.profiles import ProfileReader, UserProfile
from recommender.storage.recommendations import (
    NEW_TRACKS_CONTEXT,
    POPULAR_USER,
    RecommendationList,
    RecommendationReader,
    age_context,
    context_key,
    part_context,
    region_context,
)
from telemetry import Telemetry

logger = logging.getLogger(__name__)

Path = Literal["personalized", "popular", "cold_start", "artist", "fallback"]
Step = Literal["personalized", "popular", "cold_start", "memory"]
STEPS: tuple[str, ...] = get_args(Step)

# Below this many plays a listener's own list is not trusted yet.
MIN_PLAYS_FOR_PERSONALIZED = 5


def parse_fallback_chain(text: str) -> tuple[Step, ...]:
    """``"popular,memory"`` -> the chain; ValueError for an unknown step."""
    steps = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        raise ValueError(f"unknown fallback steps {unknown}; known: {', '.join(STEPS)}")
    return steps  # type: ignore[return-value]


class LiveLister(Protocol):
    """Computes a listener's overall list at request time (``batch.live_lists.LiveLists``)."""

    def list_for(self, profile: UserProfile) -> RecommendationList | None: ...

    def warm(self) -> bool:
        """Load what it needs now, not at the first request; whether it can answer."""
        ...


@dataclass(frozen=True, slots=True)
class RouterConfig:
    fallback_chain: tuple[Step, ...] = ("popular", "memory")
    min_plays_for_personalized: int = MIN_PLAYS_FOR_PERSONALIZED
    session_window_s: float = 30 * 60
    genre_skip_limit: int = 3
    snapshot_refresh_s: float = 2.0
    new_track_slots: tuple[int, ...] = (2, 6)  # where content-similar new tracks go
    cache: CacheSettings = field(default_factory=CacheSettings)
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True, slots=True)
class RecommendationRequest:
    user_id: str
    mood: str | None = None
    genre: str | None = None
    popular: bool = False  # the listener asked for what is popular or trending
    n: int = 10
    exclude: frozenset[str] = field(default_factory=frozenset)
    named: Named | None = None  # an artist or track asked for by name: the artist path
    # The part of the day the music is for (said, a routine's, or the listener's clock):
    # the personalized path reads their ``part:<part>`` list first when they have one.
    part_of_day: str | None = None
    at: float | None = None  # when the listener asked (unix s): their clock's part of day
    timezone: str | None = None  # theirs (a routine's), else their profile country's

    @property
    def context(self) -> str:
        return context_key(mood=self.mood, genre=self.genre)


@dataclass(frozen=True, slots=True)
class Recommendation:
    track_ids: tuple[str, ...]
    path: Path
    reason: str
    model_version: str
    degraded: bool = False
    steps: tuple[str, ...] = ()  # the steps that contributed tracks, in order
    causes: Causes = frozenset()  # why it is degraded (see the module docstring)
    # The probability the re-ranker put each of the first tracks at its place, the others
    # past its end placed with certainty (as ``Served.propensities``).
    propensities: tuple[float, ...] = ()
    # (experiment, variant) of each running experiment's variant that served this answer.
    experiments: tuple[tuple[str, str], ...] = ()


@dataclass
class _Step:
    model_version: str
    facets: FacetMap | None
    ranked: list[Ranked]


class Router:
    """Answers ``recommend``; see the module docstring."""

    def __init__(
        self,
        store: RecommendationReader,
        profiles: ProfileReader,
        cache: Cache,
        *,
        cache_ttl_s: float | None = None,
        catalog: TrackCatalog | None = None,
        config: RouterConfig | None = None,
        clock: Callable[[], float] = time.time,
        telemetry: Telemetry | None = None,
        live: LiveLister | None = None,
        reranker: Reranker | None = None,
        experiments: ServingExperiments | None = None,
    ) -> None:
        config = config or RouterConfig()
        self._experiments = experiments if experiments and experiments.running else None
        self._live = live
        self._reranker = reranker or StaticRanking()
        self._telemetry = telemetry or Telemetry()
        if cache_ttl_s is not None:
            config = replace(config, cache=replace(config.cache, list_ttl_s=cache_ttl_s))
        self._config = config
        self._reader = ListReader(
            store, profiles, cache, config.cache, metrics=self._telemetry.metrics
        )
        self._catalog = catalog
        self._facets = FacetCache(catalog) if catalog is not None else None
        self._prepared = PreparedLists(self._facets)
        self._clock = clock
        self._snapshots = Snapshots(store, config.snapshot_refresh_s, config.cache.retry_after_s)

    def recommend(
        self, request: RecommendationRequest, reranker: Reranker | None = None
    ) -> Recommendation:
        """The answer to ``request``, re-ranked by ``reranker`` (a simulation comparing
        policies) or else the listener's experiment variant's or else the router's own. A
        re-ranker with a ``pool`` fills the answer from that many ranked tracks."""
        with self._telemetry.stage("route"):
            plan = self._plan(request)
            policy = reranker or plan.reranker or self._reranker
            wide = request if policy.pool <= request.n else replace(request, n=policy.pool)
            answer = self._recommend(wide, plan.snapshot)
            answer, as_asked = self._rerank(answer, request, policy)
            if plan.variants:
                served = plan.served(answer.track_ids, answer.causes, as_asked and not reranker)
                answer = replace(answer, experiments=served)
        if answer.degraded:
            self._telemetry.metrics.degraded_answer(answer.causes)
        return answer

    def _plan(self, request: RecommendationRequest) -> RequestPlan:
        if self._experiments is None:
            return NO_PLAN
        return self._experiments.plan(request.user_id, self._snapshots.of_model)

    def _recommend(
        self, request: RecommendationRequest, variant_snapshot: str | None = None
    ) -> Recommendation:
        profile, causes = self._reader.read_profile(request.user_id)
        session = Session.of(profile, self._clock(), self._config.session_window_s)
        if request.named is not None:
            return self._artist_path(request, request.named, profile, session, causes)
        if request.part_of_day is None and request.at is not None:
            zone = timezone_of(request.timezone, profile.country if profile else None)
            request = replace(request, part_of_day=local_part(request.at, zone))
        known = (
            profile is not None and profile.play_count >= self._config.min_plays_for_personalized
        )
        first: Step = "popular" if request.popular else ("personalized" if known else "cold_start")
        chain = list(dict.fromkeys([first, *self._config.fallback_chain]))
        current, stale = self._snapshots.current()
        if stale:
            causes |= {"snapshot"}
        snapshot = variant_snapshot or current
        live = snapshot == current  # live lists are the promoted model's
        picked: list[Ranked] = []
        used: list[tuple[Step, _Step]] = []
        for step in chain:
            found, failed = self._run_step(
                step, request, profile, session, snapshot, picked, live=live
            )
            causes |= failed
            if found is not None and found.ranked:
                used.append((step, found))
                picked += found.ranked
                if step == "memory":  # only there because the store failed
                    causes |= {"memory"}
            if len(picked) >= request.n:
                break
        if not used:
            causes |= {"empty"}
            return Recommendation(
                (), "fallback", "nothing to recommend yet", "none", True, causes=causes
            )
        step, head = used[0]
        path: Path = "fallback" if step == "memory" else step
        reason = self._reason(step, request, head, profile)
        steps = tuple(s for s, _ in used)
        track_ids = tuple(r.track_id for r in picked[: request.n])
        return Recommendation(
            track_ids, path, reason, head.model_version, bool(causes), steps, causes
        )

    def refresh_snapshot(self) -> str:
        """Read which snapshot is current now instead of at the next refresh (a batch run in
        this process just published one); the snapshot read from now on."""
        return self._snapshots.refresh()

    def warm(self, contexts: Sequence[str] = ("all",)) -> int:
        """Read these charts now so the in-memory fallback holds them, and load the live
        lists' model; how many charts were read."""
        if self._live is not None:
            self._live.warm()
        snapshot, _ = self._snapshots.current()
        return sum(
            self._reader.read_list(snapshot, POPULAR_USER, context)[0] is not None
            for context in contexts
        )

    # -- steps ------------------------------------------------------------------------------

    def _rerank(
        self, answer: Recommendation, request: RecommendationRequest, reranker: Reranker
    ) -> tuple[Recommendation, bool]:
        """``answer`` in the re-ranker's order with its propensities, and whether that
        re-ranker ordered it: the posterior store down means the order as ranked."""
        if not answer.track_ids:
            return answer, True
        context = arm_context(answer.path, request.mood, request.genre, request.part_of_day)
        reranked = True
        groups = None
        if reranker.pool > 0 and (facets := self._lookup(list(answer.track_ids))) is not None:
            groups = {t: f.genre for t, f in facets.items() if f is not None}
        try:
            ranked = reranker.rerank(answer.track_ids, context, now=self._clock(), groups=groups)
        except PosteriorStoreUnavailable:
            logger.warning("posterior store unavailable; serving the list as ranked")
            ranked = StaticRanking().rerank(answer.track_ids, context, now=self._clock())
            reranked = False
        n = request.n
        answer = replace(
            answer, track_ids=ranked.track_ids[:n], propensities=ranked.propensities[:n]
        )
        return answer, reranked

    def _artist_path(
        self,
        request: RecommendationRequest,
        named: Named,
        profile: UserProfile | None,
        session: Session,
        causes: Causes,
    ) -> Recommendation:
        """The named artist's tracks, ranked; see the module docstring."""
        if self._catalog is None:
            raise ValueError("the artist path needs a Router built with a catalog")
        try:
            tracks = named_tracks(self._catalog, named, max(ARTIST_TRACKS, request.n))
        except CatalogUnavailable:
            logger.warning("catalog unavailable; the artist path has no candidates")
            return Recommendation(
                (), "artist", "the catalog is unavailable", ARTIST_RANKING, True,
                causes=causes | {"catalog"},
            )  # fmt: skip
        candidates = ranking.base_scores([t.track_id for t in tracks], "artist")
        facets: FacetMap = {t.track_id: Facets.of(t) for t in tracks}
        asked = frozenset(
            t.track_id for t in tracks if asked_for(t, named, request.mood, request.genre)
        )
        wanted = ranking.Request(exclude=request.exclude, asked=asked)
        ranked = self._rank_named(candidates, facets, profile, session, wanted, request.n)
        if not ranked:  # all of them played just now: better a repeat than a refusal
            everything = frozenset(c.track_id for c in candidates)
            wanted = ranking.Request(exclude=request.exclude, asked=everything)
            ranked = self._rank_named(candidates, facets, profile, session, wanted, request.n)
        if not ranked:
            return Recommendation(
                (), "artist", "nothing by them to play", ARTIST_RANKING, bool(causes),
                causes=causes,
            )  # fmt: skip
        top = ranked[0]
        reason = ranking.artist_reason(top.track_id in asked, facets.get(top.track_id), profile)
        track_ids = tuple(r.track_id for r in ranked)
        return Recommendation(
            track_ids, "artist", reason, ARTIST_RANKING, bool(causes), ("artist",), causes
        )

    def _rank_named(
        self,
        candidates: Sequence[Candidate],
        facets: FacetMap,
        profile: UserProfile | None,
        session: Session,
        wanted: ranking.Request,
        n: int,
    ) -> list[Ranked]:
        return ranking.rank(
            candidates,
            facets,
            profile,
            session,
            wanted,
            limit=n,
            genre_skip_limit=self._config.genre_skip_limit,
            weights=self._config.weights,
        )

    def _run_step(
        self,
        step: Step,
        request: RecommendationRequest,
        profile: UserProfile | None,
        session: Session,
        snapshot: str,
        picked: Sequence[Ranked],
        *,
        live: bool = True,
    ) -> tuple[_Step | None, Causes]:
        wanted = ranking.Request(
            request.mood, request.genre, request.exclude | {r.track_id for r in picked}
        )
        cohort: frozenset[str] = frozenset()
        if step == "personalized":
            lists, degraded, narrowed = self._personal_lists(request, snapshot, profile, live)
        elif step == "memory":
            chart = self._reader.last_chart(request.context)
            if chart is None:  # any chart beats silence, even one of another context
                chart = self._reader.last_chart("all")
                wanted = ranking.Request(exclude=wanted.exclude)
            lists, degraded, narrowed = ([chart] if chart else []), frozenset(), False
        else:
            chart, degraded = self._reader.read_list(snapshot, POPULAR_USER, request.context)
            lists, narrowed = ([chart] if chart else []), False
            if step == "cold_start" and profile is not None:
                cohort, failed = self._cohort(profile, snapshot)
                degraded |= failed
        if not lists:
            return None, degraded
        origin = {"personalized": "personal", "memory": "memory"}.get(step, "chart")
        candidates, facets, kinds = self._prepared.of(origin, lists, self._config.new_track_slots)
        if not candidates:
            return None, degraded
        if facets is None:
            if self._facets is not None:
                degraded |= {"catalog"}
            if narrowed:  # an overall list cannot be narrowed to the context without facets
                return None, degraded
        ranked = ranking.rank(
            candidates,
            facets,
            profile,
            session,
            wanted,
            limit=request.n - len(picked),
            genre_skip_limit=self._config.genre_skip_limit,
            cold_start=step == "cold_start",
            cohort=cohort,
            weights=self._config.weights,
            kinds=kinds,
        )
        return _Step(lists[0].model_version, facets, ranked), degraded

    def _personal_lists(
        self,
        request: RecommendationRequest,
        snapshot: str,
        profile: UserProfile | None,
        live_ok: bool = True,
    ) -> tuple[list[RecommendationList], Causes, bool]:
        """(the listener's list for the context or else their overall one, stored or else
        computed live, then their new tracks; degraded; whether the overall list stands in
        for the context). With a part of the day and no mood or genre, their list for that
        part comes first."""
        degraded: Causes = frozenset()
        own: RecommendationList | None = None
        if request.part_of_day and request.context == "all":
            own, degraded = self._reader.read_list(
                snapshot, request.user_id, part_context(request.part_of_day)
            )
        narrowed = False
        if own is None:
            own, failed = self._reader.read_list(snapshot, request.user_id, request.context)
            degraded |= failed
        if own is None and request.context != "all":
            own, failed = self._reader.read_list(snapshot, request.user_id, "all")
            degraded |= failed
            narrowed = own is not None
        if own is None and self._live is not None and live_ok and profile is not None:
            live = self._live.list_for(profile)
            return ([live] if live else []), degraded, live is not None and request.context != "all"
        if own is None:
            return [], degraded, False
        new, failed = self._reader.read_list(snapshot, request.user_id, NEW_TRACKS_CONTEXT)
        return ([own, new] if new else [own]), degraded | failed, narrowed

    def _cohort(self, profile: UserProfile, snapshot: str) -> tuple[frozenset[str], Causes]:
        """Tracks popular in the listener's region and age group (their demographics)."""
        tracks: set[str] = set()
        degraded: Causes = frozenset()
        for context in cohort_contexts(profile):
            chart, failed = self._reader.read_list(snapshot, POPULAR_USER, context)
            degraded |= failed
            if chart is not None:
                tracks.update(chart.track_ids[:50])
        return frozenset(tracks), degraded

    def _lookup(self, track_ids: list[str]) -> FacetMap | None:
        return self._facets.lookup(track_ids) if self._facets is not None else None

    def _reason(
        self, step: Step, request: RecommendationRequest, head: _Step, profile: UserProfile | None
    ) -> str:
        top = head.ranked[0]
        facets = head.facets.get(top.track_id) if head.facets is not None else None
        if step == "personalized" and profile is not None:
            return ranking.personal_reason(request.mood, request.genre, top, facets, profile)
        if step == "popular":
            return ranking.popular_reason(request.mood, request.genre, facets, profile)
        if step == "cold_start":
            return ranking.cold_start_reason(request.mood, request.genre, facets, profile)
        return "a few popular tracks"


def cohort_contexts(profile: UserProfile) -> list[str]:
    """The chart contexts of a listener's demographics: ``region:<cc>``, ``age:<decade>``."""
    contexts = []
    if profile.country:
        contexts.append(region_context(profile.country))
    if profile.birth_year:
        contexts.append(age_context(profile.birth_year))
    return contexts


__all__: Sequence[str] = (
    "LiveLister",
    "Recommendation",
    "RecommendationRequest",
    "Router",
    "RouterConfig",
    "parse_fallback_chain",
)
