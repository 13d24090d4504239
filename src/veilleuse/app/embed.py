"""Embed stage: catch-up vectors for stored notices that still lack a current one (cached by
text). The index stage already writes new and changed notices with their vectors; this stage
embeds what it could not: notices written without an embedder, or after a change of model."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.search.indexing import embed_missing


@dataclass
class EmbedReport:
    embedded: int
    seconds: float
    model_calls: int
    cache_hits: int


def pending_count(ctx: Context) -> int:
    """How many stored notices the embed stage would embed now."""
    return len(ctx.store.uids_without_vector(ctx.embedder.name))


def embed_stage(ctx: Context, progress: Callable[[int], None] | None = None) -> EmbedReport:
    started = time.perf_counter()
    embedder = ctx.embedder
    count = embed_missing(ctx.store, embedder, progress=progress)
    return EmbedReport(
        count,
        time.perf_counter() - started,
        getattr(embedder, "misses", count),
        getattr(embedder, "hits", 0),
    )
