"""Elasticsearch index settings, mappings and document shape, derived from the domain model.

The mapping is generated from the `Notice` fields so that a field added to the model is mapped
(and filterable) without touching this file: strings, enums and codes are keywords, prose fields
are text, lots are `nested`. A notice's deadline is kept twice: as given (a keyword, so a bare
date stays a date) and as an aware instant under `search.deadline_at` for range filters.

Every document is the notice's JSON plus one `search` object of derived fields (folded full
text, all départements and CPVs of the notice and its lots, facet labels, the folded buyer name,
the estimated amount in euros, when the content last changed, the vector and the hash of the
content it was computed on). `from_document` drops `search`, so `get` returns exactly the notice
that was written.

Changing the mapping (a new derived field, a new type) means raising `MAPPING_VERSION`: a new
index gets the new mapping at once, but an existing one keeps its old mapping, and the store
refuses to use it (it would silently miss the new fields) until `veilleuse index migrate` has
rebuilt it behind the alias. Version 2 added buyer, amount, social clause and `updated_at`;
version 3 the French-analysed fields `search.fr_title`, `fr_body` and `fr_cpv`: terms computed by
`search.french_text` (the embedded store indexes the same ones) and split on whitespace only, so
ranking does not depend on which analysis modules a distribution ships.
"""

from __future__ import annotations

import re
import types
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from veilleuse.core.models import Notice, deadline_instant
from veilleuse.core.normalise import fold
from veilleuse.search.french_text import FRENCH_FIELDS, analyse_notice
from veilleuse.search.store import buyer_key, estimated_amount_eur, flag_label

MAPPING_VERSION = 3
FRENCH_ANALYZER = "veilleuse_french"
SEARCH = "search"  # the object of derived fields in every document
VECTOR_FIELD = f"{SEARCH}.vector"
VECTOR_INDEX_TYPE = "int8_hnsw"  # an index made with "hnsw" (float) is queried the same way

# Prose: analysed with the configured analyzer. Everything else that is a string is a keyword.
TEXT_FIELDS = frozenset(
    {
        "title",
        "description",
        "buyer.name",
        "lots.title",
        "lots.description",
        "awardees.name",
        "evidence.reserved",
        "evidence.social_clause",
    }
)
NESTED_FIELDS = frozenset({"lots"})
NOT_INDEXED = frozenset({"url"})
UNMAPPED = frozenset({"raw"})  # any JSON a source gives: kept in _source, never indexed
_KEYWORD = {"type": "keyword", "ignore_above": 2048}


def french_analysis() -> dict[str, Any]:
    """The `veilleuse_french` analyzer: needs the analysis-common module (full distributions)."""
    return {
        "filter": {
            "veilleuse_french_elision": {
                "type": "elision",
                "articles_case": True,
                "articles": [
                    "l",
                    "m",
                    "t",
                    "qu",
                    "n",
                    "s",
                    "j",
                    "d",
                    "c",
                    "jusqu",
                    "quoiqu",
                    "lorsqu",
                    "puisqu",
                ],
            },
            "veilleuse_french_stemmer": {"type": "stemmer", "language": "light_french"},
        },
        "analyzer": {
            FRENCH_ANALYZER: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": [
                    "veilleuse_french_elision",
                    "lowercase",
                    "asciifolding",
                    "veilleuse_french_stemmer",
                ],
            }
        },
    }


def index_settings(analyzer: str) -> dict[str, Any]:
    """One shard (notices are few: thousands to a million), a replica wherever there is a node."""
    settings: dict[str, Any] = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
    if analyzer == FRENCH_ANALYZER:
        settings["analysis"] = french_analysis()
    return settings


def _scalar_mapping(annotation: Any, path: str, analyzer: str) -> dict[str, Any] | None:
    """ES mapping of one annotation; None means "leave unmapped"."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if set(args) == {date, datetime}:
            return dict(_KEYWORD)  # a deadline as given: day or instant (see module docstring)
        return _scalar_mapping(args[0], path, analyzer) if len(args) == 1 else None
    if origin is list:
        return _scalar_mapping(get_args(annotation)[0], path, analyzer)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        mapping: dict[str, Any] = {"properties": _properties(annotation, path, analyzer)}
        if path in NESTED_FIELDS:
            mapping["type"] = "nested"
        return mapping
    if path in TEXT_FIELDS:
        return {"type": "text", "analyzer": analyzer}
    if path in NOT_INDEXED:
        return {"type": "keyword", "index": False, "doc_values": False}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "long"}
    if annotation is float:
        return {"type": "double"}
    if annotation in (date, datetime):
        return {"type": "date"}
    if annotation is str or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return dict(_KEYWORD)
    return None


def _properties(model: type[BaseModel], prefix: str, analyzer: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if path in UNMAPPED:
            continue
        mapping = _scalar_mapping(info.annotation, path, analyzer)
        if mapping is not None:
            props[name] = mapping
    return props


def index_mappings(analyzer: str, dimension: int) -> dict[str, Any]:
    """Mappings of the notice index: model fields + the derived `search` object."""
    props = _properties(Notice, "", analyzer)
    props[SEARCH] = {
        "properties": {
            "text": {"type": "text", "analyzer": analyzer},
            **{name: {"type": "text", "analyzer": "whitespace"} for name in FRENCH_FIELDS},
            "deadline_at": {"type": "date"},
            "departments": {"type": "keyword"},
            "cpv": {"type": "keyword"},
            "cpv_division": {"type": "keyword"},
            "reserved": {"type": "keyword"},
            "social_clause": {"type": "keyword"},
            "buyer": {"type": "keyword", "ignore_above": 2048},
            "amount": {"type": "double"},
            # nanoseconds: the same precision as the embedded store's microseconds
            "updated_at": {"type": "date_nanos"},
            "vector": {
                "type": "dense_vector",
                "dims": dimension,
                "index": True,
                "similarity": "cosine",
                # int8-quantised HNSW: a quarter of the memory for the graph search, faster
                # to build; queries rescore their candidates with the float vectors (kept on
                # disk), so scores are exact cosines, the embedded store's ranking
                "index_options": {"type": VECTOR_INDEX_TYPE},
            },
            "vector_model": {"type": "keyword"},
            "vector_hash": {"type": "keyword"},
        }
    }
    return {
        "dynamic": False,
        "_meta": {"veilleuse_mapping": MAPPING_VERSION, "dimension": dimension},
        "properties": props,
    }


def index_body(analyzer: str, dimension: int) -> dict[str, Any]:
    return {"settings": index_settings(analyzer), "mappings": index_mappings(analyzer, dimension)}


# --------------------------------------------------------------------------- documents


_WORDS = re.compile(r"\w+")


def full_text(notice: Notice) -> str:
    """Folded title + body, the same text the embedded store indexes: accents never matter."""
    parts = [notice.title, notice.description or "", notice.buyer.name or ""]
    for lot in notice.lots:
        parts += [lot.title or "", lot.description or ""]
    # words only: the standard analyzer would keep "l'insertion" as one token where FTS5 (and a
    # user typing "insertion") sees two words
    return " ".join(_WORDS.findall(fold(" ".join(p for p in parts if p))))


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def to_document(notice: Notice, carried: dict[str, Any] | None = None) -> dict[str, Any]:
    """The indexed document of a notice; `carried` brings stored derived fields over (the
    vector, and `updated_at`, which defaults to the notice's first sighting)."""
    doc = notice.model_dump(mode="json")
    instant = deadline_instant(notice.deadline)
    cpvs = notice.all_cpv()
    analysed = analyse_notice(notice)
    derived: dict[str, Any] = {
        "text": full_text(notice),
        "fr_title": analysed.title,
        "fr_body": analysed.body,
        "fr_cpv": analysed.cpv,
        "deadline_at": iso_utc(instant) if instant else None,
        "departments": notice.all_departments(),
        "cpv": cpvs,
        "cpv_division": sorted({c[:2] for c in cpvs}),
        "reserved": flag_label(notice.reserved),
        "social_clause": flag_label(notice.social_clause),
        "buyer": buyer_key(notice.buyer.name) or None,
        "amount": estimated_amount_eur(notice),
        "updated_at": iso_utc(notice.first_seen) if notice.first_seen else None,
    }
    derived.update({k: v for k, v in (carried or {}).items() if v is not None})
    doc[SEARCH] = derived
    return doc


def from_document(source: dict[str, Any]) -> Notice:
    return Notice.model_validate({k: v for k, v in source.items() if k != SEARCH})


def updated_at_of(source: dict[str, Any]) -> datetime | None:
    """When a stored document's content last changed (None for a document without it)."""
    value = (source.get(SEARCH) or {}).get("updated_at")
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def vector_fields(source: dict[str, Any]) -> dict[str, Any]:
    """The vector part of a stored document's `search` object (empty when it has none)."""
    derived = source.get(SEARCH) or {}
    return {
        k: derived[k]
        for k in ("vector", "vector_model", "vector_hash")
        if derived.get(k) is not None
    }


def carried_fields(source: dict[str, Any]) -> dict[str, Any]:
    """What a rebuilt document keeps from the stored one: its vector and `updated_at`."""
    carried = vector_fields(source)
    updated = (source.get(SEARCH) or {}).get("updated_at")
    if updated:
        carried["updated_at"] = updated
    return carried
