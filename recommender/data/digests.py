"""Digests that say whether data changed: of one file, of a folder tree, of a step's inputs.

The pipeline keys its steps on them (``pipeline_state``) and the registry records them for
every model (``registry``); one implementation serves both, so a digest means the same
thing wherever it is compared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path

_CHUNK = 1 << 20


def fingerprint(*parts: object) -> str:
    """sha256 of ``parts`` as JSON (paths and other objects by their ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of one file's bytes; ``""`` when it does not exist."""
    if not path.is_file():
        return ""
    digest = hashlib.sha256()
    _add_file(digest, path)
    return digest.hexdigest()


def tree_digest(folder: Path, *, skip: Collection[str] = ()) -> str:
    """sha256 over every file under ``folder``: relative paths and contents, in path order;
    top-level entries named in ``skip`` are left out."""
    digest = hashlib.sha256()
    files = (p for p in folder.rglob("*") if p.is_file())
    for path in sorted(p for p in files if p.relative_to(folder).parts[0] not in skip):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        _add_file(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def _add_file(digest: hashlib._Hash, path: Path) -> None:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
