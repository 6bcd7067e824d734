"""Progress bars for long NLU jobs, on stderr and only at a terminal (tqdm's own check)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

Progress = Callable[[int, int, float], None]  # (step, steps, loss), as nlu.training.joint calls it


def _advancer(bar: tqdm) -> Progress:
    """The training callback that moves ``bar`` and shows the running loss."""

    def advance(step: int, steps: int, loss: float) -> None:
        bar.total = steps
        bar.update(step - bar.n)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

    return advance


@contextmanager
def step_bar(description: str) -> Iterator[Progress]:
    """A bar over training steps with the running loss."""
    with tqdm(desc=description, unit="step", file=sys.stderr, disable=None) as bar:
        yield _advancer(bar)


@contextmanager
def fold_bars() -> Iterator[Callable[[int, int], Progress]]:
    """One bar per cross-validation fold."""
    bars: list[tqdm] = []

    def on_fold(fold: int, folds: int) -> Progress:
        if bars:
            bars.pop().close()
        bar = tqdm(desc=f"fold {fold + 1}/{folds}", unit="step", file=sys.stderr, disable=None)
        bars.append(bar)
        return _advancer(bar)

    try:
        yield on_fold
    finally:
        for bar in bars:
            bar.close()
