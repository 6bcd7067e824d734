"""iALS top-100 on a million-track catalog: exact, the popular head, ANN, ANN with the head.

    .venv/bin/python bench/ann_retrieval.py [--shape clustered|ials] [--items 1000000]
        [--factors 64] [--users 5000] [--candidates 256] [--ef 256]

Two factor shapes, both synthetic (no million-track play log is at hand):

- ``clustered``: tracks around 512 taste centroids (low rank plus noise), factor norms
  falling with a Zipf popularity (the lower ids the more popular), listeners near a centroid;
- ``ials``: an iALS model fitted (64 factors, 8 iterations) on 50,000 tracks' synthetic plays
  (50 genres, Zipf popularity), its item factors tiled with 5% noise up to ``--items``.

Each listener played 50 tracks drawn by popularity, which their list leaves out. Each method
runs in a process of its own (its peak memory is its own):

- exact (baseline): numpy, float32, listeners in chunks of 64 against every track,
  ``argpartition`` for the top 100;
- head: the same over the 50,000 most popular tracks only (the large-catalog path before ANN);
- ANN: ``IALSModel.recommend`` as batch inference calls it above ``PHILOMATH_ANN_MIN_ITEMS``
  (``models.ann``): HNSW candidates, scored exactly in float64;
- union: the same with the 50,000 most popular tracks as the model's ``head``, as batch
  inference gives it: the best of ANN's candidates and the head, both scored exactly.

Prints index build time, batch time per listener (and its ratio to exact), single-listener
latency p50/p99, peak resident memory, and recall@100 against exact.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from recommender.models.ann import Retrieval
from recommender.models.ials import IALSModel

N = 100
CHUNK = 64
PLAYED = 50
LATENCY_USERS = 300
SOURCE_ITEMS = 50_000
HEAD = 50_000
FloatArray = npt.NDArray[np.float64]


def catalog(shape: str, items: int, factors: int, users: int) -> tuple[IALSModel, FloatArray]:
    """An iALS model of ``shape`` over ``items`` tracks, and each track's popularity."""
    rng = np.random.default_rng(0)
    if shape == "clustered":
        centroids = rng.normal(size=(512, factors)).astype(np.float32)
        popularity = 1.0 / np.arange(1, items + 1) ** 0.8  # the lower ids the more popular
        item_factors = centroids[rng.integers(0, 512, items)]
        item_factors += 0.7 * rng.normal(size=(items, factors)).astype(np.float32)
        item_factors *= ((0.2 + popularity**0.25) * 0.1)[:, None].astype(np.float32)
        user_centroids = centroids[rng.integers(0, 512, users)]
        user_factors = user_centroids + 0.7 * rng.normal(size=(users, factors))
    else:  # fitted on synthetic plays, its tracks tiled with 5% noise up to ``items``
        fitted = IALSModel(factors=factors, iterations=8, seed=0).fit(genre_plays(users, rng))
        copies = -(-items // SOURCE_ITEMS)
        tiled = np.tile(fitted.item_factors, (copies, 1))[:items]
        noise = rng.normal(size=tiled.shape).astype(np.float32)
        item_factors = tiled * (1 + 0.05 * noise)
        user_factors = fitted.user_factors.astype(np.float64)
        counts = np.bincount(genre_plays(users, rng).indices, minlength=SOURCE_ITEMS)
        popularity = (
            np.tile(counts + 1.0, copies)[:items]
            / np.repeat(np.arange(1, copies + 1), SOURCE_ITEMS)[:items]
        )
    model = IALSModel(factors=factors)
    model.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
    model.user_factors = np.ascontiguousarray(user_factors, dtype=np.float32)
    model.n_items = items
    return model, np.asarray(popularity, dtype=np.float64)


def genre_plays(users: int, rng: np.random.Generator) -> sp.csr_matrix:
    """Listeners of one of 50 genres each: half their plays in it, half anywhere, by a
    Zipf popularity over ``SOURCE_ITEMS`` tracks."""
    popularity = 1.0 / np.arange(1, SOURCE_ITEMS + 1) ** 0.9
    genre = np.random.default_rng(3).integers(0, 50, SOURCE_ITEMS)
    mine = rng.integers(0, 50, users)
    rows, cols = [], []
    for user in range(users):
        inside = np.flatnonzero(genre == mine[user])
        k = int(rng.integers(5, 80)) // 2 + 1
        weights = popularity[inside] / popularity[inside].sum()
        cols += [
            rng.choice(inside, k, p=weights),
            rng.choice(SOURCE_ITEMS, k, p=popularity / popularity.sum()),
        ]
        rows.append(np.full(2 * k, user))
    values = np.ones(sum(len(r) for r in rows))
    matrix = sp.csr_matrix(
        (values, (np.concatenate(rows), np.concatenate(cols))), (users, SOURCE_ITEMS)
    )
    matrix.sum_duplicates()
    return matrix


def played(popularity: FloatArray, users: int, seed: int = 1) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    cols = rng.choice(len(popularity), size=users * PLAYED, p=popularity / popularity.sum())
    rows = np.repeat(np.arange(users), PLAYED)
    shape = (users, len(popularity))
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def exact_top(
    model: IALSModel, liked: sp.csr_matrix, users: np.ndarray, columns: np.ndarray
) -> np.ndarray:
    """Top ``N`` among ``columns`` (ascending track ids), played tracks left out."""
    out = np.empty((len(users), N), dtype=np.int64)
    items = model.item_factors[columns].T
    position = np.full(liked.shape[1], -1)
    position[columns] = np.arange(len(columns))
    for start in range(0, len(users), CHUNK):
        chunk = users[start : start + CHUNK]
        scores = model.user_factors[chunk] @ items
        block = liked[chunk]
        at = position[block.indices]
        rows = np.repeat(np.arange(len(chunk)), np.diff(block.indptr))
        scores[rows[at >= 0], at[at >= 0]] = -np.inf
        top = np.argpartition(-scores, N, axis=1)[:, :N]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[start : start + len(chunk)] = columns[np.take_along_axis(top, order, axis=1)]
    return out


def run(method: str, args: argparse.Namespace) -> dict[str, Any]:
    model, popularity = catalog(args.shape, args.items, args.factors, args.users)
    liked = played(popularity, args.users)
    users = np.arange(args.users)
    sample = users[:: max(1, args.users // LATENCY_USERS)][:LATENCY_USERS]
    build = 0.0
    head = np.sort(np.argsort(-popularity, kind="stable")[:HEAD])
    if method not in ("ann", "union"):
        columns = np.arange(args.items)
        if method == "head":  # the large-catalog path without ANN: popular tracks only
            columns = head

        def top(chosen: np.ndarray) -> np.ndarray:
            return exact_top(model, liked, chosen, columns)
    else:
        model.retrieval = Retrieval(min_items=1, candidates=args.candidates, ef_search=args.ef)
        model.head = head if method == "union" else None
        started = time.perf_counter()
        model.recommend(users[:1], liked[:1], n=N)  # builds the index
        build = time.perf_counter() - started

        def top(chosen: np.ndarray) -> np.ndarray:
            ids, _ = model.recommend(chosen, liked[chosen], n=N)
            return ids

    started = time.perf_counter()
    ids = top(users)
    batch = time.perf_counter() - started
    latencies = []
    for user in sample:
        started = time.perf_counter()
        top(np.asarray([user]))
        latencies.append(time.perf_counter() - started)
    return {
        "method": method,
        "build_s": build,
        "batch_ms_per_user": 1000 * batch / len(users),
        "p50_ms": 1000 * float(np.percentile(latencies, 50)),
        "p99_ms": 1000 * float(np.percentile(latencies, 99)),
        "peak_rss_mb": peak_rss_mb(),
        "ids": ids,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--shape", choices=("clustered", "ials"), default="clustered")
    parser.add_argument("--candidates", type=int, default=Retrieval().candidates)
    parser.add_argument("--ef", type=int, default=Retrieval().ef_search)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores")
    print(
        f"{args.items:,} tracks x {args.factors} factors ({args.shape}), {args.users:,} "
        f"listeners, top {N}; ANN: {args.candidates} candidates, ef_search {args.ef}"
    )
    results = {}
    for method in ("exact", "head", "ann", "union"):
        with mp.get_context("spawn").Pool(1) as pool:  # a process each: its own peak memory
            results[method] = pool.apply(run, (method, args))
    exact = results["exact"]["ids"]
    print(
        f"| method | build s | batch ms/listener | x exact | p50 ms | p99 ms | peak RSS MB "
        f"| recall@{N} |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        hits = sum(len(np.intersect1d(e, a)) for e, a in zip(exact, r["ids"], strict=True))
        speedup = results["exact"]["batch_ms_per_user"] / r["batch_ms_per_user"]
        print(
            f"| {name} | {r['build_s']:.1f} | {r['batch_ms_per_user']:.2f} | {speedup:.1f} | "
            f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['peak_rss_mb']:.0f} | "
            f"{hits / exact.size:.3f} |"
        )


if __name__ == "__main__":
    main()
