"""ADEME "Agir pour la transition" aids (`{…, NbDispositif, ListeDispositifs[]}`) → funding calls.

Publisher: ADEME, API behind agirpourlatransition.ademe.fr. Caveats: `date_debut`/`date_fin` are
the call's window, with an offset (the deadline keeps its time); `cible_projet` and
`thematiques` are undocumented codes (kept in `raw` only); `couverture_geo` is usually
"National"; `url_agir` may carry a stray space after 'https:'. The audience comes from the URL
section (`/entreprises/`, `/collectivites/`…), the aid type from `/aides-financieres/`.
"""

from __future__ import annotations

import re
from typing import Any

from veilleuse.core.models import Buyer, Notice, Places
from veilleuse.core.normalise import clean_text, parse_date, parse_deadline
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    clean_url,
    departments_from_places,
    funding_notice,
    has_keys,
    json_head,
    key_list,
    parse_json_records,
)

SOURCE = "ademe-agir"
FUNDER = "ADEME"

_SECTION_AUDIENCE = {
    "entreprises": "companies",
    "collectivites": "local_authorities",
    "associations": "associations",
    "particuliers": "individuals",
}


def _url_facets(url: str | None) -> tuple[list[str], list[str]]:
    """(audiences, aid types) read from the agir URL path."""
    if not url:
        return [], []
    path = re.sub(r"^https?://[^/]+", "", url).strip("/").split("/")
    audiences = [_SECTION_AUDIENCE[path[0]]] if path and path[0] in _SECTION_AUDIENCE else []
    aid_types = ["grant"] if "aides-financieres" in path else []
    return audiences, aid_types


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    url = clean_url(record.get("url_agir"))
    audiences, aid_types = _url_facets(url)
    regions = record.get("regions") or []
    return funding_notice(
        source,
        record.get("id"),
        record.get("titre"),
        description=clean_text(record.get("description_longue")),
        url=url,
        buyer=Buyer(name=FUNDER),
        published=parse_date(record.get("date_debut")),
        deadline=parse_deadline(record.get("date_fin")),
        places=Places(departments=departments_from_places(regions)),
        audiences=audiences,
        aid_types=aid_types,
        identifiers=[url] if url else [],
        raw=record,
    )


class AdemeAgirParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("{") and has_keys(head, "ListeDispositifs")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data,
            origin,
            lambda payload: key_list(payload, "ListeDispositifs"),
            "an object with a 'ListeDispositifs' list",
            "id",
            lambda record: build(record, src),
        )


PARSER = AdemeAgirParser()
