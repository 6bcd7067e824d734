"""How the joint model is fine-tuned (no numerical import here: the CLI reads the defaults)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to fine-tune; the defaults are the ones ``philomath nlu train`` uses."""

    epochs: int = 5
    # MiniLM's first ``layers`` of its 6 transformer layers: each one costs about a sixth of
    # a served parse's forward pass (bench/nlu_latency.py).
    layers: int = 6
    batch_size: int = 32
    learning_rate: float = 8e-5
    warmup_share: float = 0.1
    dropout: float = 0.1
    seed: int = 0
    threads: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


DEFAULT_CONFIG = TrainConfig()
