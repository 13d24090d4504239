"""Test doubles shared by the matching and grouped-bid tests (a seam, not a model)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from veilleuse.core.normalise import fold


class HashEmbedder:
    """Bag of folded words hashed into 64 dims, L2-normalised: deterministic and offline."""

    name = "hash-64"
    dimension = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z]{4,}", fold(text)):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
