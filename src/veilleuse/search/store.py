"""The notice store protocol: one interface, two backends (embedded SQLite, Elasticsearch).

Search itself (text, vector, hybrid, filters, facets) is part of the protocol so that the web app,
the CLI and matching never care which backend runs. Both backends pass tests/search/contract.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field, field_validator

from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Notice, NoticeKind, NoticeStatus, deadline_instant
from veilleuse.core.normalise import fold


class DuplicatePolicy(StrEnum):
    """What `write` does with a notice whose uid is already stored."""

    OVERWRITE = "overwrite"  # replace when the content hash differs (unchanged: no-op)
    SKIP = "skip"  # keep the stored one
    FAIL = "fail"  # report the notice as failed (DuplicateNoticeError semantics)


class Filters(BaseModel):
    """The filter language shared by both stores; every field narrows the result (AND).

    List fields match any of their values (OR within a field). Text-like filters (`buyer`) are
    folded: case and accents never matter. A filter on a value a notice does not have (an
    amount, a publication date) leaves that notice out.
    """

    kinds: list[NoticeKind] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    cpv_prefixes: list[str] = Field(default_factory=list, description="e.g. '45' or '9091'")
    deadline_from: date | datetime | None = None
    deadline_to: date | datetime | None = None
    reserved: bool | None = None
    statuses: list[NoticeStatus] = Field(default_factory=list)
    uids: list[str] = Field(default_factory=list)
    buyer: str | None = Field(
        None, description="Text contained in the buyer's (or funder's) name, folded"
    )
    buyer_areas: list[str] = Field(
        default_factory=list,
        description="EPCI (SIREN) and communes (INSEE code) the buyer lies in: its SIREN (its "
        "SIRET's first 9 digits) is a member commune's or the EPCI's, or its postcode is used "
        "by member communes only (`core.territory.buyer_keys`)",
    )
    amount_min: float | None = Field(
        None, ge=0, description="Least estimated value in euros (see `estimated_amount_eur`)"
    )
    amount_max: float | None = Field(None, ge=0, description="Greatest estimated value in euros")
    published_from: date | None = Field(None, description="Published on or after this day")
    published_to: date | None = Field(None, description="Published on or before this day")
    social_clause: bool | None = None
    audiences: list[str] = Field(
        default_factory=list, description="Funding calls' audiences, e.g. 'associations'"
    )
    updated_since: datetime | None = Field(
        None,
        description=(
            "Notices whose stored content was created or changed at or after this instant "
            "(inclusive: a client resuming from the last instant it saw gets that instant's "
            "notices again rather than losing the rest of a batch written at the same time)"
        ),
    )
    """Notices whose `updated_at` (stamped by the store when it writes their changed content) is
    at or after this instant.

    Inclusive: a client resuming from the last instant it saw gets that instant's notices again
    rather than losing the rest of a batch written at the same time.

    What a client resuming from its high-water mark (the changes feed) can rely on:

    - embedded store: nothing is missed. A write takes its instant once it holds SQLite's write
      lock (in-process and across processes), strictly later than every instant stored before,
      even when the clock went back: no notice becomes readable with an instant earlier than one
      already readable.
    - Elasticsearch: nothing is missed among writes made through one store object (one
      process): each bulk chunk takes its instant under the object's write lock right before it
      is sent, strictly later than the previous one and than the latest the index showed when
      the write began. Writers in different processes cannot be ordered: a chunk stamped while
      another process's later chunk becomes searchable may appear with an instant earlier than
      one already read, by up to one bulk request plus the index refresh (about a second). A
      client that must miss nothing then resumes from its high-water mark minus a margin (a
      minute) and deduplicates by uid + `updated_at`.
    """
    first_seen_from: datetime | None = Field(
        None, description="Notices first stored at or after this instant (alerts)"
    )
    first_seen_before: datetime | None = Field(
        None,
        description="Notices first stored strictly before this instant (with `first_seen_from`: "
        "a half-open window, so consecutive periods never count a notice twice)",
    )

    @field_validator("buyer")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("updated_since", "first_seen_from", "first_seen_before")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        """A naive instant is taken as UTC (comparisons need an offset)."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def is_empty(self) -> bool:
        return not any(getattr(self, name) not in (None, []) for name in type(self).model_fields)


class SortKey(StrEnum):
    """How results are ordered. Without words, `relevance` means the default listing order."""

    RELEVANCE = "relevance"  # best score first (text, vector or fused)
    DEADLINE = "deadline"  # soonest first, then most recently published
    PUBLISHED = "published"  # oldest publication first (descending: newest first)
    UPDATED = "updated"  # least recently created/changed first (descending: latest first)


class Sort(BaseModel):
    """A sort key and its direction; notices without the value always come last.

    Ties are broken the same way in both stores: deadline → published (newest first) → uid;
    published → deadline (soonest first) → uid; updated → uid; relevance → uid.
    """

    key: SortKey = SortKey.RELEVANCE
    descending: bool = False


#: the order of a listing (no words): deadline soonest first, then published newest first
DEFAULT_LISTING_SORT = Sort(key=SortKey.DEADLINE)


def effective_sort(sort: Sort | None, has_words: bool) -> Sort:
    """The sort a store applies: relevance with words unless asked otherwise, and the default
    listing order without words (there is no relevance without words)."""
    if sort is None or sort.key is SortKey.RELEVANCE:
        return Sort(key=SortKey.RELEVANCE) if has_words else DEFAULT_LISTING_SORT
    return sort


def buyer_key(text: str | None) -> str:
    """The folded, space-collapsed form buyer names are stored and searched in (both stores)."""
    return " ".join(fold(text or "").split())


def estimated_amount_eur(notice: Notice) -> float | None:
    """The estimated value the amount filters use: the notice's own when given in euros, else
    the sum of its lots' values in euros when any lot has one; None otherwise."""
    value = notice.estimated_value
    if value is not None and value.currency.upper() == "EUR":
        return value.amount
    lots = [
        lot.estimated_value.amount
        for lot in notice.lots
        if lot.estimated_value is not None and lot.estimated_value.currency.upper() == "EUR"
    ]
    return sum(lots) if lots else None


def flag_label(value: bool | None) -> str:
    """Facet bucket of a three-valued flag (reserved, social clause)."""
    return "unknown" if value is None else ("true" if value else "false")


#: the facets every store counts, each a mapping value → number of notices
FACET_FIELDS = (
    "source",
    "kind",
    "department",
    "cpv_division",
    "reserved",
    "social_clause",
    "status",
    "deadline",
    "audience",
)


#: how the words of a query support a hit: "all" of them found it, "some" (no notice had them
#: all), or None (it came from the vector side alone, or there were no words)
Lexical = Literal["all", "some"] | None


@dataclass(frozen=True)
class RelevanceFloor:
    """The relevance floor of vector and hybrid search, as cosines between the query and the
    notice (`search.semantic_floor` / `search.semantic_alone` settings: they depend on the
    embedding model). Stores apply it when one is given; without, they rank everything."""

    #: under this a notice is not close to the query in meaning
    similarity: float = 0.30
    #: what a notice none of whose words match needs to be shown in hybrid
    alone: float = 0.40


@dataclass
class Hit:
    notice: Notice
    score: float
    highlights: list[str] = field(default_factory=list)
    #: when the stored content was created or last changed (the `updated` sort and changes feed)
    updated_at: datetime | None = None
    #: what made it come up: the query's words (every one, or some when no notice had them
    #: all) and its cosine to the query when the vector side ranked it
    lexical: Lexical = None
    similarity: float | None = None

    @property
    def relevance(self) -> int | None:
        """0–100, for people: every word found counts most, closeness of meaning fills the
        rest (`None` for listings without words)."""
        if self.lexical is None and self.similarity is None:
            return None
        # the shipped model's cosines: 0.3 is the floor of "close", 0.8 as close as it gets
        sem = min(1.0, max(0.0, ((self.similarity or 0.0) - 0.3) / 0.5))
        lex = {"all": 1.0, "some": 0.5}.get(self.lexical or "", 0.0)
        return round(100 * max(sem, 0.6 * lex + 0.4 * sem))


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    #: text search: no notice had every word, so these have some (the any-word fallback)
    any_word: bool = False

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


@dataclass
class CompactReport:
    """What `NoticeStore.compact` did. `outcome`: "merged", "skipped" (the rule said no),
    "running" (still merging on the server when the wait ended) or "optimized" (embedded)."""

    outcome: str
    detail: str
    seconds: float = 0.0
    segments_before: int | None = None
    segments_after: int | None = None


@runtime_checkable
class NoticeStore(Protocol):
    """Where notices live. Connection is lazy: constructing a store touches nothing."""

    def write(
        self,
        notices: Iterable[Notice],
        policy: DuplicatePolicy = DuplicatePolicy.OVERWRITE,
        embedder: Embedder | None = None,
    ) -> WriteReport:
        """Upsert by uid; an unchanged content hash only refreshes `last_seen`.

        With `embedder`, every created or updated notice is stored with its vector
        (`notice_vectors`) in the same write: no second pass of `set_vectors` for new content.
        A backend may also attach a vector to an unchanged notice whose own is missing or stale;
        the embed stage (`embed_missing`) catches up on whatever is left."""
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
        self,
        query: str,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        any_word_fallback: bool = True,
    ) -> SearchResult:
        """Notices with every word (or, when none has them all and `any_word_fallback`, any
        word), BM25-ranked unless `sort` says otherwise, with highlights. Without words: every
        notice matching the filters in `sort` order (default `DEFAULT_LISTING_SORT`), with the
        exact total."""
        ...

    def search_vector(
        self,
        vector: np.ndarray,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        floor: RelevanceFloor | None = None,
    ) -> SearchResult:
        """Nearest notices by cosine (with `floor`, none under `floor.similarity`). A
        non-relevance `sort` orders the `candidate_depth` nearest ones (a listing of every
        notice with a vector would ignore the query)."""
        ...

    def search_hybrid(
        self,
        query: str,
        vector: np.ndarray,
        filters: Filters | None = None,
        limit: int = 20,
        offset: int = 0,
        sort: Sort | None = None,
        floor: RelevanceFloor | None = None,
    ) -> SearchResult:
        """Reciprocal rank fusion of text and vector rankings (k=60), each `candidate_depth`
        deep, of what passes `floor` (`fuse_with_floor`); a non-relevance `sort` orders the
        fused candidates. Highlights come from the text side."""
        ...

    def facets(
        self, filters: Filters | None = None, query: str | None = None
    ) -> dict[str, dict[str, int]]: ...

    def compact(self, changed: int) -> CompactReport:
        """After a large write (`changed` notices created or updated), make the stored files
        quick to search again, if the backend's rule says it is worth it. Search results stay
        the same. Raises StoreError on a failure: callers that must not fail log it."""
        ...

    def close(self) -> None: ...


def notice_vectors(embedder: Embedder, notices: Sequence[Notice]) -> np.ndarray:
    """The vectors a store keeps for `notices` (one row each): what `write(embedder=...)` and
    the embed stage both store, so the two paths never disagree. Long multi-lot notices are
    embedded in chunks (`search.chunking`)."""
    from veilleuse.search.chunking import embed_notices

    return embed_notices(embedder, notices)


RRF_K = 60
MIN_DEPTH = 100  # candidates per ranking fused by hybrid search (and re-sorted by a sort)
MAX_WINDOW = 10_000  # deepest result either store serves (Elasticsearch's max_result_window)


def fuse_with_floor(
    text: Sequence[tuple[str, float]],
    vector: Sequence[tuple[str, float]],
    text_any_word: bool,
    floor: RelevanceFloor | None = None,
) -> list[tuple[str, float, Lexical, float | None]]:
    """Hybrid ranking shared by both stores: reciprocal rank fusion of what survives the floor.

    With a floor, a notice with every word of the query stays; one with only some words (the
    fallback) stays when its meaning is close too (`floor.similarity`); one with none of the
    words must be closer still (`floor.alone`). When some notices have every word, the words
    discriminate: those notices come first (ordered by the fusion), the ones found by meaning
    alone after them. So a search says "N résultats"
    truthfully instead of padding its tail with whatever the vector side found.
    Returns (uid, fused score, lexical support, cosine) best first.
    """
    cosine = dict(vector)
    lexical: Lexical = "some" if text_any_word else "all"
    text_kept = [
        uid
        for uid, _ in text
        if floor is None or lexical == "all" or cosine.get(uid, -1.0) >= floor.similarity
    ]
    in_text = set(text_kept)
    vector_kept = [
        uid
        for uid, cos in vector
        if floor is None or cos >= (floor.similarity if uid in in_text else floor.alone)
    ]
    fused = reciprocal_rank_fusion([text_kept, vector_kept])
    if floor is not None and text_kept and not text_any_word:
        # the words discriminate: what has them all comes first, meaning orders it; notices
        # found by meaning alone follow
        fused = [f for f in fused if f[0] in in_text] + [f for f in fused if f[0] not in in_text]
    return [
        (uid, score, lexical if uid in in_text else None, cosine.get(uid)) for uid, score in fused
    ]


def vector_floor(
    vector: Sequence[tuple[str, float]], floor: RelevanceFloor | None
) -> list[tuple[str, float]]:
    """Vector search keeps the notices at least `floor.similarity` close to the query."""
    return list(vector) if floor is None else [(u, c) for u, c in vector if c >= floor.similarity]


def candidate_depth(limit: int, offset: int = 0) -> int:
    """How deep the text and vector rankings go for fusion or re-sorting: deep enough that the
    first pages do not change when one pages through them, never past `MAX_WINDOW`."""
    return min(MAX_WINDOW, max(MIN_DEPTH, 2 * (offset + limit)))


def _key_part(value: float | None, descending: bool) -> tuple[int, float]:
    """Missing values last in both directions."""
    if value is None:
        return (1, 0.0)
    return (0, -value if descending else value)


def sort_hits(hits: Sequence[Hit], sort: Sort) -> list[Hit]:
    """Order hits by `sort` exactly as the stores order rows (see `Sort` for the ties)."""

    def key(hit: Hit) -> tuple[object, ...]:
        notice = hit.notice
        instant = deadline_instant(notice.deadline)
        deadline = instant.timestamp() if instant else None
        published = float(notice.published.toordinal()) if notice.published else None
        updated = hit.updated_at.timestamp() if hit.updated_at else None
        if sort.key is SortKey.DEADLINE:
            return (
                _key_part(deadline, sort.descending),
                _key_part(published, True),
                notice.uid,
            )
        if sort.key is SortKey.PUBLISHED:
            return (
                _key_part(published, sort.descending),
                _key_part(deadline, False),
                notice.uid,
            )
        if sort.key is SortKey.UPDATED:
            return (_key_part(updated, sort.descending), notice.uid)
        return (-hit.score, notice.uid)

    return sorted(hits, key=key)


def page_hits(hits: Sequence[Hit], sort: Sort, limit: int, offset: int) -> list[Hit]:
    """One page of relevance-ranked candidates, re-ordered first when the sort is not relevance."""
    ordered = list(hits) if sort.key is SortKey.RELEVANCE else sort_hits(hits, sort)
    return ordered[offset : offset + limit]


def deadline_bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """Aware UTC bounds of a deadline range, the same for both stores.

    A bare `deadline_from` day starts at 00:00 UTC; a bare `deadline_to` day ends at 23:59:59 UTC.
    Filter days are whole UTC days, like the facet buckets (`deadline_bucket`, and
    `es_query.deadline_ranges`): a notice's bare-day deadline is indexed at its last second in
    Paris (`core.deadlines.deadline_instant`), which falls inside the same UTC day, so a day filter
    finds it either way.
    """
    low = high = None
    if filters.deadline_from is not None:
        value = filters.deadline_from
        low = value if isinstance(value, datetime) else datetime.combine(value, time(0), UTC)
    if filters.deadline_to is not None:
        value = filters.deadline_to
        high = (
            value if isinstance(value, datetime) else datetime.combine(value, time(23, 59, 59), UTC)
        )
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
    """Facet bucket of a deadline relative to `today`: shared by both stores.

    Counted in whole days of the deadline as given (the stores pass the indexed UTC instant, as
    `es_query.deadline_ranges` buckets it); whether a deadline is past is `core.deadlines.is_past`.
    """
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
