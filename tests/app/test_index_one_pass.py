"""The index stage writes new and changed notices with their vectors (one pass); the embed stage
then has nothing left to do. Notices and embedder are constructed for the test (not real data).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from veilleuse.app.context import Context
from veilleuse.app.embed import embed_stage, pending_count
from veilleuse.app.index import store_batches
from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.records.db import Records
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.spiders.recorded import SourceBatch


class CountingEmbedder:
    name = "counting"
    dimension = 8

    def __init__(self) -> None:
        self.texts = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        rows = np.ones((len(texts), self.dimension), dtype=np.float32)
        return rows / np.sqrt(self.dimension)


def notice(n: int, title: str) -> Notice:
    return Notice(
        uid=f"boamp:{n}", source="boamp", native_id=str(n), kind=NoticeKind.TENDER, title=title
    ).with_hash()


def test_index_stage_embeds_in_the_same_write(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    embedder = CountingEmbedder()
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    records = Records(settings.records_url())
    with Context(settings, records=records, store=store, embedder=embedder) as ctx:
        batch = SourceBatch("boamp", [notice(1, "Espaces verts"), notice(2, "Nettoyage")])
        (run,) = store_batches(ctx, {"boamp": batch}, embedder=ctx.embedder)
        assert run.new == 2 and embedder.texts == 2
        assert pending_count(ctx) == 0
        assert embed_stage(ctx).embedded == 0  # nothing left for the catch-up stage
        # a second run of the same notices embeds nothing again
        store_batches(ctx, {"boamp": batch}, embedder=ctx.embedder)
        assert embedder.texts == 2
