"""Importing spaCy without torch.

spaCy's thinc imports torch whenever it is installed (seconds and hundreds of megabytes), yet
the gazetteer only needs the tokenizer-free PhraseMatcher. ``spacy_without_torch`` hides torch
while spaCy is first imported, so the rule path stays light. Serving never needs torch: the
embedding path runs an ONNX graph, and only its one-time export imports torch.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType


class _HideTorch(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "torch" or fullname.startswith("torch."):
            raise ModuleNotFoundError(f"{fullname} hidden while spaCy loads", name=fullname)
        return None


@contextmanager
def spacy_without_torch() -> Iterator[None]:
    """Within the block, ``import torch`` fails unless torch is already loaded."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    finder = _HideTorch()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
