"""The ``TrackCatalog`` contract, run against every adapter: SQLite and PostgreSQL.

Each test gets ``make_catalog``, a factory of catalogs over one fresh storage (a SQLite file
in ``tmp_path``, a PostgreSQL schema), so a test can open a second catalog on the same data.
PostgreSQL-specific guarantees follow the shared suite.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from playback.catalog import Artist, Track, TrackCatalog
from playback.errors import CatalogUnavailable
from playback.postgres_catalog import PostgresTrackCatalog
from playback.sqlite_catalog import SqliteTrackCatalog

CatalogFactory = Callable[[], TrackCatalog]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_catalog(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    auto_closed: Callable[[CatalogFactory], CatalogFactory],
) -> CatalogFactory:
    if request.param == "sqlite":
        return auto_closed(lambda: SqliteTrackCatalog(tmp_path / "catalog.db"))
    dsn, schema = request.getfixturevalue("postgres_schema")
    return auto_closed(lambda: PostgresTrackCatalog(dsn, schema=schema))


@pytest.fixture
def catalog(make_catalog: CatalogFactory) -> TrackCatalog:
    catalog = make_catalog()
    catalog.ensure_schema()
    return catalog


def make_track(track_id: str, **fields: Any) -> Track:
    base = Track(track_id=track_id, title=f"Title {track_id}", artist_id="a1", artist_name="A")
    return replace(base, **fields)


FULL = Track(
    track_id="trk-ü-1",
    title="Ne me quitte pas — live «1966»",
    artist_id="art-brel",
    artist_name="Jacques Brel",
    album_id="alb-1",
    album_title="Olympia 1966",
    genre="chanson",
    moods=("melancholic", "romantic", 'mood with, comma|pipe "quote"'),
    duration_ms=232_013,
    explicit=True,
    release_year=1966,
    energy=0.123456789012345,
    valence=1.0,
    tempo=97.33333333333333,
    acousticness=0.0,
    danceability=0.30000000000000004,
)
MINIMAL = Track(track_id="trk-2", title="Untitled", artist_id="art-x", artist_name="X")


# --- round trips -----------------------------------------------------------------------


def test_empty_catalog(catalog: TrackCatalog) -> None:
    assert catalog.count() == 0
    assert catalog.get_tracks(["nope"]) == {}
    assert catalog.genres() == []
    assert catalog.find_artists("anything") == []
    assert catalog.tracks_by_artist("nobody") == []


def test_every_field_round_trips_exactly(catalog: TrackCatalog) -> None:
    assert catalog.upsert_tracks([FULL, MINIMAL]) == 2

    got = catalog.get_tracks([FULL.track_id, MINIMAL.track_id])

    assert got == {FULL.track_id: FULL, MINIMAL.track_id: MINIMAL}
    full, minimal = got[FULL.track_id], got[MINIMAL.track_id]
    assert isinstance(full.moods, tuple) and full.moods == FULL.moods
    assert full.explicit is True and minimal.explicit is False
    assert minimal.moods == () and minimal.release_year is None
    assert (minimal.energy, minimal.valence, minimal.tempo) == (None, None, None)
    assert (minimal.acousticness, minimal.danceability, minimal.genre) == (None, None, None)


def test_random_audio_features_keep_every_bit(catalog: TrackCatalog) -> None:
    rng = random.Random(3)
    tracks = [
        make_track(
            f"t{i}",
            energy=rng.random(),
            valence=rng.random(),
            tempo=rng.uniform(40, 220),
            acousticness=rng.random() / 3,
            danceability=rng.random(),
            duration_ms=rng.randrange(1, 10**10),
        )
        for i in range(200)
    ]
    catalog.upsert_tracks(tracks)

    got = catalog.get_tracks([t.track_id for t in tracks])

    assert [got[t.track_id] for t in tracks] == tracks


def test_upsert_replaces_by_track_id(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks([FULL])
    moved = replace(
        FULL,
        title="New title",
        artist_id="art-new",
        artist_name="Newcomer",
        moods=(),
        energy=None,
        release_year=None,
        explicit=False,
    )

    assert catalog.upsert_tracks([moved]) == 1

    assert catalog.count() == 1
    assert catalog.get_tracks([FULL.track_id]) == {FULL.track_id: moved}
    # The old artist has no track left, so it is no longer found.
    assert catalog.find_artists("Jacques Brel") == []
    assert catalog.tracks_by_artist("art-brel") == []
    assert catalog.find_artists("newcomer") == [Artist("art-new", "Newcomer")]


def test_last_duplicate_in_one_upsert_wins(catalog: TrackCatalog) -> None:
    first, second = make_track("dup", title="first"), make_track("dup", title="second")

    catalog.upsert_tracks([first, second])

    assert catalog.count() == 1
    assert catalog.get_tracks(["dup"])["dup"].title == "second"


def test_get_tracks_omits_unknown_ids_and_tolerates_repeats(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks([FULL, MINIMAL])

    got = catalog.get_tracks(["unknown", FULL.track_id, FULL.track_id])

    assert got == {FULL.track_id: FULL}
    assert catalog.get_tracks([]) == {}


def test_bulk_upsert_from_a_generator(catalog: TrackCatalog) -> None:
    total = 5_000
    consumed = 0

    def tracks() -> Iterator[Track]:
        nonlocal consumed
        for i in range(total):
            consumed += 1
            yield make_track(
                f"bulk-{i:05d}",
                artist_id=f"a{i % 50}",
                artist_name=f"Artist {i % 50}",
                genre=f"g{i % 7}",
                release_year=1950 + i % 70,
            )

    assert catalog.upsert_tracks(tracks()) == total

    assert consumed == total
    assert catalog.count() == total
    ids = [f"bulk-{i:05d}" for i in range(0, total, 3)]
    assert sorted(catalog.get_tracks(ids)) == ids  # more ids than SQLite's variable limit
    assert catalog.get_tracks(["bulk-04999"])["bulk-04999"].artist_name == "Artist 49"
    assert catalog.genres() == [f"g{i}" for i in range(7)]


def test_failed_upsert_writes_nothing_and_keeps_the_callers_error(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks([MINIMAL])

    def tracks() -> Iterator[Track]:
        yield from (make_track(f"partial-{i}") for i in range(3_000))
        raise RuntimeError("feed broke")

    with pytest.raises(RuntimeError, match="feed broke"):
        catalog.upsert_tracks(tracks())

    assert catalog.count() == 1
    assert catalog.get_tracks(["partial-0"]) == {}


def test_ensure_schema_is_idempotent_and_keeps_data(
    catalog: TrackCatalog, make_catalog: CatalogFactory
) -> None:
    catalog.upsert_tracks([FULL])

    catalog.ensure_schema()
    other = make_catalog()
    other.ensure_schema()

    assert other.get_tracks([FULL.track_id]) == {FULL.track_id: FULL}
    assert catalog.count() == 1


def test_reopens_after_close(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks([FULL])

    catalog.close()
    catalog.close()  # closing twice is harmless

    assert catalog.get_tracks([FULL.track_id]) == {FULL.track_id: FULL}


# --- artists ---------------------------------------------------------------------------


def _artist_tracks(*artists: tuple[str, str]) -> list[Track]:
    return [
        make_track(f"{artist_id}-t{n}", artist_id=artist_id, artist_name=name)
        for artist_id, name in artists
        for n in range(2)  # two tracks each: an artist must still be listed once
    ]


def test_find_artists_exact_match_first_then_prefixes_in_name_order(
    catalog: TrackCatalog,
) -> None:
    catalog.upsert_tracks(
        _artist_tracks(
            ("a-qotsa", "Queens of the Stone Age"),
            ("a-queen", "Queen"),
            ("a-queenc", "Queen Cover Band"),
            ("a-latifah", "Queen Latifah"),
            ("a-other", "The Queen Is Dead Tribute"),  # contains it, does not start with it
        )
    )

    assert catalog.find_artists("queen") == [
        Artist("a-queen", "Queen"),
        Artist("a-queenc", "Queen Cover Band"),
        Artist("a-latifah", "Queen Latifah"),
        Artist("a-qotsa", "Queens of the Stone Age"),
    ]
    assert catalog.find_artists("QUEEN", limit=2) == [
        Artist("a-queen", "Queen"),
        Artist("a-queenc", "Queen Cover Band"),
    ]
    assert catalog.find_artists("  Queen Latifah ") == [Artist("a-latifah", "Queen Latifah")]


def test_find_artists_ties_on_name_are_ordered_by_artist_id(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks(_artist_tracks(("id-b", "Nirvana"), ("id-a", "NIRVANA")))

    assert [a.artist_id for a in catalog.find_artists("nirvana")] == ["id-a", "id-b"]


def test_find_artists_folds_unicode_case(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks(
        _artist_tracks(
            ("a-bjork", "Björk"),
            ("a-edith", "Édith Piaf"),
            ("a-sigur", "Sigur Rós"),
            ("a-strasse", "Straße"),
            ("a-yoyo", "矢野顕子"),
        )
    )

    assert catalog.find_artists("BJÖRK") == [Artist("a-bjork", "Björk")]
    assert catalog.find_artists("édith") == [Artist("a-edith", "Édith Piaf")]
    assert catalog.find_artists("SIGUR RÓS") == [Artist("a-sigur", "Sigur Rós")]
    assert catalog.find_artists("STRASSE") == [Artist("a-strasse", "Straße")]
    assert catalog.find_artists("矢野") == [Artist("a-yoyo", "矢野顕子")]


def test_find_artists_prefixes_ending_at_code_point_edges(catalog: TrackCatalog) -> None:
    # The prefix range's upper bound must step over the surrogates and past U+10FFFF.
    catalog.upsert_tracks(
        _artist_tracks(
            ("a-d7ff", "x\ud7ff tail"),
            ("a-e000", "x\ue000"),
            ("a-max", "x\U0010ffff tail"),
            ("a-y", "y"),
        )
    )

    assert catalog.find_artists("X\ud7ff") == [Artist("a-d7ff", "x\ud7ff tail")]
    assert catalog.find_artists("x\U0010ffff") == [Artist("a-max", "x\U0010ffff tail")]


def test_find_artists_treats_wildcards_literally(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks(
        _artist_tracks(
            ("a-pct", "100% Pure"),
            ("a-100", "100 Pure"),
            ("a-under", "a_b"),
            ("a-axb", "axb"),
        )
    )

    assert catalog.find_artists("100%") == [Artist("a-pct", "100% Pure")]
    assert catalog.find_artists("a_") == [Artist("a-under", "a_b")]
    assert catalog.find_artists("a%") == []


def test_find_artists_without_a_name_or_room_finds_nothing(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks(_artist_tracks(("a-1", "Anyone")))

    assert catalog.find_artists("") == []
    assert catalog.find_artists("   ") == []
    assert catalog.find_artists("anyone", limit=0) == []
    assert catalog.find_artists("nobody") == []


# --- tracks by artist, genres -----------------------------------------------------------


def test_tracks_by_artist_newest_first_unknown_years_last_ties_by_id(
    catalog: TrackCatalog,
) -> None:
    years = {"t-c": 2001, "t-a": 2001, "t-e": None, "t-b": 1999, "t-d": 2020, "t-f": None}
    catalog.upsert_tracks([make_track(tid, release_year=year) for tid, year in years.items()])
    catalog.upsert_tracks([make_track("other", artist_id="a2", release_year=2030)])

    got = catalog.tracks_by_artist("a1")

    assert [t.track_id for t in got] == ["t-d", "t-a", "t-c", "t-b", "t-e", "t-f"]
    assert got[0] == make_track("t-d", release_year=2020)
    assert [t.track_id for t in catalog.tracks_by_artist("a1", limit=2)] == ["t-d", "t-a"]
    assert catalog.tracks_by_artist("a1", limit=0) == []


def test_genres_are_distinct_sorted_and_skip_unknown(catalog: TrackCatalog) -> None:
    genres = ["rock", "Jazz", "ambient", "rock", None, "électro", "jazz"]
    catalog.upsert_tracks([make_track(f"g{i}", genre=g) for i, g in enumerate(genres)])

    assert catalog.genres() == sorted({g for g in genres if g is not None})


# --- threads ---------------------------------------------------------------------------


def test_concurrent_reads_and_writes_from_threads(catalog: TrackCatalog) -> None:
    catalog.upsert_tracks(
        make_track(
            f"c{i:04d}",
            artist_id=f"a{i % 20}",
            artist_name=f"Band {i % 20:02d}",
            release_year=2000 + i % 20,
        )
        for i in range(1_000)
    )
    stop = threading.Event()

    def write() -> int:
        rounds = 0
        while not stop.is_set() and rounds < 50:
            catalog.upsert_tracks(
                make_track(f"w{rounds}-{i}", artist_id="writer") for i in range(20)
            )
            rounds += 1
        return rounds

    def read(worker: int) -> bool:
        rng = random.Random(worker)
        for _ in range(40):
            ids = [f"c{rng.randrange(1_000):04d}" for _ in range(10)]
            got = catalog.get_tracks(ids)
            if sorted(got) != sorted(set(ids)):
                return False
            band = rng.randrange(20)
            if catalog.find_artists(f"band {band:02d}") != [Artist(f"a{band}", f"Band {band:02d}")]:
                return False
            if len(catalog.tracks_by_artist(f"a{band}")) != 50:
                return False
        return True

    with ThreadPoolExecutor(max_workers=9) as pool:
        writer = pool.submit(write)
        readers = [pool.submit(read, worker) for worker in range(8)]
        results = [future.result() for future in readers]
        stop.set()
        rounds = writer.result()

    assert results == [True] * 8
    assert catalog.count() == 1_000 + 20 * rounds


# --- unreachable backends ------------------------------------------------------------------


def _assert_every_call_unavailable(catalog: TrackCatalog) -> None:
    # Constructing the adapter did no I/O, so it could not fail: every call does.
    calls: list[Callable[[], object]] = [
        catalog.ensure_schema,
        lambda: catalog.upsert_tracks([FULL]),
        lambda: catalog.get_tracks(["x"]),
        lambda: catalog.find_artists("x"),
        lambda: catalog.tracks_by_artist("x"),
        catalog.genres,
        catalog.count,
    ]
    for call in calls:
        with pytest.raises(CatalogUnavailable):
            call()
    catalog.close()


def test_unusable_sqlite_file_raises_catalog_unavailable(unusable_sqlite_path: Path) -> None:
    _assert_every_call_unavailable(SqliteTrackCatalog(unusable_sqlite_path))


def test_unreachable_postgres_raises_catalog_unavailable() -> None:
    closed_port = "postgresql://postgres@127.0.0.1:1/test"
    _assert_every_call_unavailable(PostgresTrackCatalog(closed_port, schema="public"))


# --- PostgreSQL only ---------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_tables_live_in_the_given_schema(postgres_schema: tuple[str, str]) -> None:
    import psycopg

    dsn, schema = postgres_schema
    catalog = PostgresTrackCatalog(dsn, schema=schema)
    catalog.ensure_schema()
    catalog.upsert_tracks([FULL])
    catalog.close()

    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = 'tracks'"
            " AND table_schema = %s",
            (schema,),
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (schema,)
        ).fetchall()
    assert rows == [(schema,)]
    assert {"tracks_by_artist", "tracks_by_artist_key"} <= {name for (name,) in indexes}


@pytest.mark.postgres
def test_postgres_ensure_schema_creates_a_missing_schema(postgres_schema: tuple[str, str]) -> None:
    import psycopg

    dsn, schema = postgres_schema
    missing = f"{schema}_new"
    catalog = PostgresTrackCatalog(dsn, schema=missing)
    try:
        catalog.ensure_schema()
        catalog.upsert_tracks([MINIMAL])
        assert catalog.count() == 1
    finally:
        catalog.close()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{missing}" CASCADE')


@pytest.mark.postgres
def test_postgres_reconnects_after_the_connection_dies(postgres_schema: tuple[str, str]) -> None:
    import psycopg

    dsn, schema = postgres_schema
    tag = f"philomath-{schema}"  # finds the adapter's backend process in pg_stat_activity
    catalog = PostgresTrackCatalog(f"{dsn}?application_name={tag}", schema=schema)
    catalog.ensure_schema()
    catalog.upsert_tracks([FULL])
    with psycopg.connect(dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (tag,),
        ).fetchall()
    assert killed == [(True,)]

    # The call that finds the connection dead fails with the port's error...
    with pytest.raises(CatalogUnavailable):
        catalog.count()
    # ...and the next one reconnects.
    assert catalog.count() == 1
    catalog.close()
