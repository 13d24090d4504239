"""How a search ranks. Alone in its module so that the command line's options can name it
without loading the domain model (`veilleuse --help` stays instant)."""

from __future__ import annotations

from enum import StrEnum


class SearchMode(StrEnum):
    """Words only, meaning only (embeddings), or both fused."""

    TEXT = "text"
    VECTOR = "vector"
    HYBRID = "hybrid"
