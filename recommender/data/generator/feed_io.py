"""Byte-stable writing helpers shared by the generated feeds."""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]

GZIP_LEVEL = 1  # ~3x faster than the default for ~15% bigger files: speed wins at 100M rows


def format_ids(prefix: str, numbers: IntArray, width: int) -> StrArray:
    """``prefix`` + zero-padded numbers: lexicographic order equals numeric order."""
    return np.char.add(prefix, np.char.zfill(np.asarray(numbers).astype(np.str_), width))


def pick_words(rng: np.random.Generator, n: int, *lists: Sequence[str]) -> StrArray:
    """Space-joined words, one drawn from each list; repeats get " 2", " 3"... appended."""
    text: StrArray = np.full(n, "", dtype="<U1")
    for k, words in enumerate(lists):
        drawn = np.array(words)[rng.integers(0, len(words), n)]
        text = drawn if k == 0 else np.char.add(np.char.add(text, " "), drawn)
    return _uniquify(text)


def _uniquify(names: StrArray) -> StrArray:
    order = np.argsort(names, kind="stable")
    ranked = names[order]
    occurrence = np.arange(len(ranked)) - np.searchsorted(ranked, ranked, side="left")
    suffix = np.where(occurrence > 0, np.char.add(" ", (occurrence + 1).astype(np.str_)), "")
    result = np.empty_like(names, dtype=object)
    result[order] = np.char.add(ranked, suffix)
    return result.astype(np.str_)


def csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain CSV, or gzip when the name ends in .gz (mtime 0 and no name: same bytes always)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = csv_bytes(table)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    path.write_bytes(data)
