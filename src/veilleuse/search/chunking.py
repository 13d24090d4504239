"""A notice's vector from its chunks, so that long multi-lot notices are not cut at 256 tokens.

The model reads at most 256 tokens (~120 French words); a notice's text used to be its title
and the start of its description, so the lots of a long tender were never read. Now:

- the **head** chunk is the title and the start of the description (`text_for_embedding`,
  700 characters), exactly the text embedded before: a notice without lots keeps its vector;
- a notice with two or more lots adds one chunk per lot (its title and description, prefixed by
  the notice title when its own words are few), at most `MAX_LOTS`, each cut at 700 characters;
- the vector is the L2-normalised weighted mean `HEAD_WEIGHT · head + (1 - HEAD_WEIGHT) ·
  mean(lots)`: the head says what the notice is about and counts most, the lots together add
  what only they say, and many lots never drown the head.

Every chunk goes through the embedder (and its cache) in one call per batch of notices, so a
lot shared by two notices or an unchanged notice is never embedded twice. Profiles (actors) are
short and stay one text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Lot, Notice

HEAD_WEIGHT = 0.6
MAX_LOTS = 16
MAX_CHARS = 700


def lot_chunk(lot: Lot, notice: Notice) -> str:
    """A lot's own words, with the notice title when they are few."""
    own = " — ".join(p for p in (lot.title, lot.description) if p)
    if len(own) < 60:
        own = " — ".join(p for p in (notice.title, own) if p)
    return own.strip()[:MAX_CHARS]


def notice_chunks(notice: Notice) -> list[str]:
    """The head chunk, then one per lot when the notice has two or more (distinct texts only)."""
    head = notice.text_for_embedding(MAX_CHARS)
    chunks = [head]
    if len(notice.lots) >= 2:
        for lot in notice.lots:
            text = lot_chunk(lot, notice)
            if text and text not in chunks:
                chunks.append(text)
            if len(chunks) > MAX_LOTS:
                break
    return chunks


def combine(vectors: np.ndarray) -> np.ndarray:
    """One unit vector from a head row and zero or more lot rows (see the module docstring)."""
    head = vectors[0]
    if len(vectors) == 1:
        return np.asarray(head, dtype=np.float32)
    mixed = HEAD_WEIGHT * head + (1.0 - HEAD_WEIGHT) * vectors[1:].mean(axis=0)
    norm = float(np.linalg.norm(mixed))
    return np.asarray(mixed / norm if norm > 0 else head, dtype=np.float32)


def embed_notices(embedder: Embedder, notices: Sequence[Notice]) -> np.ndarray:
    """One unit vector per notice, from its chunks, with one `encode` call for all of them."""
    if not notices:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    per_notice = [notice_chunks(n) for n in notices]
    flat = np.asarray(embedder.encode([c for chunks in per_notice for c in chunks]), np.float32)
    rows = []
    start = 0
    for chunks in per_notice:
        rows.append(combine(flat[start : start + len(chunks)]))
        start += len(chunks)
    return np.vstack(rows)
