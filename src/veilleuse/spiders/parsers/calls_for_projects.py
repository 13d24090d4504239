"""Calls for projects for associations (AAP-Watch flattened lists) → funding-call notices.

Two publishers share one flattened shape (`titre, organisme, date_publication, date_limite,
url_source, resume`): Carenews listing pages (source "carenews") and the Région Île-de-France
open-data dataset `aides-appels-a-projets` (source "idf-aap", adds `categories, tags,
public_cible, perimetre_geo`). Each record's source is read from its URL host, then from the
Île-de-France-only keys; a `source` argument overrides both.

native_id: Île-de-France → the last URL path segment (the Région's numeric aid id, "601");
Carenews → the whole URL path ("appels-a-projet/la-social-cup"), since the same last segment
("appels-a-projet-3") recurs under different organisations; no URL → a hash of title and
publication date. Caveats: `organisme` is often null on Carenews; `resume` is a truncated teaser;
`public_cible` may pack several audiences joined by `|||`; 15 of 35 Île-de-France records have
no dates (permanent aids).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from veilleuse.core.models import Buyer, Notice, Places
from veilleuse.core.normalise import clean_text, parse_date, parse_deadline
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    clean_url,
    departments_from_places,
    funding_notice,
    has_keys,
    json_head,
    normalise_audiences,
    parse_json_records,
    stable_id,
    top_list,
)

NAME = "calls-for-projects"
CARENEWS = "carenews"
IDF_AAP = "idf-aap"


def source_of(record: dict[str, Any]) -> str:
    """'carenews', 'idf-aap', or the generic name when nothing tells."""
    host = urlsplit(clean_url(record.get("url_source")) or "").hostname or ""
    if host.endswith("carenews.com"):
        return CARENEWS
    if host.endswith("iledefrance.fr") or "public_cible" in record or "perimetre_geo" in record:
        return IDF_AAP
    return NAME


def native_id_of(record: dict[str, Any], source: str) -> str:
    url = clean_url(record.get("url_source"))
    path = urlsplit(url).path.strip("/") if url else ""
    if path:
        return path.rsplit("/", 1)[-1] if source == IDF_AAP else path
    return stable_id(clean_text(record.get("titre")), record.get("date_publication"))


def build(record: dict[str, Any], source: str | None = None) -> Notice:
    detected = source_of(record)
    src = source or detected
    url = clean_url(record.get("url_source"))
    return funding_notice(
        src,
        native_id_of(record, detected),
        record.get("titre"),
        description=clean_text(record.get("resume")),
        url=url,
        buyer=Buyer(name=clean_text(record.get("organisme"))),
        published=parse_date(record.get("date_publication")),
        deadline=parse_deadline(record.get("date_limite")),
        places=Places(departments=departments_from_places(record.get("perimetre_geo"))),
        audiences=normalise_audiences(record.get("public_cible"), separator="|||"),
        identifiers=[url] if url else [],
        raw=record,
    )


class CallsForProjectsParser:
    name = NAME

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("[") and has_keys(head, "titre", "url_source")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        return parse_json_records(
            data, origin, top_list, "a list of calls", "url_source", lambda r: build(r, source)
        )


PARSER = CallsForProjectsParser()
