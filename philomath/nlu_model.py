"""The trained NLU model's life: ``philomath nlu train`` registers and promotes it in its own
model registry (``<work>/nlu-models``, the same registry code as the recommendation models, so
``list``, promote and rollback work alike), and serving loads the promoted one.

Training reads the vendored real corpora plus the generated utterances (``nlu.training``); the
data fingerprint is a digest of the corpora files and of the generator's source, so a manifest
says exactly what the model learned from.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from nlu.training import corpora, synthetic
from nlu.training.config import DEFAULT_CONFIG, TrainConfig
from nlu.training.joint import Progress
from philomath.settings import Settings
from recommender.models.registry import DataFingerprint, Manifest, ModelRegistry, new_run_id

logger = logging.getLogger(__name__)

NLU_MODEL = "nlu-joint.v1"


def nlu_registry(settings: Settings) -> ModelRegistry:
    return ModelRegistry(settings.work_dir / "nlu-models")


def train_nlu_model(
    settings: Settings, config: TrainConfig = DEFAULT_CONFIG, *, progress: Progress | None = None
) -> Manifest:
    """Train on every real utterance and the generated ones, register, promote."""
    from nlu.training.crossval import training_set
    from nlu.training.joint import export, train

    real = corpora.real_corpora()
    examples = training_set(real, seed=config.seed)
    model = train(examples, config, progress=progress)
    registry = nlu_registry(settings)
    run = new_run_id()
    counts = {"real": len(real), "generated": len(examples) - len(real)}

    def write(folder: Path) -> None:
        export(model, folder, config=config, extra={"utterances": counts})

    manifest = registry.register(
        NLU_MODEL,
        run,
        write,
        data=DataFingerprint(digest=training_data_digest(), rows=counts),
        params=config.as_dict(),
        fitted_on="nlu/training/corpora (Snips PlayMusic and AddToPlaylist, SLURP devel) "
        "and nlu/training/synthetic.py",
    )
    registry.promote(NLU_MODEL, run, reason="philomath nlu train")
    return manifest


def ensure_nlu_model(
    settings: Settings, config: TrainConfig = DEFAULT_CONFIG, *, progress: bool = False
) -> Manifest | None:
    """Train and promote the NLU model unless the promoted one learned from the current
    corpora and generator with ``config``'s encoder depth; the promoted (or new) manifest,
    None without the nlp extra."""
    try:
        import torch  # noqa: F401  (training needs it; serving does not)
    except ImportError:
        logger.warning("NLU model not trained (install the nlp extra): parsing without it")
        return None
    registry = nlu_registry(settings)
    promoted = registry.promoted() if registry.root.exists() else None
    if (
        promoted is not None
        and promoted.data.digest == training_data_digest()
        # Models from before the depth setting kept all 6 layers.
        and promoted.params.get("layers", 6) == config.layers
    ):
        return promoted
    logger.info("training the NLU model once for these corpora (minutes on a CPU)")
    from philomath.cli.progress import step_bar

    with step_bar("train the NLU model") as bar:
        return train_nlu_model(settings, config, progress=bar if progress else None)


def promoted_nlu_model(settings: Settings) -> Path | None:
    """The promoted NLU model's artifact folder, checked against its manifest; None when
    none was trained (serving then parses with the rules, gazetteer and embeddings)."""
    registry = nlu_registry(settings)
    if not registry.root.exists():
        return None
    try:
        manifest = registry.promoted()
        return registry.artifact(manifest) if manifest is not None else None
    except Exception as exc:  # a broken registry must not stop serving: rules still work
        logger.warning("the trained NLU model cannot be loaded (%s); rules only", exc)
        return None


def training_data_digest() -> str:
    """sha256 over the corpora files and the template generator's source."""
    files: Iterable[Path] = (
        *sorted(corpora.CORPORA_DIR.iterdir()),
        Path(synthetic.__file__),
        Path(corpora.__file__),
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
