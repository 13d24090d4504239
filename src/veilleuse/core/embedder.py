"""The embedder seam: texts → L2-normalised float32 vectors. Real models live in embeddings.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Anything that turns texts into unit vectors of a fixed dimension."""

    name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An array of shape (len(texts), dimension), rows L2-normalised, dtype float32."""
        ...
