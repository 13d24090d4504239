"""The notice store protocol: one interface, two backends (embedded SQLite, Elasticsearch).

Search itself (text, vector, hybrid, filters, facets) is part of the protocol so that the web app,
the CLI and matching never care which backend runs. Both backends pass tests/search/contract.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

from veilleuse.core.models import Notice, NoticeKind, NoticeStatus, deadline_instant


class DuplicatePolicy(StrEnum):
    """What `write` does with a notice whose uid is already stored."""

    OVERWRITE = "overwrite"  # replace when the content hash differs (unchanged: no-op)
    SKIP = "skip"  # keep the stored one
    FAIL = "fail"  # report the notice as failed (DuplicateNoticeError semantics)


class Filters(BaseModel):
    """The filter language shared by both stores; every field narrows the result (AND)."""

    kinds: list[NoticeKind] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    cpv_prefixes: list[str] = Field(default_factory=list, description="e.g. '45' or '9091'")
    deadline_from: date | datetime | None = None
    deadline_to: date | datetime | None = None
    reserved: bool | None = None
    statuses: list[NoticeStatus] = Field(default_factory=list)
    uids: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) not in (None, []) for name in type(self).model_fields)


FACET_FIELDS = ("source", "kind", "department", "cpv_division", "reserved", "deadline")


@dataclass
class Hit:
    notice: Notice
    score: float
    highlights: list[str] = field(default_factory=list)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def uids(self) -> list[str]:
        return [h.notice.uid for h in self.hits]


@dataclass
class WriteReport:
    """What a write did, per notice; nothing is dropped without a line here."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            n: len(getattr(self, n))
            for n in ("created", "updated", "unchanged", "skipped", "failed")
        }


@runtime_checkable
class NoticeStore(Protocol):
    """Where notices live. Connection is lazy: constructing a store touches nothing."""

    def write(
        self, notices: Iterable[Notice], policy: DuplicatePolicy = DuplicatePolicy.OVERWRITE
    ) -> WriteReport:
        """Upsert by uid; an unchanged content hash only refreshes `last_seen`."""
        ...

    def get(self, uid: str) -> Notice | None: ...

    def get_many(self, uids: Sequence[str]) -> list[Notice]:
        """Stored notices among `uids`, in the order asked; unknown uids are left out."""
        ...

    def delete(self, uids: Sequence[str]) -> int: ...

    def count(self, filters: Filters | None = None) -> int: ...

    def iter_notices(
        self, filters: Filters | None = None, batch_size: int = 500
    ) -> Iterator[Notice]: ...

    def set_vectors(self, vectors: dict[str, np.ndarray], model: str) -> None:
        """Store the embedding of each uid's current content (normalised float32)."""
        ...

    def uids_without_vector(self, model: str) -> list[str]:
        """Notices whose stored vector is missing or was computed on older content."""
        ...

    def get_vectors(self, uids: Sequence[str]) -> dict[str, np.ndarray]: ...

    def search_text(
        self, query: str, filters: Filters | None = None, limit: int = 20, offset: int = 0
    ) -> SearchResult: ...

    def search_vector(
        self, vector: np.ndarray, filters: Filters | None = None, limit: int = 20
    ) -> SearchResult: ...

    def search_hybrid(
        self,
        query: str,
        vector: np.ndarray,
        filters: Filters | None = None,
        limit: int = 20,
    ) -> SearchResult:
        """Reciprocal rank fusion of text and vector rankings (k=60)."""
        ...

    def facets(
        self, filters: Filters | None = None, query: str | None = None
    ) -> dict[str, dict[str, int]]: ...

    def close(self) -> None: ...


RRF_K = 60


def deadline_bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """Aware UTC bounds of a deadline range, the same for both stores.

    A bare `deadline_from` day starts at 00:00 UTC; a bare `deadline_to` day ends at 23:59:59 UTC
    (consistent with `deadline_instant`, which puts a date-only notice deadline at day's end).
    """
    low = high = None
    if filters.deadline_from is not None:
        value = filters.deadline_from
        low = (
            value
            if isinstance(value, datetime)
            else datetime(value.year, value.month, value.day, tzinfo=UTC)
        )
    if filters.deadline_to is not None:
        high = deadline_instant(filters.deadline_to)
    return low, high


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked uid lists: score = Σ 1/(k + rank). Shared by both stores so they agree."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, uid in enumerate(ranking, start=1):
            scores[uid] = scores.get(uid, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def deadline_bucket(deadline: date | datetime | None, today: date) -> str:
    """Facet bucket of a deadline relative to `today`: shared by both stores."""
    if deadline is None:
        return "none"
    day = deadline.date() if isinstance(deadline, datetime) else deadline
    delta = (day - today).days
    if delta < 0:
        return "past"
    if delta <= 7:
        return "week"
    if delta <= 30:
        return "month"
    return "later"
