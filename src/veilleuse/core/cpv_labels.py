"""The French labels of the CPV 2008 codes, read once from the bundled list (data/cpv_2008_fr.csv).

In core because several layers word codes for people: matching explains a match, search turns
labels into indexed terms (the bridge between a query's words and a notice's codes).
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources


@cache
def _labels() -> dict[str, str]:
    """code → French label (9,454 codes)."""
    text = (
        resources.files("veilleuse.config")
        .joinpath("data/cpv_2008_fr.csv")
        .read_text(encoding="utf-8")
    )
    return {row["code"]: row["label_fr"] for row in csv.DictReader(io.StringIO(text))}


def cpv_labels() -> dict[str, str]:
    """Every CPV code with its French label (a copy is not made: do not modify)."""
    return _labels()


def cpv_label(code: str) -> str | None:
    """The French label of an 8-digit CPV code ('77310000' → "Réalisation et entretien d'espaces
    verts"); a code with its check digit ('77310000-6') works too; unknown → None."""
    return _labels().get(code.strip()[:8])
