"""Writing notices with their vectors in one pass (`NoticeStore.write(embedder=...)`), on every
backend through the `store` fixture. The notices and the embedder are constructed for these
tests (not real data): the embedder hashes each text to a unit vector and counts its texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from tests.test_support import CONTRACT_DIMENSION

from veilleuse.core.models import Notice, NoticeKind
from veilleuse.search.store import NoticeStore, notice_vectors


class HashEmbedder:
    """Texts → deterministic unit vectors; remembers every text it was asked for."""

    name = "hash-model"
    dimension = CONTRACT_DIMENSION

    def __init__(self) -> None:
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
            row = np.random.default_rng(seed).standard_normal(self.dimension)
            rows.append(row / np.linalg.norm(row))
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dimension)


def notice(n: int, title: str) -> Notice:
    return Notice(
        uid=f"boamp:{n}", source="boamp", native_id=str(n), kind=NoticeKind.TENDER, title=title
    ).with_hash()


NOTICES = [
    notice(1, "Entretien des espaces verts"),
    notice(2, "Nettoyage des locaux administratifs"),
    notice(3, "Festival de musique en plein air"),
]


def test_write_with_embedder_stores_every_vector_at_once(store: NoticeStore) -> None:
    embedder = HashEmbedder()
    report = store.write(NOTICES, embedder=embedder)
    assert sorted(report.created) == ["boamp:1", "boamp:2", "boamp:3"]
    assert store.uids_without_vector(embedder.name) == []
    expected = notice_vectors(HashEmbedder(), NOTICES)
    got = store.get_vectors([n.uid for n in NOTICES])
    for row, n in zip(expected, NOTICES, strict=True):
        assert np.allclose(got[n.uid], row, atol=1e-6)
    nearest = store.search_vector(expected[2], limit=1)
    assert nearest.uids() == ["boamp:3"] and abs(nearest.hits[0].score - 1.0) < 1e-4
    assert sorted(embedder.texts) == sorted(n.text_for_embedding() for n in NOTICES)


def test_write_with_embedder_embeds_only_new_or_changed_content(store: NoticeStore) -> None:
    store.write(NOTICES, embedder=HashEmbedder())
    embedder = HashEmbedder()
    changed = NOTICES[1].model_copy(update={"title": "Nettoyage des écoles"}).with_hash()
    report = store.write([NOTICES[0], changed, NOTICES[2]], embedder=embedder)
    assert report.updated == ["boamp:2"]
    assert sorted(report.unchanged) == ["boamp:1", "boamp:3"]
    assert embedder.texts == [changed.text_for_embedding()]  # unchanged ones are not embedded
    assert store.uids_without_vector(embedder.name) == []
    (row,) = notice_vectors(HashEmbedder(), [changed])
    assert np.allclose(store.get_vectors(["boamp:2"])["boamp:2"], row, atol=1e-6)


def test_write_without_embedder_leaves_new_content_to_the_embed_stage(
    store: NoticeStore,
) -> None:
    store.write(NOTICES)
    assert sorted(store.uids_without_vector(HashEmbedder.name)) == ["boamp:1", "boamp:2", "boamp:3"]
