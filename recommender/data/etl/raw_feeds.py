"""The two teams' raw feed files read as text tables, before any business rule applies.

This is the only step of the ETL outside Ibis: it splits files into rows and columns, keeping
every value as the text the team wrote. Types, cleaning and every quality rule come after, in
``unify.py``, the same on every engine. A line that cannot be split (a CSV row with the wrong
number of columns) cannot reach those rules; it goes straight to the rejects with its text.

Live plays come as more files of the listen feed: the partitions the feedback consumer
archives under ``live/listens/shard=*/`` (``recommender.storage.listen_archive``), in the
team's format. A play in a live partition and again in the team's feed (or a page archived
twice under two names) is one event: the ETL keeps the first copy of an ``event_id`` and
quarantines the others as ``duplicate_event``.

Each row carries ``source`` (its file, relative to the raw directory) and ``row_no`` (its
record number in that file, the CSV header being 1: the line number when no value spans
lines), so a quarantined row can be found in the file it came from.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from recommender.errors import DataError
from recommender.storage.listen_archive import LISTEN_COLUMNS, LIVE_LISTENS_DIR

# The hand-over contract: the header each CSV feed must start with.
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
EVENT_COLUMNS = LISTEN_COLUMNS  # the listen feed's, which the live archive writes too
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "artists": ARTIST_COLUMNS,
    "albums": ALBUM_COLUMNS,
    "tracks": TRACK_COLUMNS,
    "events": EVENT_COLUMNS,
}
# Profile fields taken from each JSON object, as text; the preferences are lists of text.
PROFILE_FIELDS = ("userId", "countryCode", "birthYear", "gender", "explicitFilter", "signupTs")
PROFILE_LISTS = ("genres", "moods")

REJECT_SCHEMA = pa.schema(
    [
        ("reason", pa.string()),
        ("source", pa.string()),
        ("row_no", pa.int64()),
        ("record", pa.string()),
        ("detail", pa.string()),
    ]
)
_READ_THREADS = 4  # event files are read side by side (pyarrow releases the GIL)


@dataclass(frozen=True, slots=True)
class FeedPaths:
    """Where each raw feed lives under the raw directory."""

    root: Path
    artists: Path
    albums: Path
    tracks: Path
    profiles: Path
    listens: Path  # dt=YYYY-MM-DD/part-N.csv.gz below it
    live_listens: Path  # shard=<shard>/<first position>.csv below it: the archived live plays

    @classmethod
    def under(cls, raw_dir: Path) -> FeedPaths:
        return cls(
            root=raw_dir,
            artists=raw_dir / "catalog" / "artists.csv",
            albums=raw_dir / "catalog" / "albums.csv",
            tracks=raw_dir / "catalog" / "tracks.csv",
            profiles=raw_dir / "personalization" / "user_profiles.jsonl",
            listens=raw_dir / "personalization" / "listens",
            live_listens=raw_dir / LIVE_LISTENS_DIR,
        )

    def team_event_files(self) -> list[Path]:
        return sorted(self.listens.glob("dt=*/*.csv*"))

    def event_files(self) -> list[Path]:
        """The team's listen files, then the live partitions."""
        return self.team_event_files() + sorted(self.live_listens.glob("shard=*/*.csv"))

    def csv_files(self) -> dict[str, list[Path]]:
        return {
            "artists": [self.artists],
            "albums": [self.albums],
            "tracks": [self.tracks],
            "events": self.event_files(),
        }

    def source(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True, slots=True)
class RawFeeds:
    """Every feed as text: ``tables`` for rows that were split, ``rejects`` for lines that were not.

    ``tables["users"]`` has one row per non-blank profile line: ``parsed`` (the line is a JSON
    object), ``record`` (the line), the fields of ``PROFILE_FIELDS`` and ``PROFILE_LISTS``.
    """

    tables: dict[str, pa.Table]
    rejects: dict[str, pa.Table]


def check_feeds(paths: FeedPaths) -> None:
    """The hand-over contract: files exist and headers name the agreed columns."""
    if not paths.team_event_files():
        raise DataError(f"no listening event files under {paths.listens}")
    if not paths.profiles.is_file():
        raise DataError(f"missing feed file {paths.profiles}")
    for feed, files in paths.csv_files().items():
        for path in files:
            if not path.is_file():
                raise DataError(f"missing feed file {path}")
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as handle:
                header = handle.readline().strip()
            found = tuple(name.strip().strip('"') for name in header.split(","))
            if found != CSV_COLUMNS[feed]:
                raise DataError(f"{path}: header {found} is not the agreed {CSV_COLUMNS[feed]}")


def read_feeds(paths: FeedPaths) -> RawFeeds:
    """Both teams' feeds as text tables; call ``check_feeds`` first."""
    tables: dict[str, pa.Table] = {}
    rejects: dict[str, pa.Table] = {}
    with ThreadPoolExecutor(_READ_THREADS) as pool:
        for feed, files in paths.csv_files().items():
            parts = list(pool.map(partial(_read_csv, paths, columns=CSV_COLUMNS[feed]), files))
            tables[feed] = pa.concat_tables([rows for rows, _ in parts])
            rejects[feed] = pa.concat_tables([bad for _, bad in parts])
    tables["users"] = _read_profiles(paths)
    rejects["users"] = REJECT_SCHEMA.empty_table()
    return RawFeeds(tables, rejects)


def _read_csv(paths: FeedPaths, path: Path, columns: Sequence[str]) -> tuple[pa.Table, pa.Table]:
    """(rows split into ``columns``, rejected lines) of one CSV file."""
    invalid: list[tuple[int, str, str]] = []

    def reject(row: pacsv.InvalidRow) -> str:
        detail = f"expected {row.expected_columns} columns, found {row.actual_columns}"
        invalid.append((int(row.number or 0), row.text, detail))
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            # One thread per file: only then does the reader know each bad row's number.
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=reject, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in columns},
                # Only an empty field is "no value" here; placeholders such as N/A are a
                # business rule (unify.clean), and the quarantine shows what was written.
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as CSV: {exc}") from exc
    source = paths.source(path)
    # Records are numbered from the header (1); the rows kept are the numbers not rejected.
    numbers = np.arange(2, table.num_rows + len(invalid) + 2, dtype=np.int64)
    keep = np.ones(len(numbers), dtype=bool)
    keep[[number - 2 for number, _, _ in invalid if number >= 2]] = False
    rows = table.select(list(columns))
    rows = rows.add_column(0, "row_no", pa.array(numbers[keep]))
    rows = rows.add_column(0, "source", pa.array([source] * rows.num_rows, pa.string()))
    rejected = pa.table(
        {
            "reason": ["malformed_csv_row"] * len(invalid),
            "source": [source] * len(invalid),
            "row_no": [number for number, _, _ in invalid],
            "record": [text for _, text, _ in invalid],
            "detail": [detail for _, _, detail in invalid],
        },
        schema=REJECT_SCHEMA,
    )
    return rows, rejected


def _read_profiles(paths: FeedPaths) -> pa.Table:
    """One row per non-blank line of the profiles feed, JSON fields as text."""
    source = paths.source(paths.profiles)
    columns: dict[str, list[object]] = {
        name: []
        for name in ("source", "row_no", "parsed", "record", *PROFILE_FIELDS, *PROFILE_LISTS)
    }
    with paths.profiles.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue  # a blank line holds no record
            doc = _json_object(line)
            preferences = doc.get("preferences") if doc else None
            columns["source"].append(source)
            columns["row_no"].append(number)
            columns["parsed"].append(doc is not None)
            columns["record"].append(line)
            for name in PROFILE_FIELDS:
                columns[name].append(_text(doc.get(name)) if doc else None)
            for name in PROFILE_LISTS:
                words = preferences.get(name) if isinstance(preferences, dict) else None
                columns[name].append(
                    [_text(word) for word in words] if isinstance(words, list) else None
                )
    types = {
        "row_no": pa.int64(),
        "parsed": pa.bool_(),
        **{name: pa.list_(pa.string()) for name in PROFILE_LISTS},
    }
    return pa.table(
        {name: pa.array(values, types.get(name, pa.string())) for name, values in columns.items()}
    )


def _json_object(line: str) -> dict[str, object] | None:
    try:
        doc = json.loads(line)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _text(value: object) -> str | None:
    """A JSON value as the text it was written as (strings unquoted); null stays None."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)
