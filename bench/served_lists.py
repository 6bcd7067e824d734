"""How personal the served lists are, after a ``philomath pipeline run``.

    .venv/bin/python bench/served_lists.py --data-dir DIR [--listeners 200] [--seed 0]

Reads the current snapshot of the recommendation store under ``--data-dir`` (the pipeline's
``PHILOMATH_DATA_DIR``) for a seeded sample of listeners and compares the top 10 of their
``all`` lists with the overall chart's top 10 and with each other. Personalized answers show
as distinct lists sharing little with the chart or with one another; a run that served the
chart to everyone would print 100% chart share and overlap.
"""

from __future__ import annotations

import argparse
from itertools import combinations
from pathlib import Path

import numpy as np

from philomath.adapters import build_store
from philomath.settings import Settings
from recommender.data.interactions import Interactions
from recommender.storage.recommendations import POPULAR_USER

TOP = 10


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    store = build_store(settings)
    listeners = Interactions.from_unified(settings.work_dir / "unified").user_ids
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(listeners, size=min(args.listeners, len(listeners)), replace=False)
    chart_list = store.get_list(POPULAR_USER, "all")
    chart = set(chart_list.track_ids[:TOP]) if chart_list else set()
    served = [store.get_list(str(listener), "all") for listener in sample]
    tops = [set(found.track_ids[:TOP]) for found in served if found is not None]
    if not tops:
        raise SystemExit(f"no listener of the sample has a list in {args.data_dir}")
    versions = sorted({found.model_version for found in served if found is not None})
    distinct = len({frozenset(top) for top in tops}) / len(tops)
    chart_share = np.mean([len(top & chart) / TOP for top in tops])
    overlap = np.mean([len(a & b) / TOP for a, b in combinations(tops, 2)])
    print(
        f"model {', '.join(versions)}; {len(tops)} of {len(sample)} sampled listeners have a list"
    )
    print(f"distinct top-{TOP} lists: {distinct:.2%}")
    print(f"mean share of the chart's top {TOP} in a listener's top {TOP}: {chart_share:.2%}")
    print(f"mean top-{TOP} overlap between two listeners: {overlap:.2%}")


if __name__ == "__main__":
    main()
