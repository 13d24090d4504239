"""Matching quality on a labelled set: CPV-only, keyword-only, embeddings-only and hybrid.

Any set written in the documented format (`tests/eval/README.md`) can be measured as is, so
another team's labels are judged with the same code as ours.
"""

from __future__ import annotations

from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.core.errors import ConfigError
from veilleuse.core.models import Notice
from veilleuse.matching.evaluation import EvalReport, evaluate, load_labelled_set
from veilleuse.spiders.parsers import parse_path


def default_labelled_path() -> Path | None:
    """The set in the working tree, else the one beside this source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "tests" / "eval" / "labelled_set.yaml"
        if candidate.exists():
            return candidate
    return None


def read_notices(path: Path) -> list[Notice]:
    """The notices of one corpus file, through the same parsers as the sources."""
    return parse_path(path).notices


def run_evaluation(ctx: Context, labels: Path | None = None) -> EvalReport:
    """Evaluate the four systems on `labels` (default: the project's own labelled set)."""
    path = labels or default_labelled_path()
    if path is None:
        raise ConfigError("tests/eval/labelled_set.yaml not found: pass --labels PATH")
    if not path.exists():
        raise ConfigError(f"{path}: labelled set not found")
    labelled = load_labelled_set(path, read_notices)
    return evaluate(labelled, ctx.embedder, ctx.settings.matching)
