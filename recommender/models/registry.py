"""The model registry: versioned artifacts with their manifest, promotion and rollback.

Layout under the models folder (``<work>/models``)::

    <name>/<run>/manifest.json     parameters, metrics, data fingerprint, code version, time
    <name>/<run>/artifact/         whatever the model's ``save`` wrote
    promotions.jsonl               every promote and rollback, one JSON line each, in order

``name`` is the model's versioned name (``ials.v1``; the model zoo, ``zoo.py``, maps it to its
class), ``run`` the training run that produced it (sortable by time). A run's folder is
written under a temporary name and renamed into place once its manifest is complete, so a
crash never leaves a half-registered model.

Promotion is a stack replayed from ``promotions.jsonl``: ``promote`` pushes, ``rollback`` pops
back to the model promoted before the current one. The log is append-only, so it is also the
promotion history. Batch inference serves the promoted model
(``recommender.batch.promoted_model``).

Errors::

    RecommenderError
    └── RegistryError            nothing to roll back to, promoting what is not registered
        └── ManifestError        a manifest is missing, unreadable or does not match its files

This module imports no numerical library: ``philomath models list`` runs on a serving image.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recommender.data.digests import tree_digest
from recommender.errors import RecommenderError

MANIFEST = "manifest.json"
ARTIFACT = "artifact"
PROMOTIONS = "promotions.jsonl"


class RegistryError(RecommenderError):
    """The registry cannot do what was asked (unknown model, nothing to roll back to)."""


class ManifestError(RegistryError):
    """A registered model's manifest is missing, unreadable, or does not match its files."""


class DataFingerprint(BaseModel):
    """Which data a model learned from: a digest of the unified tables and their sizes."""

    model_config = ConfigDict(frozen=True)

    digest: str  # sha256 over the unified tables' files (paths and bytes)
    rows: dict[str, int] = Field(default_factory=dict)  # e.g. users, tracks, interactions
    vocabulary: str = ""  # sha256 of the user and track id vocabularies, in index order


class Manifest(BaseModel):
    """What a registered model is and how it was made (``manifest.json``)."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    name: str  # the model's versioned name, e.g. "ials.v1"
    run: str
    label: str = ""  # the training candidate it came from, e.g. "ease-pruned"
    params: dict[str, Any] = Field(default_factory=dict)
    # None where a figure could not be measured (NaN: e.g. a segment without listeners)
    metrics: dict[str, float | None] = Field(default_factory=dict)
    segments: dict[str, dict[str, float | None]] = Field(default_factory=dict)
    data: DataFingerprint
    fitted_on: str = ""  # which part of that data the artifact was fitted on
    code_version: str
    created_at: datetime
    artifact_sha256: str
    notes: str = ""


class Promotion(BaseModel):
    """One line of ``promotions.jsonl``."""

    model_config = ConfigDict(frozen=True)

    action: Literal["promote", "rollback"]
    name: str
    run: str
    at: datetime
    reason: str = ""


class ModelRegistry:
    """The registry in one folder; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- registering and reading ------------------------------------------------------------

    def register(
        self,
        name: str,
        run: str,
        write_artifact: Callable[[Path], None],
        *,
        data: DataFingerprint,
        label: str = "",
        params: dict[str, Any] | None = None,
        metrics: Mapping[str, float] | None = None,
        segments: Mapping[str, Mapping[str, float]] | None = None,
        fitted_on: str = "",
        notes: str = "",
        code: str | None = None,
    ) -> Manifest:
        """Write the artifact (``write_artifact(folder)``) and its manifest as ``name/run``.

        ``params`` default to those the artifact's ``meta.json`` records (every model's
        ``save`` writes one)."""
        _check_part("name", name)
        _check_part("run", run)
        final = self.root / name / run
        if final.exists():
            raise RegistryError(f"{name} run {run} is already registered at {final}")
        staging = self.root / name / f".{run}.{token_hex(4)}.tmp"
        staging.mkdir(parents=True)
        try:
            write_artifact(staging / ARTIFACT)
            if not (staging / ARTIFACT).is_dir():
                raise RegistryError(f"{name}: write_artifact wrote nothing into {ARTIFACT}/")
            manifest = Manifest(
                name=name,
                run=run,
                label=label,
                params=_artifact_params(staging / ARTIFACT) if params is None else params,
                metrics=_measured(metrics or {}),
                segments={name: _measured(values) for name, values in (segments or {}).items()},
                data=data,
                fitted_on=fitted_on,
                code_version=code or code_version(),
                created_at=datetime.now(UTC),
                artifact_sha256=tree_digest(staging / ARTIFACT),
                notes=notes,
            )
            (staging / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n")
            staging.rename(final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return manifest

    def get(self, name: str, run: str) -> Manifest:
        """The manifest of ``name/run``; ``ManifestError`` if it is missing or corrupt."""
        folder = self.root / name / run
        if not folder.is_dir():
            raise RegistryError(f"no {name} run {run} in {self.root}")
        path = folder / MANIFEST
        try:
            manifest = Manifest.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise ManifestError(f"{path} is missing: {name} run {run} is not usable") from None
        except (OSError, ValidationError) as exc:
            raise ManifestError(f"{path} is corrupt: {_first_line(exc)}") from exc
        if (manifest.name, manifest.run) != (name, run):
            raise ManifestError(f"{path} describes {manifest.name}/{manifest.run}, not its folder")
        return manifest

    def models(self, name: str | None = None) -> list[Manifest]:
        """Every registered model (of ``name``), oldest first; a broken one raises."""
        names = [name] if name else sorted(p.name for p in self._folders(self.root))
        found = [
            self.get(model, run.name) for model in names for run in self._folders(self.root / model)
        ]
        return sorted(found, key=lambda m: (m.created_at, m.name, m.run))

    def latest(self, name: str) -> Manifest:
        runs = self.models(name)
        if not runs:
            raise RegistryError(f"no model {name!r} is registered in {self.root}")
        return runs[-1]

    def artifact(self, manifest: Manifest, *, verify: bool = True) -> Path:
        """The artifact folder of ``manifest``, checked against its recorded digest."""
        path = self.root / manifest.name / manifest.run / ARTIFACT
        if not path.is_dir():
            raise ManifestError(f"{path} is missing")
        if verify and tree_digest(path) != manifest.artifact_sha256:
            raise ManifestError(f"{path} does not match the digest in its manifest")
        return path

    def prune(self, keep: int) -> list[Manifest]:
        """Delete all but the newest ``keep`` runs of each model, sparing every run the
        promotion stack holds (so rollback still finds them); returns what was deleted."""
        if keep < 1:
            raise ValueError("keep at least one run per model")
        spared = set(_replay(self._read_log()))
        deleted = []
        for name in (p.name for p in self._folders(self.root)):
            runs = self.models(name)
            for manifest in runs[:-keep]:
                if (manifest.name, manifest.run) not in spared:
                    shutil.rmtree(self.root / manifest.name / manifest.run)
                    deleted.append(manifest)
        return deleted

    # -- promotion ---------------------------------------------------------------------------

    def promote(self, name: str, run: str | None = None, *, reason: str = "") -> Manifest:
        """Make ``name/run`` (default: its latest run) the promoted model."""
        manifest = self.get(name, run) if run else self.latest(name)
        self.artifact(manifest)  # never promote what could not be loaded
        with self._locked_log() as log:
            self._append(log, Promotion(
                action="promote", name=name, run=manifest.run, at=datetime.now(UTC), reason=reason
            ))  # fmt: skip
        return manifest

    def rollback(self, *, reason: str = "") -> Manifest:
        """Back to the model promoted before the current one."""
        with self._locked_log() as log:
            stack = _replay(self._read_log())
            if len(stack) < 2:
                raise RegistryError("nothing to roll back to: fewer than two promotions")
            name, run = stack[-2]
            manifest = self.get(name, run)
            self.artifact(manifest)
            self._append(log, Promotion(
                action="rollback", name=name, run=run, at=datetime.now(UTC), reason=reason
            ))  # fmt: skip
        return manifest

    def promoted(self) -> Manifest | None:
        """The promoted model's manifest, or None when nothing was ever promoted."""
        stack = _replay(self._read_log())
        return self.get(*stack[-1]) if stack else None

    def promoted_ref(self) -> str | None:
        """``name/run`` of the promoted model, without reading its manifest (cheap to poll)."""
        stack = _replay(self._read_log())
        return "/".join(stack[-1]) if stack else None

    def history(self) -> list[Promotion]:
        return self._read_log()

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _folders(path: Path) -> list[Path]:
        if not path.is_dir():
            return []
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))

    def _read_log(self) -> list[Promotion]:
        path = self.root / PROMOTIONS
        if not path.is_file():
            return []
        entries = []
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entries.append(Promotion.model_validate_json(line))
            except ValidationError as exc:
                raise ManifestError(f"{path}:{number} is corrupt: {_first_line(exc)}") from exc
        return entries

    @contextmanager
    def _locked_log(self) -> Iterator[int]:
        """The promotion log opened for appending, locked against other promoters."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / PROMOTIONS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    @staticmethod
    def _append(fd: int, entry: Promotion) -> None:
        os.write(fd, (entry.model_dump_json() + "\n").encode())
        os.fsync(fd)


def _replay(entries: Iterable[Promotion]) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for entry in entries:
        if entry.action == "promote":
            stack.append((entry.name, entry.run))
        elif len(stack) >= 2:
            stack.pop()
    return stack


def new_run_id(now: datetime | None = None) -> str:
    """A training run's id: UTC time (sorts in time order) and a random suffix."""
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{token_hex(2)}"


def vocabulary_digest(user_ids: Iterable[str], track_ids: Iterable[str]) -> str:
    """sha256 of both id vocabularies in index order: a model's indices mean these ids."""
    digest = hashlib.sha256()
    for ids in (user_ids, track_ids):
        for value in ids:
            digest.update(str(value).encode() + b"\n")
        digest.update(b"\0")
    return digest.hexdigest()


def code_version() -> str:
    """The git commit of this checkout (``+dirty`` with uncommitted changes), else the
    installed package's version."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        )
        if commit.returncode == 0:
            status = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=root, capture_output=True, text=True, timeout=10,
            )  # fmt: skip
            dirty = "+dirty" if status.returncode == 0 and status.stdout.strip() else ""
            return f"git:{commit.stdout.strip()}{dirty}"
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"philomath=={version('philomath')}"
    except PackageNotFoundError:
        return "unknown"


def _measured(values: Mapping[str, float]) -> dict[str, float | None]:
    """Figures with NaN (not measurable) as None: JSON has no NaN."""
    return {key: None if math.isnan(float(v)) else float(v) for key, v in values.items()}


def _artifact_params(artifact: Path) -> dict[str, Any]:
    try:
        meta = json.loads((artifact / "meta.json").read_text())
    except (OSError, ValueError):
        return {}
    params = meta.get("params") if isinstance(meta, dict) else None
    return params if isinstance(params, dict) else {}


def _check_part(kind: str, value: str) -> None:
    unsafe = value.startswith(".") or "/" in value or "\\" in value
    if not value or unsafe or value != value.strip():
        raise RegistryError(f"invalid model {kind} {value!r}")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
