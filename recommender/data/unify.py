"""SQL that maps each team's feed onto the unified schema, one DuckDB table per feed.

Every feed gets a ``<feed>_checked`` table: the unified columns, ``reason`` (why the row is
quarantined, NULL when it is kept), the raw row as JSON (``record``), where it came from
(``source``, ``row_no``) and ``flag_*`` booleans for values that were nulled but did not cost
the row. Rows the CSV reader itself cannot split land in ``<feed>_rejects``. ``etl.py``
writes kept rows to Parquet and everything else to quarantine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from nlu.moods import MOODS
from recommender.data.moodtags import mood_sql, synonyms_sql_map
from recommender.data.sql import sql_string

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
# How much a play says about liking the track, by how it ended.
SKIP_CONFIDENCE = 0.05
MIN_STOP_CONFIDENCE = 0.1

TRACK_COLUMNS = (
    "trackId",
    "trackTitle",
    "artistRef",
    "albumRef",
    "genre",
    "moodTags",
    "durationSec",
    "isExplicit",
    "releaseYear",
    "energy",
    "valence",
    "tempo",
    "acousticness",
    "danceability",
)
ARTIST_COLUMNS = ("artist_id", "name", "country")
ALBUM_COLUMNS = ("album_id", "artist_id", "album_title", "release_year", "track_count")
EVENT_COLUMNS = ("event_id", "user_id", "track_id", "ts_ms", "ms_played", "end_reason", "device")
RAW_COLUMNS = {
    "artists": ARTIST_COLUMNS,
    "albums": ALBUM_COLUMNS,
    "tracks": TRACK_COLUMNS,
    "events": EVENT_COLUMNS,
}

_MACROS = (
    # Team placeholders for "no value" become NULL; real text is trimmed.
    "CREATE OR REPLACE MACRO clean(x) AS CASE WHEN upper(trim(x)) IN "
    "('', 'N/A', 'NA', 'NULL', 'NONE', 'NAN', '-') THEN NULL ELSE trim(x) END",
    "CREATE OR REPLACE MACRO word(x) AS lower(regexp_replace(trim(x), '\\s+', ' ', 'g'))",
    f"CREATE OR REPLACE MACRO canonical_mood(x) AS ({synonyms_sql_map()})[word(x)]",
)


@dataclass(frozen=True, slots=True)
class FeedPaths:
    """Where each raw feed lives under the raw directory."""

    artists: Path
    albums: Path
    tracks: Path
    profiles: Path
    listens: Path  # dt=YYYY-MM-DD/part-N.csv.gz below it

    @classmethod
    def under(cls, raw_dir: Path) -> FeedPaths:
        return cls(
            artists=raw_dir / "catalog" / "artists.csv",
            albums=raw_dir / "catalog" / "albums.csv",
            tracks=raw_dir / "catalog" / "tracks.csv",
            profiles=raw_dir / "personalization" / "user_profiles.jsonl",
            listens=raw_dir / "personalization" / "listens",
        )

    def event_files(self) -> list[Path]:
        return sorted(self.listens.glob("dt=*/*.csv*"))


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in _MACROS:
        con.execute(statement)


def _read_csv(source_sql: str, columns: tuple[str, ...], feed: str) -> str:
    spec = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in columns)
    return (
        f"read_csv({source_sql}, header = true, columns = {{{spec}}}, auto_detect = false, "
        "delim = ',', quote = '\"', escape = '\"', filename = true, hive_partitioning = false, "
        f"store_rejects = true, rejects_table = '{feed}_rejects_raw', "
        f"rejects_scan = '{feed}_rejects_scan')"
    )


def _load_csv(
    con: duckdb.DuckDBPyConnection, feed: str, source_sql: str, columns: tuple[str, ...], root: str
) -> None:
    """``<feed>_raw`` (all text) and ``<feed>_rejects`` (lines the reader could not split)."""
    quoted = ", ".join(f'"{name}"' for name in columns)
    con.execute(
        f"CREATE OR REPLACE TABLE {feed}_raw AS SELECT {quoted}, "
        f"replace(filename, {sql_string(root)}, '') AS source, "
        f"row_number() OVER () AS row_no FROM {_read_csv(source_sql, columns, feed)}"
    )
    _collect_rejects(con, feed, "malformed_csv_row", root)


def _collect_rejects(con: duckdb.DuckDBPyConnection, feed: str, reason: str, root: str) -> None:
    """One row per rejected line (the reader logs one error per bad column)."""
    con.execute(
        f"CREATE OR REPLACE TABLE {feed}_rejects AS SELECT '{reason}' AS reason, "
        f"replace(s.file_path, {sql_string(root)}, '') AS source, r.line AS row_no, "
        "first(r.csv_line ORDER BY r.column_idx) AS record, "
        "string_agg(r.error_message, '; ' ORDER BY r.column_idx) AS detail "
        f"FROM {feed}_rejects_raw r JOIN {feed}_rejects_scan s USING (scan_id, file_id) "
        "GROUP BY s.file_path, r.line"
    )


def record_sql(feed: str, alias: str) -> str:
    """The raw row of ``<feed>_raw`` (aliased ``alias``) as JSON text, for quarantine files."""
    if feed == "users":
        return f"{alias}.record"
    columns = RAW_COLUMNS[feed]
    pairs = ", ".join(f'"{c}" := {alias}."{c}"' for c in columns)
    return f"to_json(struct_pack({pairs}))"


def _cleaned(columns: dict[str, str]) -> str:
    """``clean(raw) AS name`` for each name: raw column."""
    return ", ".join(f'clean("{raw}") AS {name}' for name, raw in columns.items())


def _duplicate(key: str) -> str:
    return f"row_number() OVER (PARTITION BY {key} ORDER BY row_no) > 1"


def unify_catalog(con: duckdb.DuckDBPyConnection, paths: FeedPaths, root: str) -> None:
    """``artists_checked``, ``albums_checked``, ``tracks_checked``."""
    _load_csv(con, "artists", sql_string(str(paths.artists)), ARTIST_COLUMNS, root)
    _load_csv(con, "albums", sql_string(str(paths.albums)), ALBUM_COLUMNS, root)
    _load_csv(con, "tracks", sql_string(str(paths.tracks)), TRACK_COLUMNS, root)
    con.execute(f"""
        CREATE OR REPLACE TABLE artists_checked AS
        SELECT *, CASE WHEN artist_id IS NULL THEN 'missing_artist_id'
                       WHEN name IS NULL THEN 'missing_artist_name'
                       WHEN {_duplicate("artist_id")} THEN 'duplicate_artist_id' END AS reason
        FROM (SELECT source, row_no, {_cleaned({"artist_id": "artist_id", "name": "name"})}
              FROM artists_raw)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE albums_checked AS
        SELECT *, CASE WHEN album_id IS NULL THEN 'missing_album_id'
                       WHEN {_duplicate("album_id")} THEN 'duplicate_album_id' END AS reason
        FROM (SELECT source, row_no,
                     {_cleaned({"album_id": "album_id", "album_title": "album_title"})}
              FROM albums_raw)""")
    texts = {
        "track_id": "trackId",
        "title": "trackTitle",
        "artist_id": "artistRef",
        "album_id": "albumRef",
        "genre_text": "genre",
        "duration_text": "durationSec",
        "explicit_text": "isExplicit",
        "year_text": "releaseYear",
        **{f"{name}_text": name for name in FEATURE_RANGES},
    }
    # A present value that is not a number, or not in range, is nulled and flagged.
    features = ",\n".join(
        f"CASE WHEN try_cast({name}_text AS DOUBLE) BETWEEN {low} AND {high} "
        f"THEN try_cast({name}_text AS DOUBLE) END AS {name}, "
        f"{name}_text IS NULL AS flag_{name}_missing"
        for name, (low, high) in FEATURE_RANGES.items()
    )
    invalid = ",\n".join(
        f"{name}_text IS NOT NULL AND {name} IS NULL AS flag_{name}_invalid"
        for name in FEATURE_RANGES
    )
    low_year, high_year = RELEASE_YEARS
    derived = mood_sql()
    moods = ", ".join(
        f"CASE WHEN {derived[mood]} OR list_contains(tag_moods, '{mood}') THEN '{mood}' END"
        for mood in MOODS
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE tracks_checked AS
        WITH cleaned AS (
            SELECT source, row_no, {_cleaned(texts)}, moodTags AS mood_text FROM tracks_raw),
        typed AS (
            SELECT *, word(genre_text) AS genre,
                   coalesce(genre_text <> word(genre_text), FALSE) AS flag_genre_normalized,
                   try_cast(duration_text AS DOUBLE) AS duration_s,
                   CASE WHEN try_cast(year_text AS INTEGER) BETWEEN {low_year} AND {high_year}
                        THEN try_cast(year_text AS INTEGER) END AS release_year,
                   -- Unknown explicit markers count as explicit: safer for family accounts.
                   coalesce(upper(explicit_text) <> 'N', TRUE) AS explicit,
                   coalesce(upper(explicit_text) NOT IN ('Y', 'N'), TRUE) AS flag_explicit_unknown,
                   list_transform(string_split(coalesce(mood_text, ''), '|'),
                                  lambda t: {{'tag': trim(t), 'mood': canonical_mood(t)}}) AS tags,
                   {features}
            FROM cleaned),
        checked AS (
            SELECT t.*, {invalid},
                   list_filter(list_transform(tags, lambda x: x.mood),
                               lambda m: m IS NOT NULL) AS tag_moods,
                   len(list_filter(tags, lambda x: x.tag <> '' AND x.mood IS NULL)) > 0
                       AS flag_unknown_mood_tag,
                   year_text IS NOT NULL AND release_year IS NULL AS flag_release_year_invalid,
                   CAST(round(duration_s * 1000) AS BIGINT) AS duration_ms,
                   a.name AS artist_name, al.album_title,
                   t.album_id IS NOT NULL AND al.album_id IS NULL AS flag_unknown_album,
                   CASE WHEN t.track_id IS NULL THEN 'missing_track_id'
                        WHEN {_duplicate("t.track_id").replace("row_no", "t.row_no")}
                        THEN 'duplicate_track_id'
                        WHEN t.title IS NULL THEN 'missing_title'
                        WHEN duration_s IS NULL THEN 'invalid_duration'
                        WHEN duration_s < 0 THEN 'negative_duration'
                        WHEN duration_s = 0 THEN 'zero_duration'
                        WHEN a.artist_id IS NULL THEN 'unknown_artist' END AS reason
            FROM typed t
            LEFT JOIN (SELECT artist_id, name FROM artists_checked WHERE reason IS NULL) a
                   ON a.artist_id = t.artist_id
            LEFT JOIN (SELECT album_id, album_title FROM albums_checked WHERE reason IS NULL) al
                   ON al.album_id = t.album_id)
        SELECT *, list_filter([{moods}], lambda m: m IS NOT NULL) AS moods FROM checked""")


def unify_users(con: duckdb.DuckDBPyConnection, paths: FeedPaths, root: str) -> None:
    """``users_checked`` from JSON lines, read as text so a broken line is quarantined."""
    con.execute(f"""
        CREATE OR REPLACE TABLE users_raw AS
        SELECT line AS record, replace(filename, {sql_string(root)}, '') AS source,
               row_number() OVER () AS row_no
        FROM read_csv({sql_string(str(paths.profiles))}, columns = {{'line': 'VARCHAR'}},
                      header = false, delim = '\x1f', quote = '', escape = '',
                      auto_detect = false, filename = true, store_rejects = true,
                      rejects_table = 'users_rejects_raw', rejects_scan = 'users_rejects_scan')
        WHERE line IS NOT NULL AND trim(line) <> ''""")
    _collect_rejects(con, "users", "malformed_line", root)
    low, high = BIRTH_YEARS
    all_moods = ", ".join(f"'{mood}'" for mood in MOODS)
    country = "regexp_full_match(country_text, '[A-Z]{2}')"
    con.execute(f"""
        CREATE OR REPLACE TABLE users_checked AS
        WITH parsed AS (
            SELECT source, row_no,
                   CASE WHEN json_valid(record) AND json_type(record::JSON) = 'OBJECT'
                        THEN record::JSON END AS doc
            FROM users_raw),
        cleaned AS (
            SELECT source, row_no, doc IS NULL AS unparseable,
                   clean(doc->>'$.userId') AS user_id,
                   upper(clean(doc->>'$.countryCode')) AS country_text,
                   clean(doc->>'$.birthYear') AS birth_year_text,
                   lower(clean(doc->>'$.gender')) AS gender,
                   try_cast(doc->>'$.explicitFilter' AS BOOLEAN) AS explicit_filter,
                   clean(doc->>'$.signupTs') AS signup_text,
                   try_cast(doc->'$.preferences.genres' AS VARCHAR[]) AS genre_words,
                   try_cast(doc->'$.preferences.moods' AS VARCHAR[]) AS mood_words
            FROM parsed),
        typed AS (
            SELECT *,
                   CASE WHEN {country} THEN country_text END AS country,
                   CASE WHEN try_cast(birth_year_text AS INTEGER) BETWEEN {low} AND {high}
                        THEN try_cast(birth_year_text AS INTEGER) END AS birth_year,
                   try_cast(signup_text AS TIMESTAMPTZ) AS signed_up_at,
                   -- explicitFilter=true hides explicit tracks; unknown hides them, to be safe.
                   NOT coalesce(explicit_filter, TRUE) AS explicit_allowed,
                   coalesce(list_filter(list_transform(genre_words, lambda g: word(g)),
                                        lambda g: g IS NOT NULL AND g <> ''), []) AS stated_genres,
                   list_transform(coalesce(mood_words, []), lambda w: canonical_mood(w)) AS moods
            FROM cleaned)
        SELECT source, row_no, user_id, country, birth_year, gender, explicit_allowed,
               signed_up_at, stated_genres,
               list_filter([{all_moods}], lambda m: list_contains(moods, m)) AS stated_moods,
               country_text IS NOT NULL AND NOT {country} AS flag_country_invalid,
               NOT unparseable AND country_text IS NULL AS flag_country_missing,
               birth_year_text IS NOT NULL AND birth_year IS NULL AS flag_birth_year_invalid,
               signup_text IS NOT NULL AND signed_up_at IS NULL AS flag_signup_ts_invalid,
               NOT unparseable AND explicit_filter IS NULL AS flag_explicit_filter_missing,
               CASE WHEN unparseable THEN 'unparseable_json'
                    WHEN user_id IS NULL THEN 'missing_user_id'
                    WHEN {_duplicate("user_id")} THEN 'duplicate_user_id' END AS reason
        FROM typed""")


def unify_events(con: duckdb.DuckDBPyConnection, paths: FeedPaths, root: str) -> None:
    """``events_checked``: typed, checked against kept users and tracks, deduplicated."""
    files = "[" + ", ".join(sql_string(str(path)) for path in paths.event_files()) + "]"
    _load_csv(con, "events", files, EVENT_COLUMNS, root)
    low, high = EVENT_MS
    texts = {name: name for name in ("event_id", "user_id", "track_id", "ts_ms", "ms_played")}
    con.execute(f"""
        CREATE OR REPLACE TABLE events_typed AS
        WITH cleaned AS (
            SELECT source, row_no, {_cleaned(texts)},
                   lower(clean(end_reason)) AS end_reason, lower(clean(device)) AS device
            FROM events_raw),
        typed AS (
            SELECT * EXCLUDE (ts_ms, ms_played), try_cast(ts_ms AS BIGINT) AS ts,
                   try_cast(ms_played AS BIGINT) AS ms_played, ms_played AS ms_text
            FROM cleaned)
        SELECT e.*, t.duration_ms,
               CASE WHEN e.event_id IS NULL THEN 'missing_event_id'
                    WHEN coalesce(e.ts NOT BETWEEN {low} AND {high}, TRUE)
                    THEN 'malformed_timestamp'
                    WHEN e.ms_played IS NULL THEN 'invalid_ms_played'
                    WHEN e.ms_played < 0 THEN 'negative_ms_played'
                    WHEN e.end_reason IS NULL THEN 'missing_end_reason'
                    WHEN e.end_reason NOT IN ('finished', 'skipped', 'stopped')
                    THEN 'invalid_end_reason'
                    WHEN u.user_id IS NULL AND uq.user_id IS NOT NULL THEN 'user_quarantined'
                    WHEN u.user_id IS NULL THEN 'unknown_user'
                    WHEN t.track_id IS NULL AND tq.track_id IS NOT NULL THEN 'track_quarantined'
                    WHEN t.track_id IS NULL THEN 'unknown_track' END AS reason
        FROM typed e
        LEFT JOIN (SELECT user_id FROM users_checked WHERE reason IS NULL) u
               ON u.user_id = e.user_id
        LEFT JOIN (SELECT DISTINCT user_id FROM users_checked WHERE reason IS NOT NULL) uq
               ON uq.user_id = e.user_id
        LEFT JOIN (SELECT track_id, duration_ms FROM tracks_checked WHERE reason IS NULL) t
               ON t.track_id = e.track_id
        LEFT JOIN (SELECT DISTINCT track_id FROM tracks_checked WHERE reason IS NOT NULL) tq
               ON tq.track_id = e.track_id""")
    # Duplicates: among otherwise good rows, the earliest copy of an event_id is kept.
    con.execute(f"""
        CREATE OR REPLACE TABLE events_checked AS
        SELECT *, epoch_ms(ts)::TIMESTAMPTZ AS event_time,
               CASE end_reason
                    WHEN 'finished' THEN 1.0
                    WHEN 'skipped' THEN {SKIP_CONFIDENCE}
                    ELSE greatest({MIN_STOP_CONFIDENCE},
                                  least(1.0, ms_played / greatest(duration_ms, 1)))
               END AS confidence
        FROM (
            SELECT e.* REPLACE (coalesce(e.reason, CASE WHEN e.row_no <> d.keep_row
                                                        THEN 'duplicate_event' END) AS reason)
            FROM events_typed e
            LEFT JOIN (SELECT event_id, arg_min(row_no, (ts, row_no)) AS keep_row
                       FROM events_typed WHERE reason IS NULL
                       GROUP BY event_id HAVING count(*) > 1) d
                   ON d.event_id = e.event_id AND e.reason IS NULL)""")
    con.execute("DROP TABLE events_typed")  # the largest staging table; free it early
