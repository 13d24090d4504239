"""The embedding cache (unit, fake model) and the real shipped model (slow)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from veilleuse.config.settings import EmbeddingSettings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.embeddings import CachedEmbedder, SentenceTransformerEmbedder
from veilleuse.search.indexing import embed_missing


class CountingEmbedder:
    """A deterministic stand-in for the model that counts the texts it is given."""

    name = "fake"
    dimension = 16

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.extend(texts)
        rows = []
        for text in texts:
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            v = np.random.default_rng(seed).standard_normal(self.dimension).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.vstack(rows)


def test_cache_never_embeds_the_same_text_twice(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "cache.sqlite3")
    first = cached.encode(["a", "b", "a"])
    assert inner.calls == ["a", "b"]
    again = CachedEmbedder(inner, tmp_path / "cache.sqlite3").encode(["b", "c"])
    assert inner.calls == ["a", "b", "c"]
    assert np.allclose(first[1], again[0])
    assert np.allclose(first[0], first[2])


def _notice(uid: str, title: str) -> Notice:
    return Notice(
        uid=uid, source="x", native_id=uid, kind=NoticeKind.TENDER, title=title
    ).with_hash()


def test_only_new_or_changed_notices_are_embedded(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "n.sqlite3")
    inner = CountingEmbedder()
    embedder = CachedEmbedder(inner, tmp_path / "cache.sqlite3")
    store.write([_notice("x:1", "Nettoyage"), _notice("x:2", "Espaces verts")])
    assert embed_missing(store, embedder) == 2
    assert embed_missing(store, embedder) == 0
    store.write([_notice("x:2", "Espaces verts et forêts")])
    assert embed_missing(store, embedder) == 1
    assert len(inner.calls) == 3


@pytest.mark.slow
def test_shipped_model_loads_offline_and_normalises() -> None:
    embedder = SentenceTransformerEmbedder(EmbeddingSettings())  # type: ignore[call-arg]
    vectors = embedder.encode(
        ["nettoyage de bureaux", "nettoyage des bureaux", "festival de musique"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2])
