"""A/A false-positive rate and A/B power of the experiment analysis under peeking.

Each simulated experiment has 2,000 listeners per arm arriving in 10 batches of 200, with a
look after every batch (completion rate per play, listeners with correlated plays). Reported:
the share of A/A experiments the always-valid mSPRT declares significant at alpha 0.05, the
same for a naive fixed-horizon z-test looked at after every batch, and the mSPRT's power for
completion lifts of 2, 3 and 5 points over 0.50.

    PYTHONPATH=. python bench/experiment_stats.py [--seeds 1000]
"""

from __future__ import annotations

import argparse

from tests.unit.experiments.test_statistics import _peeked_experiment


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=1000)
    seeds = parser.parse_args().seeds
    aa = [_peeked_experiment(seed, 0.5, 0.5) for seed in range(seeds)]
    print(f"A/A, {seeds} experiments, 10 looks each, alpha 0.05:")
    print(f"  mSPRT (always valid) false-positive rate {sum(s for s, _ in aa) / seeds:.3f}")
    print(f"  naive z-test at every look               {sum(n for _, n in aa) / seeds:.3f}")
    for treatment in (0.52, 0.53, 0.55):
        runs = max(seeds // 5, 1)
        power = sum(_peeked_experiment(seed, 0.5, treatment)[0] for seed in range(runs)) / runs
        print(f"A/B 0.50 vs {treatment:.2f}, {runs} experiments: power {power:.3f}")


if __name__ == "__main__":
    main()
