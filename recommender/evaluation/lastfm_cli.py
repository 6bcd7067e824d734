"""``philomath evaluate --dataset lastfm-2k``: the Last.fm protocol from the command line.

``main(argv)`` parses its own arguments so the project CLI can delegate to it unchanged::

    main(["--data-dir", DIR, "--seed", "0", "--json"])

Importing this module loads no numerical library (the online path's CLI may import it);
``main`` loads the protocol when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from recommender.errors import DataError

if TYPE_CHECKING:
    from recommender.evaluation.lastfm_protocol import LastfmRun

_COLUMNS = ("precision", "recall", "ndcg", "map")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the protocol and print a table (or JSON); 0 on success, 2 on bad input."""
    from recommender.evaluation.lastfm_protocol import DEFAULT_MODELS, MODELS, evaluate_lastfm

    parser = argparse.ArgumentParser(prog="philomath evaluate", description=__doc__)
    parser.add_argument("--dataset", default="lastfm-2k", choices=["lastfm-2k"])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated, from: {', '.join(MODELS)}",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    labels = [label.strip() for label in args.models.split(",") if label.strip()]
    try:
        run = evaluate_lastfm(args.data_dir, args.seed, labels, k=args.k)
    except (DataError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(run.as_dict(), indent=2) if args.json else format_table(run))
    return 0


def format_table(run: LastfmRun) -> str:
    """A plain-text table: one model per line, metrics at k, coverage, novelty, fit time."""
    k = run.k
    header = (
        f"{'model':<14}{'version':<16}"
        + "".join(f"{name[:4].upper() + '@' + str(k):>10}" for name in _COLUMNS)
        + f"{'coverage':>10}{'novelty':>9}{'pop.bias':>9}{'fit s':>9}"
    )
    lines = [
        f"Last.fm 2k, seed {run.seed}: {run.users} users, {run.artists} artists, "
        f"{run.train_interactions} train / {run.test_interactions} test interactions",
        header,
    ]
    for result in run.results:
        m = result.metrics
        lines.append(
            f"{result.label:<14}{result.version:<16}"
            + "".join(f"{m[f'{name}@{k}']:>10.4f}" for name in _COLUMNS)
            + f"{m['coverage']:>10.4f}{m['novelty']:>9.2f}{m['popularity_bias']:>9.3f}"
            + f"{result.fit_seconds:>9.2f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
