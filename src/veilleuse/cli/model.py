"""`veilleuse model export`: make the int8 ONNX export of the embedding model ahead of use."""

from __future__ import annotations

import time

import typer

from veilleuse.cli.output import out
from veilleuse.config.settings import get_settings

model_app = typer.Typer(help="The embedding model: its int8 ONNX export.", no_args_is_help=True)


@model_app.command("export")
def export() -> None:
    """Export the embedding model to int8 ONNX (cached by model hash; does nothing when cached).

    The onnx-int8 backend otherwise exports on first use; doing it here keeps that delay out of
    the first weekly run."""
    from veilleuse.search.embeddings import export_model

    settings = get_settings()
    started = time.perf_counter()
    path, made = export_model(settings.embedding, settings.embedding_cache_path())
    size = path.stat().st_size / 1e6
    what = f"exported in {time.perf_counter() - started:.1f} s" if made else "already exported"
    out.print(f"{settings.embedding.model}: {what} → {path} ({size:.1f} MB)")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
