"""Collect from recorded source files (the demo, tests, replays) through the live parsers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from veilleuse.core.models import Notice
from veilleuse.spiders.parsers import parse_path
from veilleuse.spiders.parsers.base import Problem

#: sample folders that hold reference data, not notices
NOT_SOURCES = frozenset({"ess_actors", "cpv", "geo", "codelists", "replay"})
SOURCE_SUFFIXES = frozenset({".xml", ".json", ".rss", ".atom"})


@dataclass
class SourceBatch:
    """What one source yielded in one run: its notices and its rejected records."""

    source: str
    notices: list[Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    duration_s: float = 0.0
    #: files (or pages) that yielded no notice at all, only Problems: a degraded source
    failed_files: list[str] = field(default_factory=list)


def recorded_files(folder: Path) -> list[Path]:
    """Every payload file under `folder`, skipping reference data and documentation."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SOURCE_SUFFIXES
        and not NOT_SOURCES.intersection(p.relative_to(folder).parts)
    )


def collect_recorded(
    folder: Path,
    progress: Callable[[Path], None] | None = None,
    max_bytes: int | None = None,
) -> dict[str, SourceBatch]:
    """Parse every recorded file; results grouped by source name, problems kept with their origin.

    A file that cannot be read or parsed is reported under its folder's source and the others
    go on (`parse_path` never raises); files over `max_bytes` are refused unread."""
    batches: dict[str, SourceBatch] = {}
    for path in recorded_files(folder):
        started = time.perf_counter()
        result = parse_path(path, max_bytes=max_bytes)
        elapsed = time.perf_counter() - started
        sources = {n.source for n in result.notices} or {_source_of_failed(path, folder)}
        for source in sources:
            batch = batches.setdefault(source, SourceBatch(source))
            batch.files += 1
            batch.duration_s += elapsed / len(sources)
            batch.notices.extend(n for n in result.notices if n.source == source)
        first = sorted(sources)[0]
        batches[first].problems.extend(result.problems)
        if not result.notices and result.problems:
            batches[first].failed_files.append(str(path))
        if progress:
            progress(path)
    return batches


def _source_of_failed(path: Path, folder: Path) -> str:
    """A file that yielded nothing is reported under its folder name (e.g. 'boamp')."""
    parts = path.relative_to(folder).parts
    return parts[0] if len(parts) > 1 else path.stem
