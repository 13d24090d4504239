"""A notice's vector from its chunks: head (title + summary) then each lot, weighted mean."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from veilleuse.core.models import Lot, Notice, NoticeKind
from veilleuse.search.chunking import HEAD_WEIGHT, combine, embed_notices, notice_chunks
from veilleuse.search.store import notice_vectors


class RecordingEmbedder:
    """Deterministic unit vectors from the text's hash; records each call."""

    name = "fake"
    dimension = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(self.dimension)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32)


def _notice(uid: str, lots: list[Lot] | None = None, description: str = "") -> Notice:
    return Notice(
        uid=uid,
        source="x",
        native_id=uid,
        kind=NoticeKind.TENDER,
        title="Travaux d'entretien des espaces verts",
        description=description or None,
        lots=lots or [],
    ).with_hash()


LOTS = [
    Lot(id="1", title="Tonte et débroussaillage des parcs de la ville et des cimetières"),
    Lot(
        id="2",
        title="Élagage",
        description="Élagage et abattage d'arbres d'alignement des boulevards",
    ),
    Lot(id="3", title="Fleurissement"),
]


def test_a_notice_without_lots_keeps_its_single_text() -> None:
    notice = _notice("x:1", description="Entretien courant. " * 100)
    assert notice_chunks(notice) == [notice.text_for_embedding()]
    embedder = RecordingEmbedder()
    vector = embed_notices(embedder, [notice])[0]
    assert np.allclose(vector, embedder.encode([notice.text_for_embedding()])[0])


def test_every_lot_is_a_chunk_after_the_head() -> None:
    notice = _notice("x:2", LOTS, description="Marché en trois lots. " * 60)
    chunks = notice_chunks(notice)
    assert chunks[0] == notice.text_for_embedding()
    assert chunks[1] == LOTS[0].title
    assert chunks[2] == "Élagage — Élagage et abattage d'arbres d'alignement des boulevards"
    # few own words: the notice title gives the lot its context
    assert chunks[3] == "Travaux d'entretien des espaces verts — Fleurissement"
    assert len(chunks) == 4 and all(len(c) <= 700 for c in chunks)


def test_the_vector_is_the_normalised_weighted_mean_with_the_head_first() -> None:
    rows = np.eye(4, dtype=np.float32)
    vector = combine(rows)
    expected = np.array([HEAD_WEIGHT, *(3 * [(1 - HEAD_WEIGHT) / 3])], dtype=np.float32)
    assert np.allclose(vector, expected / np.linalg.norm(expected))
    assert np.isclose(np.linalg.norm(vector), 1.0)
    assert vector[0] > vector[1]  # the head counts more than any lot


def test_all_chunks_of_a_batch_go_in_one_call_and_rows_stay_in_order() -> None:
    notices = [_notice("x:1"), _notice("x:2", LOTS), _notice("x:3", LOTS[:2])]
    embedder = RecordingEmbedder()
    vectors = embed_notices(embedder, notices)
    assert len(embedder.calls) == 1 and len(embedder.calls[0]) == 1 + 4 + 3
    assert vectors.shape == (3, 8) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    alone = embed_notices(RecordingEmbedder(), [notices[2]])[0]
    assert np.allclose(vectors[2], alone)


def test_the_stores_vectors_are_the_chunked_ones() -> None:
    notices = [_notice("x:2", LOTS)]
    assert np.allclose(
        notice_vectors(RecordingEmbedder(), notices), embed_notices(RecordingEmbedder(), notices)
    )
