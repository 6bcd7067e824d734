"""The retrain trigger's decision (new archived plays or time), its state kept only after a
successful run, and the lock that keeps two pipelines apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.errors import RecommenderError
from recommender.offline.retrain_trigger import (
    STATE_FILE,
    PipelineBusy,
    RetrainTrigger,
    TriggerState,
    decide,
    new_plays,
    pipeline_lock,
)
from recommender.storage.listen_archive import ListenRow
from recommender.storage.local_listen_archive import LocalListenArchive
from tests.fakes import FakeClock

HOUR = 3600.0


def test_new_plays_are_each_partition_s_growth() -> None:
    assert new_plays({"a": 5, "b": 2}, {}) == 7
    assert new_plays({"a": 5, "b": 2}, {"a": 3, "b": 2}) == 2  # a replay grew "a" by 2
    assert new_plays({"a": 1}, {"a": 4, "gone": 9}) == 0  # a forgotten listener is no play


def test_due_on_enough_plays_or_time_and_when_it_never_ran() -> None:
    state = TriggerState(ran_at=0.0, plays={"a": 10})
    never = decide({"a": 1}, TriggerState(), 0.0, min_plays=5, every_h=24)
    assert never.due and never.hours_since_run is None
    plays = decide({"a": 15, "b": 1}, state, 2 * HOUR, min_plays=5, every_h=24)
    assert plays.due and plays.new_plays == 6 and "6 new plays" in plays.reason
    late = decide({"a": 10}, state, 25 * HOUR, min_plays=5, every_h=24)
    assert late.due and late.new_plays == 0 and "since the last run" in late.reason
    quiet = decide({"a": 13}, state, 2 * HOUR, min_plays=5, every_h=24)
    assert not quiet.due and quiet.new_plays == 3 and quiet.hours_since_run == 2.0


def _row(n: int) -> ListenRow:
    return ListenRow(f"e-{n}", "usr-1", "TRK1", 1_765_000_000_000 + n, 1_000, "finished", "alexa")


def test_a_run_records_the_plays_it_started_from_and_a_failed_run_records_nothing(
    tmp_path: Path,
) -> None:
    archive = LocalListenArchive(tmp_path / "live")
    clock = FakeClock(1_000_000.0)
    trigger = RetrainTrigger(archive, tmp_path / "work", min_plays=4, every_h=24, clock=clock)
    runs: list[str] = []

    def pipeline() -> str:
        runs.append("ran")
        archive.write_page("0", "9", [_row(9)])  # a play archived while the pipeline runs
        return "report"

    first = trigger.run_if_due(pipeline)
    assert (first.ran, first.result) == (True, "report") and first.decision.hours_since_run is None
    assert TriggerState.load(tmp_path / "work" / STATE_FILE) == TriggerState(1_000_000.0, {})
    archive.write_page("0", "1", [_row(1), _row(2)])
    quiet = trigger.run_if_due(pipeline)
    assert not quiet.ran and quiet.decision.new_plays == 3  # counted for the next time
    assert trigger.run_if_due(pipeline, force=True).ran  # philomath retrain without --if-due
    assert runs == ["ran", "ran"]

    assert not trigger.check()[0].due  # the forced run started from those 3
    archive.write_page("0", "3", [_row(n) for n in range(3, 7)])
    clock.advance(HOUR)
    assert trigger.check()[0].due

    def failing() -> str:
        raise RuntimeError("training failed")

    with pytest.raises(RuntimeError):
        trigger.run_if_due(failing)
    assert trigger.check()[0].due  # still due: the failed run recorded nothing


def test_a_second_pipeline_is_refused_while_one_holds_the_lock(tmp_path: Path) -> None:
    trigger = RetrainTrigger(None, tmp_path, min_plays=1, every_h=24)

    def locked_run() -> str:
        with pipeline_lock(tmp_path):
            return "done"

    with pipeline_lock(tmp_path):
        with pytest.raises(PipelineBusy), pipeline_lock(tmp_path):
            pass
        busy = trigger.run_if_due(locked_run)
        assert busy.busy and not busy.ran and busy.decision.due
        assert not (tmp_path / STATE_FILE).exists()
    assert trigger.run_if_due(locked_run).ran  # released: the next check runs it


def test_a_broken_state_file_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text("{not json")
    with pytest.raises(RecommenderError, match=STATE_FILE):
        RetrainTrigger(None, tmp_path, min_plays=1, every_h=1).check()


def test_the_serve_role_starts_a_retrain_process_only_when_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import threading

    from philomath import roles
    from philomath.settings import Settings

    settings = Settings(data_dir=tmp_path, retrain_check_s=0.01, retrain_min_plays=2)
    started: list[list[str]] = []
    stop = threading.Event()

    def child(command: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        started.append(command)
        # What the child does: run the pipeline and record the plays it started from.
        TriggerState(1.0e12, {"shard=0/1.csv": 1}).save(tmp_path / "work" / STATE_FILE)
        stop.set()
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", child)
    TriggerState(1.0e12, {}).save(tmp_path / "work" / STATE_FILE)  # ran "now": not due
    LocalListenArchive(tmp_path / "raw/live/listens").write_page("0", "1", [_row(1)])
    role = threading.Thread(target=roles.retrain_trigger, args=(settings, stop))
    role.start()
    stop.wait(0.3)
    assert started == []  # one play of two: checked, not due
    LocalListenArchive(tmp_path / "raw/live/listens").write_page("0", "2", [_row(2)])
    role.join(timeout=30)
    assert not role.is_alive()
    (command,) = started
    assert command[1:] == ["-m", "philomath", "retrain", "--if-due", "--json"]
