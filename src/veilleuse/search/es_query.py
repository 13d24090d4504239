"""Translation of the shared search language (Filters, text, vectors, facets) into Elasticsearch.

Pure functions that build request bodies and read responses, so they can be unit-tested without
a server. The semantics are the embedded store's: every word must match (the last one as a
prefix), accents and case never matter (queries are folded like `search.text`), a bare deadline
date counts as the whole day in UTC (`deadline_bounds`), and the deadline facet buckets follow
`deadline_bucket` relative to today in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from veilleuse.core.territory import buyer_keys
from veilleuse.search.es_mapping import SEARCH, VECTOR_FIELD
from veilleuse.search.french_text import FRENCH_FIELDS, Clause, query_clauses
from veilleuse.search.store import Filters, Sort, SortKey, buyer_key, deadline_bounds

_WORD = re.compile(r"\w+", re.UNICODE)
HIGHLIGHT_TAGS = ("<mark>", "</mark>")
FACET_SIZE = 1000
MAX_CANDIDATES = 10_000
MIN_CANDIDATES = 100
CANDIDATES_PER_HIT = 5
RESCORE_OVERSAMPLE = 3.0


def filter_clauses(filters: Filters | None) -> list[dict[str, Any]]:
    """One ES filter clause per non-empty field of `filters` (they are ANDed)."""
    if filters is None or filters.is_empty():
        return []
    clauses: list[dict[str, Any]] = []
    if filters.kinds:
        clauses.append({"terms": {"kind": [k.value for k in filters.kinds]}})
    if filters.sources:
        clauses.append({"terms": {"source": list(filters.sources)}})
    if filters.statuses:
        clauses.append({"terms": {"status": [s.value for s in filters.statuses]}})
    if filters.uids:
        clauses.append({"terms": {"uid": list(filters.uids)}})
    if filters.departments:
        # notice places, buyer département and lot places, all gathered in search.departments
        clauses.append({"terms": {f"{SEARCH}.departments": list(filters.departments)}})
    if filters.cpv_prefixes:
        clauses.append(
            {
                "bool": {
                    "should": [{"prefix": {f"{SEARCH}.cpv": p}} for p in filters.cpv_prefixes],
                    "minimum_should_match": 1,
                }
            }
        )
    if filters.reserved is not None:
        clauses.append({"term": {"reserved": filters.reserved}})
    low, high = deadline_bounds(filters)
    if low is not None or high is not None:
        bounds: dict[str, str] = {}
        if low is not None:
            bounds["gte"] = low.astimezone(UTC).isoformat()
        if high is not None:
            bounds["lte"] = high.astimezone(UTC).isoformat()
        clauses.append({"range": {f"{SEARCH}.deadline_at": bounds}})
    if filters.social_clause is not None:
        clauses.append({"term": {"social_clause": filters.social_clause}})
    if filters.audiences:
        clauses.append({"terms": {"audiences": list(filters.audiences)}})
    key = buyer_key(filters.buyer)
    if key:
        clauses.append({"wildcard": {f"{SEARCH}.buyer": {"value": f"*{wildcard_escape(key)}*"}}})
    if filters.buyer_areas:
        places = list(buyer_keys(filters.buyer_areas)) or [""]
        sirens = [{"prefix": {"buyer.siret": p}} for p in places if len(p) == 9]
        clauses.append(
            {
                "bool": {
                    "should": [{"terms": {"buyer.postcode": places}}, *sirens],
                    "minimum_should_match": 1,
                }
            }
        )
    _range(clauses, f"{SEARCH}.amount", filters.amount_min, filters.amount_max)
    _range(
        clauses,
        "published",
        filters.published_from.isoformat() if filters.published_from else None,
        filters.published_to.isoformat() if filters.published_to else None,
    )
    if filters.updated_since is not None:
        since = filters.updated_since.astimezone(UTC).isoformat()
        clauses.append({"range": {f"{SEARCH}.updated_at": {"gte": since}}})
    if filters.first_seen_from is not None:
        seen = filters.first_seen_from.astimezone(UTC).isoformat()
        clauses.append({"range": {"first_seen": {"gte": seen}}})
    if filters.first_seen_before is not None:
        before = filters.first_seen_before.astimezone(UTC).isoformat()
        clauses.append({"range": {"first_seen": {"lt": before}}})
    return clauses


def _range(clauses: list[dict[str, Any]], field: str, low: Any, high: Any) -> None:
    bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v is not None}
    if bounds:
        clauses.append({"range": {field: bounds}})


def wildcard_escape(text: str) -> str:
    """Text matched literally inside a wildcard pattern (`*`, `?` and `\\` escaped)."""
    return re.sub(r"([*?\\])", r"\\\1", text)


def sort_clause(sort: Sort) -> list[Any]:
    """The ES sort of `sort`, with the ties and missing-last rule of `store.Sort`."""

    def field(name: str, descending: bool) -> dict[str, Any]:
        return {name: {"order": "desc" if descending else "asc", "missing": "_last"}}

    deadline = f"{SEARCH}.deadline_at"
    if sort.key is SortKey.DEADLINE:
        parts = [field(deadline, sort.descending), field("published", True)]
    elif sort.key is SortKey.PUBLISHED:
        parts = [field("published", sort.descending), field(deadline, False)]
    elif sort.key is SortKey.UPDATED:
        parts = [field(f"{SEARCH}.updated_at", sort.descending)]
    else:
        return ["_score", {"uid": "asc"}]
    return [*parts, {"uid": "asc"}]


def filter_query(filters: Filters | None, *extra: dict[str, Any]) -> dict[str, Any]:
    clauses = [*filter_clauses(filters), *extra]
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def query_words(text: str) -> list[str]:
    """The analysed terms a query searches for (none: a listing, as without words)."""
    return [c.term for c in query_clauses(text)]


def _clause(clause: Clause) -> dict[str, Any]:
    """One clause of a query: its term in any analysed field, weighted as the embedded store
    weighs its FTS5 columns; a prefix (the word being typed) matches too, at a lower weight."""
    should: list[dict[str, Any]] = [
        {"term": {f"{SEARCH}.{name}": {"value": clause.term, "boost": weight}}}
        for name, weight in FRENCH_FIELDS.items()
    ]
    if clause.prefix:
        should += [
            {"prefix": {f"{SEARCH}.{name}": {"value": clause.prefix, "boost": weight / 2}}}
            for name, weight in FRENCH_FIELDS.items()
            if name != "fr_cpv"
        ]
    return {"bool": {"should": should, "minimum_should_match": 1}}


def text_query(
    text: str, filters: Filters | None = None, need: int | None = None
) -> dict[str, Any] | None:
    """BM25 over the French-analysed fields (`search.french_text`, the embedded store's terms).

    At least `need` clauses of the query must match (default: every one) — a clause is a word,
    or a synonym group for a phrase of the table; fewer is the fallback when no notice has
    them all. None when the text has no word that carries meaning (nothing can match).
    """
    clauses = [_clause(c) for c in query_clauses(text)]
    if not clauses:
        return None
    if need is None or need >= len(clauses):
        matching: dict[str, Any] = {"must": clauses}
    else:
        matching = {"should": clauses, "minimum_should_match": max(1, need)}
    return {"bool": {**matching, "filter": filter_clauses(filters)}}


def highlight(text: str) -> dict[str, Any]:
    """Highlight the words (last one as a prefix) in the title and the description."""
    return {
        "pre_tags": [HIGHLIGHT_TAGS[0]],
        "post_tags": [HIGHLIGHT_TAGS[1]],
        "highlight_query": {
            "multi_match": {
                "query": text,
                "type": "bool_prefix",
                "fields": ["title", "description"],
            }
        },
        "fields": {
            "title": {"number_of_fragments": 0},
            "description": {"fragment_size": 160, "number_of_fragments": 2},
        },
    }


def highlights_of(hit: dict[str, Any]) -> list[str]:
    found = hit.get("highlight") or {}
    return [*found.get("title", []), *found.get("description", [])]


def num_candidates(k: int) -> int:
    """Graph candidates per shard for `k` neighbours: tuned on the store benchmark
    (bench/bench_es.py) for recall@20 ≥ 0.95 against exact kNN with filters."""
    return min(MAX_CANDIDATES, max(MIN_CANDIDATES, k * CANDIDATES_PER_HIT))


def knn_clause(vector: np.ndarray, filters: Filters | None, k: int) -> dict[str, Any]:
    """Approximate kNN with the same filters applied inside the graph search (a pre-filter,
    not a post-filter: k hits whenever k notices match). The graph of a quantised index
    (int8_hnsw) finds the candidates; `rescore_vector` scores the best `RESCORE_OVERSAMPLE`×k
    of them again with the float vectors, so scores stay exact cosines."""
    clause: dict[str, Any] = {
        "field": VECTOR_FIELD,
        "query_vector": [float(x) for x in np.asarray(vector, dtype=np.float32)],
        "k": k,
        "num_candidates": num_candidates(k),
        "rescore_vector": {"oversample": RESCORE_OVERSAMPLE},
    }
    clauses = filter_clauses(filters)
    if clauses:
        clause["filter"] = clauses
    return clause


def cosine_from_score(score: float) -> float:
    """ES scores cosine kNN as (1 + cos) / 2; give back the cosine, as the embedded store does."""
    return 2.0 * score - 1.0


# --------------------------------------------------------------------------- facets


def deadline_ranges(today: date) -> list[dict[str, str]]:
    """Date ranges equal to `deadline_bucket` (whole UTC days; `to` is exclusive)."""

    def day(offset: int) -> str:
        moment = datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=offset)
        return moment.isoformat()

    return [
        {"key": "past", "to": day(0)},
        {"key": "week", "from": day(0), "to": day(8)},
        {"key": "month", "from": day(8), "to": day(31)},
        {"key": "later", "from": day(31)},
    ]


def facet_aggregations(today: date) -> dict[str, Any]:
    def terms(field: str) -> dict[str, Any]:
        return {"terms": {"field": field, "size": FACET_SIZE}}

    return {
        "source": terms("source"),
        "kind": terms("kind"),
        "department": terms(f"{SEARCH}.departments"),
        "cpv_division": terms(f"{SEARCH}.cpv_division"),
        "reserved": terms(f"{SEARCH}.reserved"),
        "social_clause": terms(f"{SEARCH}.social_clause"),
        "status": terms("status"),
        "audience": terms("audiences"),
        "deadline": {
            "date_range": {"field": f"{SEARCH}.deadline_at", "ranges": deadline_ranges(today)}
        },
        "deadline_none": {"missing": {"field": f"{SEARCH}.deadline_at"}},
    }


def facets_from(aggregations: dict[str, Any], names: Sequence[str]) -> dict[str, dict[str, int]]:
    """Non-empty buckets per facet, largest first (like the embedded store's counters)."""
    out: dict[str, dict[str, int]] = {}
    for name in names:
        agg = aggregations.get(name, {})
        counts = {str(b["key"]): int(b["doc_count"]) for b in agg.get("buckets", [])}
        if name == "deadline":
            counts["none"] = int(aggregations.get("deadline_none", {}).get("doc_count", 0))
        ordered = sorted(
            ((k, v) for k, v in counts.items() if v > 0), key=lambda kv: (-kv[1], kv[0])
        )
        out[name] = dict(ordered)
    return out
