"""The model registry: register, list, promote, roll back, and broken manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.data.digests import tree_digest
from recommender.models.registry import (
    DataFingerprint,
    Manifest,
    ManifestError,
    ModelRegistry,
    RegistryError,
    code_version,
    new_run_id,
)

DATA = DataFingerprint(digest="d" * 64, rows={"users": 3, "tracks": 5}, vocabulary="v" * 64)


def _writer(payload: str, params: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    def write(folder: Path) -> None:
        folder.mkdir(parents=True)
        (folder / "weights.bin").write_text(payload)
        (folder / "meta.json").write_text(json.dumps({"params": params or {"k": 7}}))

    return write


def _register(registry: ModelRegistry, name: str, run: str, ndcg: float = 0.1) -> Manifest:
    return registry.register(
        name, run, _writer(f"{name}-{run}"), data=DATA, metrics={"ndcg@10": ndcg}, label="x"
    )


def test_register_writes_the_artifact_and_a_complete_manifest(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    manifest = _register(registry, "ials.v1", "r1", ndcg=0.25)

    assert (tmp_path / "ials.v1" / "r1" / "manifest.json").is_file()
    assert registry.get("ials.v1", "r1") == manifest
    assert manifest.params == {"k": 7}  # read from the artifact's meta.json
    assert manifest.metrics == {"ndcg@10": 0.25}
    assert manifest.data == DATA
    assert manifest.code_version == code_version() and manifest.code_version != "unknown"
    assert manifest.created_at.tzinfo is not None
    artifact = registry.artifact(manifest)
    assert (artifact / "weights.bin").read_text() == "ials.v1-r1"
    assert manifest.artifact_sha256 == tree_digest(artifact)


def test_unmeasurable_figures_round_trip_as_none(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.register(
        "ials.v1", "r1", _writer("x"), data=DATA,
        metrics={"ndcg@10": 0.2, "novelty": float("nan")},
        segments={"heavy": {"users": 0.0, "ndcg@10": float("nan")}},
    )  # fmt: skip
    manifest = registry.get("ials.v1", "r1")
    assert manifest.metrics == {"ndcg@10": 0.2, "novelty": None}
    assert manifest.segments == {"heavy": {"users": 0.0, "ndcg@10": None}}


def test_a_run_is_registered_once_and_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    _register(registry, "ials.v1", "r1")
    with pytest.raises(RegistryError, match="already registered"):
        _register(registry, "ials.v1", "r1")

    def broken(folder: Path) -> None:
        folder.mkdir(parents=True)
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        registry.register("ease.v1", "r1", broken, data=DATA)
    assert [m.name for m in registry.models()] == ["ials.v1"]
    assert not list((tmp_path / "ease.v1").iterdir())  # no half-written run left behind
    with pytest.raises(RegistryError, match="invalid model run"):
        registry.register("ease.v1", "../escape", _writer("x"), data=DATA)


def test_list_is_oldest_first_and_by_name(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    _register(registry, "ials.v1", "r1")
    _register(registry, "ease.v1", "r1")
    _register(registry, "ials.v1", "r2")
    assert [(m.name, m.run) for m in registry.models()] == [
        ("ials.v1", "r1"), ("ease.v1", "r1"), ("ials.v1", "r2"),
    ]  # fmt: skip
    assert [m.run for m in registry.models("ials.v1")] == ["r1", "r2"]
    assert registry.latest("ials.v1").run == "r2"
    with pytest.raises(RegistryError, match="no model 'blend.v1'"):
        registry.latest("blend.v1")


def test_promote_and_rollback_walk_the_promotion_stack(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.promoted() is None and registry.promoted_ref() is None
    for name, run in (("mostpopular.v1", "r1"), ("ials.v1", "r1"), ("ease.v1", "r2")):
        _register(registry, name, run)

    registry.promote("mostpopular.v1")  # latest run by default
    registry.promote("ials.v1", "r1")
    registry.promote("ease.v1", "r2")
    assert registry.promoted_ref() == "ease.v1/r2"

    assert registry.rollback().name == "ials.v1"
    assert registry.promoted_ref() == "ials.v1/r1"
    assert registry.rollback().name == "mostpopular.v1"
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()
    assert registry.promoted_ref() == "mostpopular.v1/r1"

    history = registry.history()
    assert [(h.action, h.name) for h in history] == [
        ("promote", "mostpopular.v1"), ("promote", "ials.v1"), ("promote", "ease.v1"),
        ("rollback", "ials.v1"), ("rollback", "mostpopular.v1"),
    ]  # fmt: skip
    # A fresh registry object over the same folder sees the same state (it is on disk).
    assert ModelRegistry(tmp_path).promoted_ref() == "mostpopular.v1/r1"


def test_promoting_what_is_not_registered_is_refused(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    _register(registry, "ials.v1", "r1")
    with pytest.raises(RegistryError, match="no ials.v1 run r9"):
        registry.promote("ials.v1", "r9")
    with pytest.raises(RegistryError, match="no model 'ease.v1'"):
        registry.promote("ease.v1")
    assert registry.promoted() is None


def test_a_missing_or_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    _register(registry, "ials.v1", "r1")
    _register(registry, "ease.v1", "r1")
    (tmp_path / "ials.v1" / "r1" / "manifest.json").unlink()
    with pytest.raises(ManifestError, match="manifest.json is missing"):
        registry.get("ials.v1", "r1")
    with pytest.raises(ManifestError):
        registry.promote("ials.v1", "r1")
    with pytest.raises(ManifestError):
        registry.models()  # a broken entry is reported, not skipped silently

    (tmp_path / "ease.v1" / "r1" / "manifest.json").write_text('{"name": "ease.v1", "run":')
    with pytest.raises(ManifestError, match="is corrupt"):
        registry.get("ease.v1", "r1")


def test_a_tampered_artifact_fails_its_digest(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    manifest = _register(registry, "ials.v1", "r1")
    registry.promote("ials.v1", "r1")
    (tmp_path / "ials.v1" / "r1" / "artifact" / "weights.bin").write_text("changed")
    with pytest.raises(ManifestError, match="does not match the digest"):
        registry.artifact(manifest)
    with pytest.raises(ManifestError):
        registry.promote("ials.v1", "r1")


def test_a_corrupt_promotion_log_is_a_clear_error(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    _register(registry, "ials.v1", "r1")
    registry.promote("ials.v1")
    with (tmp_path / "promotions.jsonl").open("a") as log:
        log.write("{not json\n")
    with pytest.raises(ManifestError, match=r"promotions.jsonl:2 is corrupt"):
        registry.promoted()


def test_prune_keeps_the_newest_runs_and_whatever_rollback_can_reach(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    for run in ("r1", "r2", "r3", "r4"):
        _register(registry, "ials.v1", run)
    registry.promote("ials.v1", "r1")
    registry.promote("ials.v1", "r4")
    deleted = registry.prune(keep=2)
    assert [m.run for m in deleted] == ["r2"]
    assert [m.run for m in registry.models("ials.v1")] == ["r1", "r3", "r4"]
    assert registry.rollback().run == "r1"


def test_run_ids_sort_in_time_order() -> None:
    from datetime import UTC, datetime

    early = new_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = new_run_id(datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert early.startswith("20260102T030405Z-") and early < late
