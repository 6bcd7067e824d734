"""The business rules of the ETL, written once in Ibis: every engine runs these expressions.

``unify_feeds(raw)`` takes the raw text tables (``raw_feeds.py``, loaded on any Ibis backend)
and returns one *checked* table per feed: the unified columns, ``reason`` (why the row is
quarantined, NULL when it is kept), ``source`` and ``row_no`` (where it came from) and
``flag_*`` booleans for values that were nulled or imputed without costing the row.

The rules: field mapping from each team's names; types (text that is not a number, a year in
range or an ISO time becomes NULL, flagged); deduplication (the first copy of an id is kept);
missing values imputed where a safe default exists (an unknown explicit marker counts as
explicit) and flagged; normalization (genres and mood words to canonical forms, audio
features range-checked, moods derived from the features); play counts into confidence
weights; and referential checks (a track's artist, an event's user and track). Listeners of
the archived live plays whom the team's profile feed does not have join the users with
unknown demographics (``with_live_listeners``).

Run them on Spark by passing an Ibis PySpark backend as ``engine`` to ``etl.run_etl`` (see
``engines.py``), or call ``unify_feeds`` on tables of your own Spark session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from playback.vocabulary import MOOD_REGIONS, MOOD_SYNONYMS, MOODS, region_contains
from recommender.storage.listen_archive import LIVE_LISTENS_DIR

# Audio features and the range a real value lies in; anything else becomes NULL (flagged).
FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "energy": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (20.0, 300.0),
    "acousticness": (0.0, 1.0),
    "danceability": (0.0, 1.0),
}
BIRTH_YEARS = (1900, 2020)
RELEASE_YEARS = (1900, 2030)
EVENT_MS = (946_684_800_000, 4_102_444_800_000)  # plausible event times: years 2000 to 2100
END_REASONS = ("finished", "skipped", "stopped")
# How much a play says about liking the track, by how it ended.
SKIP_CONFIDENCE = 0.05
MIN_STOP_CONFIDENCE = 0.1
# Team placeholders for "no value".
PLACEHOLDERS = ("", "N/A", "NA", "NULL", "NONE", "NAN", "-")

# Text shapes checked before a cast, so every engine accepts and refuses the same values.
_INTEGER = r"^[+-]?[0-9]{1,18}$"
_DECIMAL = r"^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$"
_ISO_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)
_COUNTRY = r"^[A-Z]{2}$"
_EPOCH = ibis.timestamp("1970-01-01 00:00:00", timezone="UTC")

# The unified tables: columns and their types, as written to Parquet.
UNIFIED_SCHEMAS: dict[str, dict[str, str]] = {
    "users": {
        "user_id": "string",
        "country": "string",
        "birth_year": "int32",
        "gender": "string",
        "explicit_allowed": "boolean",
        "signed_up_at": "timestamp('UTC')",
        "stated_genres": "array<string>",
        "stated_moods": "array<string>",
    },
    "tracks": {
        "track_id": "string",
        "title": "string",
        "artist_id": "string",
        "artist_name": "string",
        "album_id": "string",
        "album_title": "string",
        "genre": "string",
        "moods": "array<string>",
        "duration_ms": "int64",
        "explicit": "boolean",
        "release_year": "int32",
        **{name: "float64" for name in FEATURE_RANGES},
    },
    "interactions": {
        "event_id": "string",
        "user_id": "string",
        "track_id": "string",
        "event_time": "timestamp('UTC')",
        "ms_played": "int64",
        "end_reason": "string",
        "device": "string",
        "confidence": "float64",
    },
}
UNIFIED_ORDER: dict[str, tuple[str, ...]] = {
    "users": ("user_id",),
    "tracks": ("track_id",),
    "interactions": ("event_time", "event_id"),
}
UNIFIED_SOURCE = {"users": "users", "tracks": "tracks", "interactions": "events"}


@dataclass(frozen=True, slots=True)
class CheckedFeeds:
    """One checked table per feed (artists, albums, tracks, users, events)."""

    tables: dict[str, ir.Table]

    def release(self) -> None:
        """Drop the cached tables from the engine (DuckDB temp tables, Spark persisted data)."""
        for table in self.tables.values():
            table.release()

    def unified(self, name: str) -> ir.Table:
        """The kept rows of a unified table, typed and ordered as written."""
        checked = self.tables[UNIFIED_SOURCE[name]]
        schema = UNIFIED_SCHEMAS[name]
        kept = checked.filter(checked.reason.isnull())
        return kept.select(
            **{column: kept[column].cast(dtype) for column, dtype in schema.items()}
        ).order_by(list(UNIFIED_ORDER[name]))

    def quarantined(self, feed: str) -> ir.Table:
        """``source``, ``row_no`` and ``reason`` of every row of ``feed`` not kept."""
        checked = self.tables[feed]
        return checked.filter(checked.reason.notnull()).select("source", "row_no", "reason")

    def kept_counts(self, feed: str) -> ir.Table:
        """One row: ``rows`` kept, per flag (``flag_`` dropped) how many kept rows carry it,
        and for users ``live_only``: how many of the rows no feed line wrote."""
        checked = self.tables[feed]
        kept = checked.filter(checked.reason.isnull())
        flags = [name for name in checked.columns if name.startswith("flag_")]
        live_only = {"live_only": kept.live_only.cast("int64").sum()} if feed == "users" else {}
        return kept.aggregate(
            rows=kept.count(),
            **live_only,
            **{flag.removeprefix("flag_"): kept[flag].cast("int64").sum() for flag in flags},
        )


def unify_feeds(raw: Mapping[str, ir.Table]) -> CheckedFeeds:
    """Checked tables for every feed; ``raw`` holds the text tables of ``raw_feeds.RawFeeds``.

    Tables are cached on their backend as they are built: later feeds check against earlier
    ones (tracks against artists, events against users and tracks).
    """
    artists = check_artists(raw["artists"]).cache()
    albums = check_albums(raw["albums"]).cache()
    tracks = check_tracks(raw["tracks"], artists, albums).cache()
    users = with_live_listeners(check_users(raw["users"]), raw["events"]).cache()
    events = check_events(raw["events"], users, tracks).cache()
    return CheckedFeeds(
        {"artists": artists, "albums": albums, "tracks": tracks, "users": users, "events": events}
    )


# Text rules shared by the feeds.


@ibis.udf.scalar.builtin(name="trim")  # type: ignore[untyped-decorator]
def trim(text: str) -> str:  # type: ignore[empty-body]
    """Spaces off both ends: SQL's trim(), the same on DuckDB and Spark.

    Ibis's own ``strip`` removes a set of whitespace characters, which DuckDB runs about
    three times slower; the teams pad with spaces.
    """


_PLACEHOLDER_LENGTH = max(len(text) for text in PLACEHOLDERS)
_MOOD_WORDS = ibis.map(MOOD_SYNONYMS)
_UNIT_SEPARATOR = "\x1f"


def clean(text: ir.StringValue) -> ir.StringValue:
    """Trimmed text; a team placeholder for "no value" becomes NULL."""
    trimmed = trim(text)
    # Placeholders are short: the length test spares most values the list lookup.
    placeholder = (trimmed.length() <= _PLACEHOLDER_LENGTH) & trimmed.upper().isin(PLACEHOLDERS)
    return ibis.cases((placeholder, ibis.null(dt.string)), else_=trimmed)


def word(text: ir.StringValue) -> ir.StringValue:
    """Lower case, single spaces: the canonical form of a genre or mood word."""
    return trim(text).re_replace(r"\s+", " ").lower()


def split_tags(text: ir.StringValue) -> ir.ArrayValue:
    """``a|b|c`` as a list; no text gives one empty tag, as an empty field does."""
    # Spark splits on a regular expression and Ibis passes "|" through unescaped: swap the
    # bars for a character that is no regex operator (and no tag's) first.
    return text.fill_null("").re_replace("[|]", _UNIT_SEPARATOR).split(_UNIT_SEPARATOR)


def canonical_mood(text: ir.StringValue) -> ir.StringValue:
    """The canonical mood a listener's or tagger's word means, NULL when none: the column form
    of ``playback.vocabulary.canonical_mood`` (same table, same lower-case single-spaced key;
    ``tests/pipeline/test_etl_moods.py`` checks they agree)."""
    return _MOOD_WORDS[word(text)]


def as_float(text: ir.StringValue) -> ir.FloatingValue:
    return ibis.cases(
        (text.re_search(_DECIMAL), text.try_cast(dt.float64)), else_=ibis.null(dt.float64)
    )


def as_integer(text: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(
        (text.re_search(_INTEGER), text.try_cast(dt.int64)), else_=ibis.null(dt.int64)
    )


def within(value: ir.NumericValue, low: float, high: float) -> ir.NumericValue:
    """``value`` when it lies in [low, high], else NULL."""
    return ibis.cases((value.between(low, high), value), else_=ibis.null(value.type()))


def mood_conditions(features: Mapping[str, ir.FloatingValue]) -> dict[str, ir.BooleanValue]:
    """Per mood, whether the features lie in its region: ``playback.vocabulary``'s
    ``region_contains`` on columns. A bounded feature that is missing (NULL) puts the track
    outside the region, as in ``mood_of_features``.
    """
    everywhere: ir.BooleanValue = ibis.literal(True)
    return {
        mood: region_contains(MOOD_REGIONS[mood], features, everywhere).fill_null(False)
        for mood in MOODS
    }


def _present(values: ir.ArrayValue) -> ir.ArrayValue:
    return values.filter(lambda value: value.notnull())


def live_rows(table: ir.Table) -> ir.BooleanValue:
    """Rows read from the archived live partitions (``raw_feeds.FeedPaths.live_listens``)."""
    return table.source.startswith(LIVE_LISTENS_DIR + "/")


def _first_copy_lost(table: ir.Table, key: str) -> ir.BooleanValue:
    """True for every row after the first (in file order) that has the same ``key``."""
    order = [table.source, table.row_no]
    return ibis.row_number().over(group_by=table[key], order_by=order) > 0


# The feeds.


def check_artists(raw: ir.Table) -> ir.Table:
    rows = raw.select("source", "row_no", artist_id=clean(raw.artist_id), name=clean(raw.name))
    return rows.mutate(
        reason=ibis.cases(
            (rows.artist_id.isnull(), "missing_artist_id"),
            (rows.name.isnull(), "missing_artist_name"),
            (_first_copy_lost(rows, "artist_id"), "duplicate_artist_id"),
            else_=ibis.null(dt.string),
        )
    )


def check_albums(raw: ir.Table) -> ir.Table:
    rows = raw.select(
        "source", "row_no", album_id=clean(raw.album_id), album_title=clean(raw.album_title)
    )
    return rows.mutate(
        reason=ibis.cases(
            (rows.album_id.isnull(), "missing_album_id"),
            (_first_copy_lost(rows, "album_id"), "duplicate_album_id"),
            else_=ibis.null(dt.string),
        )
    )


def check_tracks(raw: ir.Table, artists: ir.Table, albums: ir.Table) -> ir.Table:
    texts = raw.select(
        "source",
        "row_no",
        track_id=clean(raw.trackId),
        title=clean(raw.trackTitle),
        artist_id=clean(raw.artistRef),
        album_id=clean(raw.albumRef),
        genre_text=clean(raw.genre),
        duration_text=clean(raw.durationSec),
        explicit_text=clean(raw.isExplicit).upper(),
        year_text=clean(raw.releaseYear),
        tags=split_tags(raw.moodTags),
        **{f"{name}_text": clean(raw[name]) for name in FEATURE_RANGES},
    )
    numbers = texts.mutate(
        duration_s=as_float(texts.duration_text),
        year=as_integer(texts.year_text),
        **{f"{name}_number": as_float(texts[f"{name}_text"]) for name in FEATURE_RANGES},
    )
    features = {
        name: within(numbers[f"{name}_number"], low, high)
        for name, (low, high) in FEATURE_RANGES.items()
    }
    tag_moods = _present(numbers.tags.map(canonical_mood))
    typed = numbers.mutate(
        genre=word(numbers.genre_text),
        release_year=within(numbers.year, *RELEASE_YEARS).cast(dt.int32),
        # Unknown explicit markers count as explicit: safer for family accounts.
        explicit=(numbers.explicit_text != "N").fill_null(True),
        tag_moods=tag_moods,
        flag_genre_normalized=(numbers.genre_text != word(numbers.genre_text)).fill_null(False),
        flag_explicit_unknown=(~numbers.explicit_text.isin(("Y", "N"))).fill_null(True),
        flag_unknown_mood_tag=numbers.tags.filter(
            lambda tag: (trim(tag) != "") & canonical_mood(tag).isnull()
        ).length()
        > 0,
        **features,
        **{f"flag_{name}_missing": numbers[f"{name}_text"].isnull() for name in FEATURE_RANGES},
        **{
            f"flag_{name}_invalid": numbers[f"{name}_text"].notnull() & features[name].isnull()
            for name in FEATURE_RANGES
        },
    )
    typed = typed.mutate(
        flag_release_year_invalid=typed.year_text.notnull() & typed.release_year.isnull(),
        duration_ms=(typed.duration_s * 1000).round().cast(dt.int64),
        moods=_present(
            ibis.array(
                [
                    ibis.cases(
                        (inside | typed.tag_moods.contains(mood), mood),
                        else_=ibis.null(dt.string),
                    )
                    for mood, inside in mood_conditions(
                        {name: typed[name] for name in FEATURE_RANGES}
                    ).items()
                ]
            )
        ),
    )
    kept_artists = artists.filter(artists.reason.isnull()).select(
        known_artist=artists.artist_id, artist_name=artists.name
    )
    kept_albums = albums.filter(albums.reason.isnull()).select(
        known_album=albums.album_id, album_title=albums.album_title
    )
    joined = typed.left_join(kept_artists, typed.artist_id == kept_artists.known_artist)
    joined = joined.left_join(kept_albums, joined.album_id == kept_albums.known_album)
    return joined.mutate(
        flag_unknown_album=joined.album_id.notnull() & joined.known_album.isnull(),
        reason=ibis.cases(
            (joined.track_id.isnull(), "missing_track_id"),
            (_first_copy_lost(joined, "track_id"), "duplicate_track_id"),
            (joined.title.isnull(), "missing_title"),
            (joined.duration_s.isnull(), "invalid_duration"),
            (joined.duration_s < 0, "negative_duration"),
            (joined.duration_s == 0, "zero_duration"),
            (joined.known_artist.isnull(), "unknown_artist"),
            else_=ibis.null(dt.string),
        ),
    ).drop("known_artist", "known_album")


def check_users(raw: ir.Table) -> ir.Table:
    texts = raw.select(
        "source",
        "row_no",
        "parsed",
        user_id=clean(raw.userId),
        country_text=clean(raw.countryCode).upper(),
        birth_year_text=clean(raw.birthYear),
        gender=clean(raw.gender).lower(),
        explicit_filter=trim(raw.explicitFilter)
        .lower()
        .cases(("true", True), ("false", False), else_=ibis.null(dt.boolean)),
        signup_text=clean(raw.signupTs),
        genre_words=raw.genres,
        mood_words=raw.moods,
    )
    typed = texts.mutate(
        country=ibis.cases(
            (texts.country_text.re_search(_COUNTRY), texts.country_text),
            else_=ibis.null(dt.string),
        ),
        birth_year=within(as_integer(texts.birth_year_text), *BIRTH_YEARS).cast(dt.int32),
        signed_up_at=ibis.cases(
            (
                texts.signup_text.re_search(_ISO_TIME),
                texts.signup_text.try_cast("timestamp('UTC')"),
            ),
            else_=ibis.null("timestamp('UTC')"),
        ),
        # explicitFilter=true hides explicit tracks; unknown hides them, to be safe.
        explicit_allowed=~texts.explicit_filter.fill_null(True),
        stated_genres=texts.genre_words.map(word)
        .filter(lambda genre: genre.notnull() & (genre != ""))
        .fill_null(ibis.literal([], type="array<string>")),
        stated_moods=_present(
            ibis.array(
                [
                    ibis.cases(
                        (texts.mood_words.map(canonical_mood).contains(mood), mood),
                        else_=ibis.null(dt.string),
                    )
                    for mood in MOODS
                ]
            )
        ),
    )
    return typed.mutate(
        flag_country_invalid=typed.country_text.notnull() & typed.country.isnull(),
        flag_country_missing=typed.parsed & typed.country_text.isnull(),
        flag_birth_year_invalid=typed.birth_year_text.notnull() & typed.birth_year.isnull(),
        flag_signup_ts_invalid=typed.signup_text.notnull() & typed.signed_up_at.isnull(),
        flag_explicit_filter_missing=typed.parsed & typed.explicit_filter.isnull(),
        live_only=ibis.literal(False),
        reason=ibis.cases(
            (~typed.parsed, "unparseable_json"),
            (typed.user_id.isnull(), "missing_user_id"),
            (_first_copy_lost(typed, "user_id"), "duplicate_user_id"),
            else_=ibis.null(dt.string),
        ),
    )


def with_live_listeners(users: ir.Table, events: ir.Table) -> ir.Table:
    """``users`` (checked profiles) and a kept row, ``live_only``, for each listener of the
    live partitions whom the team's profile feed does not have.

    Voice listeners are new people: the skill mints their ids, so the identity store, not the
    team's feed, is their source of truth, and the team never sends their profiles. They are
    listeners with unknown demographics: explicit hidden (the safe default), no stated
    preferences, no flags (nothing the team wrote was wrong). Each row points at the
    listener's first live play (``source``, ``row_no``).
    """
    team = users.filter(users.user_id.notnull()).select(team_user=users.user_id)
    plays = events.filter(live_rows(events))
    plays = plays.select("source", "row_no", user_id=clean(plays.user_id))
    first = plays.filter(plays.user_id.notnull() & ~_first_copy_lost(plays, "user_id"))
    new = first.anti_join(team, first.user_id == team.team_user)
    unknown = {
        "explicit_allowed": False,
        "live_only": True,
        "stated_genres": [],
        "stated_moods": [],
    }
    unknown |= {name: False for name in users.columns if name.startswith("flag_")}
    listeners = new.select(
        **{
            name: new[name].cast(dtype)
            if name in ("source", "row_no", "user_id")
            else ibis.literal(unknown.get(name), type=dtype)
            for name, dtype in users.schema().items()
        }
    )
    return users.union(listeners)


def check_events(raw: ir.Table, users: ir.Table, tracks: ir.Table) -> ir.Table:
    """Typed, checked against kept users and tracks, deduplicated, weighted."""
    texts = raw.select(
        "source",
        "row_no",
        *[clean(raw[name]).name(name) for name in ("event_id", "user_id", "track_id")],
        ts_text=clean(raw.ts_ms),
        ms_text=clean(raw.ms_played),
        end_reason=clean(raw.end_reason).lower(),
        device=clean(raw.device).lower(),
    )
    numbers = texts.mutate(ts=as_integer(texts.ts_text), ms_played=as_integer(texts.ms_text))
    typed = numbers.mutate(ts=within(numbers.ts, *EVENT_MS)).drop("ts_text", "ms_text")
    kept_users = users.filter(users.reason.isnull()).select(
        known_user=users.user_id, live_only=users.live_only
    )
    lost_users = (
        users.filter(users.reason.notnull() & users.user_id.notnull())
        .select(lost_user=users.user_id)
        .distinct()
    )
    kept_tracks = tracks.filter(tracks.reason.isnull()).select(
        known_track=tracks.track_id, duration_ms=tracks.duration_ms
    )
    lost_tracks = (
        tracks.filter(tracks.reason.notnull() & tracks.track_id.notnull())
        .select(lost_track=tracks.track_id)
        .distinct()
    )
    e = typed.left_join(kept_users, typed.user_id == kept_users.known_user)
    e = e.left_join(lost_users, e.user_id == lost_users.lost_user)
    e = e.left_join(kept_tracks, e.track_id == kept_tracks.known_track)
    e = e.left_join(lost_tracks, e.track_id == lost_tracks.lost_track)
    e = e.mutate(
        reason=ibis.cases(
            (e.event_id.isnull(), "missing_event_id"),
            (e.ts.isnull(), "malformed_timestamp"),
            (e.ms_played.isnull(), "invalid_ms_played"),
            (e.ms_played < 0, "negative_ms_played"),
            (e.end_reason.isnull(), "missing_end_reason"),
            (~e.end_reason.isin(END_REASONS), "invalid_end_reason"),
            (e.known_user.isnull() & e.lost_user.notnull(), "user_quarantined"),
            # A listener only live plays introduced is not the team's: its events for that
            # id are of someone it has no profile of, as before.
            (e.known_user.isnull() | (e.live_only & ~live_rows(e)), "unknown_user"),
            (e.known_track.isnull() & e.lost_track.notnull(), "track_quarantined"),
            (e.known_track.isnull(), "unknown_track"),
            else_=ibis.null(dt.string),
        )
    ).drop("known_user", "live_only", "lost_user", "known_track", "lost_track")
    # Duplicates: among otherwise good rows, the earliest copy of an event_id is kept.
    copy = ibis.row_number().over(
        group_by=[e.event_id, e.reason.isnull()], order_by=[e.ts, e.source, e.row_no]
    )
    e = e.mutate(
        reason=ibis.cases((e.reason.isnull() & (copy > 0), "duplicate_event"), else_=e.reason)
    )
    return e.mutate(
        event_time=_EPOCH + e.ts.as_interval("ms"),
        confidence=e.end_reason.cases(
            ("finished", 1.0),
            ("skipped", SKIP_CONFIDENCE),
            else_=ibis.greatest(
                MIN_STOP_CONFIDENCE,
                ibis.least(1.0, e.ms_played / ibis.greatest(e.duration_ms, 1)),
            ),
        ),
    )
