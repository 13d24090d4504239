"""Export a sentence-transformers model to int8 ONNX, once, cached by a hash of its files.

The recipe: the Hugging Face encoder (eager attention, so onnxruntime can fuse it) wrapped with
the model's mean pooling over the attention mask and L2 normalisation, exported with the
TorchScript exporter of `torch.onnx.export` (`dynamo=False`: no onnxscript needed, ~2 s), fused
by onnxruntime's BERT optimiser, then quantised dynamically to int8 **per channel** (per tensor
is too lossy: cosine ≈ 0.92). The six feed-forward output projections stay float: they read
GELU outputs, whose range int8 activations render worst; quantised, they cost hybrid nDCG@10
0.017 in `veilleuse eval` (docs/performance.md, "Embeddings").

The result is `<models_dir>/<name>-onnx-int8-<hash>/model.onnx`, where the hash covers every file
of the model folder and `RECIPE`: a new model or a new recipe is a new folder. It is written under
a temporary name and renamed into place (atomic on one file system), under an exclusive file lock
so that two processes starting at once export it once; a reader never sees a partial file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from veilleuse.core.errors import ConfigError

#: bump when the export recipe changes, so that cached exports are redone
RECIPE = (
    "onnx-int8/3: eager, mean+normalise in graph, bert fusion, per-channel QInt8, ffn-out float"
)
MODEL_FILE = "model.onnx"
#: nodes left in float: every layer's feed-forward output (`m` is the wrapped Hugging Face model)
FLOAT_NODES = re.compile(r"/m/encoder/layer\.\d+/output/dense/MatMul$")


def model_hash(model_dir: Path) -> str:
    """SHA-256 of the recipe and of every file of the model folder (path and content)."""
    digest = hashlib.sha256(RECIPE.encode())
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(model_dir)).encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def export_path(model_dir: Path, models_dir: Path, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[-60:]
    return models_dir / f"{safe}-onnx-int8-{model_hash(model_dir)[:16]}" / MODEL_FILE


def ensure_export(model_dir: Path, models_dir: Path, name: str) -> Path:
    """The cached int8 export of `model_dir`, made now if missing (safe across processes)."""
    target = export_path(model_dir, models_dir, name)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(target.parent / ".lock"):
        if not target.exists():  # another process may have finished while we waited
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
                made = export_int8(model_dir, Path(tmp))
                os.replace(made, target)
    return target


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    import fcntl

    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def check_mean_pooling(model_dir: Path) -> None:
    """The in-graph pooling is a mean: refuse models that pool otherwise."""
    pooling = model_dir / "1_Pooling" / "config.json"
    if pooling.exists():
        config = json.loads(pooling.read_text())
        if not config.get("pooling_mode_mean_tokens", False):
            raise ConfigError(
                f"{model_dir}: the onnx-int8 embedding backend supports mean-pooled models "
                "only; set embedding.backend = torch"
            )


def export_int8(model_dir: Path, work_dir: Path) -> Path:
    """Export, fuse and quantise into `work_dir`; returns the int8 file. Takes ~10 s on 2 cores
    (user CPU time; tracer warnings and the quantiser's INFO lines on the root logger muted)."""
    check_mean_pooling(model_dir)
    fp32, fused, out = (work_dir / f for f in ("fp32.onnx", "fused.onnx", "int8.onnx"))
    root = logging.getLogger()
    level = root.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            _fuse(fp32, fused, _export_fp32(model_dir, fp32))
            _quantise(fused, out)
        finally:
            root.setLevel(level)
    return out


def _export_fp32(model_dir: Path, out: Path) -> dict[str, Any]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.m = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.m(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(summed, p=2.0, dim=1)

    names = ["input_ids", "attention_mask", "token_type_ids"]
    dummy = tuple(torch.ones(2, 16, dtype=torch.long) for _ in names)
    axes: dict[str, dict[int, str]] = {n: {0: "batch", 1: "tokens"} for n in names}
    axes["sentence_embedding"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            Pooled(model),
            dummy,
            str(out),
            input_names=names,
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    return dict(model.config.to_dict())


def _fuse(src: Path, out: Path, config: dict[str, Any]) -> None:
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(src),
        model_type="bert",
        num_heads=int(config.get("num_attention_heads", 0)),
        hidden_size=int(config.get("hidden_size", 0)),
        opt_level=1,
    )
    fused.save_model_to_file(str(out))


def _quantise(src: Path, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    keep_float = [node.name for node in graph.node if FLOAT_NODES.search(node.name)]
    quantize_dynamic(
        str(src),
        str(out),
        per_channel=True,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=keep_float,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
