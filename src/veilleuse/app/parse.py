"""Parse one recorded file into notices, as the sources would (no store, no records)."""

from __future__ import annotations

from pathlib import Path

from veilleuse.spiders.parsers import parse_path
from veilleuse.spiders.parsers.base import ParseResult


def parse_file(path: Path, fmt: str | None = None, max_bytes: int | None = None) -> ParseResult:
    """Normalised notices and rejected records of `path`; `fmt` names a format or a source.

    Never raises: an unreadable, oversized or unparsable file is a Problem naming it."""
    return parse_path(path, fmt=fmt, max_bytes=max_bytes)
