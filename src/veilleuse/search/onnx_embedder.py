"""The int8 ONNX backend of the embedder protocol: onnxruntime + `tokenizers`, no torch at run time.

Tokenisation follows the sentence-transformers model: the folder's `tokenizer.json` with its
fixed padding switched off (padding to a fixed 128 would change the mean), truncation at the
model's `max_seq_length` (256 for the shipped model), then mean pooling over the attention mask
and L2 normalisation, both inside the exported graph (`onnx_export`).

Texts run one at a time, unpadded. Dynamic quantisation scales the activations by the range of
the whole input tensor, so in a padded batch a text's vector depended on its batch mates (and on
the padding positions): min cosine to fp32 0.977-0.984 depending on the batching, 0.988 one at a
time, and a text's vector is then the same whatever it is embedded with (the cache relies on
it). On 2 cores batching gained nothing measurable (17 texts/s either way under load). The export is made on first use when `veilleuse model export` has
not made it already.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from veilleuse.config.settings import EmbeddingSettings

BACKEND_SUFFIX = "+onnx-int8"


def max_seq_length(model_dir: Path) -> int:
    """The model's own truncation length (sentence-transformers config), else 256."""
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length") or 256)
    return 256


class OnnxEmbedder:
    """Loading is lazy: constructing this costs nothing, the first `encode` exports if needed."""

    def __init__(self, settings: EmbeddingSettings, models_dir: Path) -> None:
        self.settings = settings
        self.name = settings.model + BACKEND_SUFFIX
        self.models_dir = Path(models_dir)
        self._session: Any = None
        self._tokenizer: Any = None
        self._inputs: list[str] = []
        self._dimension: int | None = None

    def model_file(self) -> Path:
        """The cached export, made now if missing."""
        from veilleuse.search.embeddings import resolve_model_path
        from veilleuse.search.onnx_export import ensure_export

        model_dir = Path(resolve_model_path(self.settings.model))
        return ensure_export(model_dir, self.models_dir, self.settings.model)

    def _load(self) -> Any:
        if self._session is None:
            os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
            import onnxruntime as ort
            from tokenizers import Tokenizer

            from veilleuse.search.embeddings import resolve_model_path

            model_dir = Path(resolve_model_path(self.settings.model))
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_seq_length(model_dir))
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.settings.threads or 0
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(self.model_file()), options, providers=["CPUExecutionProvider"]
            )
            self._inputs = [i.name for i in session.get_inputs()]
            self._tokenizer = tokenizer
            self._session = session
        return self._session

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            self._dimension = int(self.encode(["dimension"]).shape[1])
        return self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        session = self._load()
        rows = [
            session.run(None, self._feed(enc))[0][0]
            for enc in self._tokenizer.encode_batch(list(texts))
        ]
        return np.vstack(rows).astype(np.float32, copy=False)

    def _feed(self, enc: Any) -> dict[str, np.ndarray]:
        ids = np.asarray([enc.ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
        }
        return {name: feed[name] for name in self._inputs}
