"""The ``RoutineStore`` contract, run against every adapter: in memory, SQLite and DynamoDB
(moto)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from listening.dynamodb_routines import DynamoDBRoutineStore
from listening.memory_routines import MemoryRoutineStore
from listening.routines import Routine, RoutineStore, RoutinesUnavailable, find_routine
from listening.sqlite_routines import SqliteRoutineStore


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RoutineStore]:
    built: RoutineStore
    if request.param == "memory":
        built = MemoryRoutineStore()
    elif request.param == "sqlite":
        built = SqliteRoutineStore(tmp_path / "routines.db")
    else:
        built = DynamoDBRoutineStore(request.getfixturevalue("dynamodb"), "routines")
    built.ensure_schema()
    built.ensure_schema()  # idempotent
    yield built
    built.close()


def routine(routine_id: str, user: str = "u-1", name: str = "Meditation", **kw: Any) -> Routine:
    fields: dict[str, Any] = {"at": "22:00", "created_at": 100.0, "activity": "meditation"}
    fields.update(kw)
    return Routine(routine_id=routine_id, user_id=user, name=name, **fields)


def test_routines_are_kept_per_listener_oldest_first(store: RoutineStore) -> None:
    store.add(routine("r-2", created_at=200.0, name="Morning", at="07:30", mood="energetic"))
    store.add(routine("r-1", timezone="Europe/Berlin", repeat="weekdays"))
    store.add(routine("r-9", user="u-2"))
    mine = store.for_listener("u-1")
    assert [r.routine_id for r in mine] == ["r-1", "r-2"]
    assert mine[0] == routine("r-1", timezone="Europe/Berlin", repeat="weekdays")
    assert mine[0].part_of_day == "night" and mine[1].part_of_day == "morning"
    assert find_routine(mine, "  meditation ") == mine[0]
    assert store.for_listener("nobody") == []


def test_delete_removes_one_routine_of_its_listener_only(store: RoutineStore) -> None:
    store.add(routine("r-1"))
    store.add(routine("r-1", user="u-2"))
    assert store.delete("u-1", "r-1") is True
    assert store.delete("u-1", "r-1") is False
    assert [r.user_id for r in store.for_listener("u-2")] == ["u-2"]


def test_forget_erases_every_routine_of_a_listener(store: RoutineStore) -> None:
    for i in range(30):  # more than one DynamoDB batch
        store.add(routine(f"r-{i:02d}", created_at=float(i)))
    store.add(routine("keep", user="u-2"))
    assert store.forget("u-1") == 30
    assert store.for_listener("u-1") == []
    assert store.forget("u-1") == 0
    assert len(store.for_listener("u-2")) == 1


def test_an_unusable_sqlite_file_is_routines_unavailable(unusable_sqlite_path: Path) -> None:
    broken = SqliteRoutineStore(unusable_sqlite_path)
    with pytest.raises(RoutinesUnavailable):
        broken.ensure_schema()
        broken.for_listener("u-1")


def test_an_unreachable_dynamodb_is_routines_unavailable(unreachable_dynamodb: Any) -> None:
    with pytest.raises(RoutinesUnavailable):
        DynamoDBRoutineStore(unreachable_dynamodb, "routines").for_listener("u-1")
