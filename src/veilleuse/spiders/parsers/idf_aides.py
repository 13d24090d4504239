"""Région Île-de-France "guide des aides" API (top-level list, tenant `cridfprd`) → funding calls.

Publisher: Conseil régional d'Île-de-France (mesdemarches.iledefrance.fr). Caveats: no public
page URL in the record — the page address is built from `reference` as the Aides-territoires
importer does (`https://www.iledefrance.fr/aides-appels-a-projets/<reference>`), and the API
path (`id`) is kept as an identifier; `dateFinCampagne` is an instant in UTC (kept as given);
permanent aids have no campaign dates; the aid type is read from `modalite` ("subvention…").
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.models import Buyer, Notice, NoticeStatus, Places
from veilleuse.core.normalise import clean_text, parse_date, parse_deadline, unique
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    aid_types_from_text,
    departments_from_places,
    funding_notice,
    has_keys,
    join_text,
    json_head,
    normalise_audiences,
    parse_json_records,
    top_list,
)

SOURCE = "idf-aides"
FUNDER = "Région Île-de-France"
PAGE_URL = "https://www.iledefrance.fr/aides-appels-a-projets/{reference}"


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    reference = clean_text(record.get("reference"))
    url = PAGE_URL.format(reference=reference) if reference else None
    status = NoticeStatus.OPEN
    if record.get("statut") not in (None, "", "PUBLIEE"):
        status = NoticeStatus.CLOSED
    return funding_notice(
        source,
        reference,
        record.get("title"),
        description=join_text(record.get("entete"), record.get("objectif")),
        url=url,
        buyer=Buyer(name=FUNDER),
        published=parse_date(record.get("datePublicationSouhaitee")),
        deadline=parse_deadline(record.get("dateFinCampagne")),
        places=Places(departments=departments_from_places("Île-de-France")),
        audiences=normalise_audiences(record.get("publicsBeneficiaire")),
        aid_types=aid_types_from_text(record.get("modalite")),
        identifiers=unique(
            [
                url or "",
                clean_text(record.get("id")) or "",
                clean_text(record.get("referenceAdministrative")) or "",
            ]
        ),
        status=status,
        raw=record,
    )


class IdfAidesParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("[") and has_keys(head, "reference", "publicsBeneficiaire")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data, origin, top_list, "a list of aids", "reference", lambda r: build(r, src)
        )


PARSER = IdfAidesParser()
