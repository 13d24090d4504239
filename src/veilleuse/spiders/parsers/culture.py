"""Ministère de la Culture démarches and aids (top-level list) → funding-call notices.

Publisher: ministère de la Culture (culture.gouv.fr "Démarches en ligne"). Caveats: `summary` and
`body` are HTML with entities (`&eacute;`); `deadline` is free French text ("15 avril 2022"; text without a date gives no deadline);
`amount` is free text ("2.200.000 € à répartir…"), read as the call's envelope; `eztag_region`
"- France entière -" means national; the recorded export has stray spaces inside dates and URLs
(`https: //www…`), which are removed.
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.models import Buyer, Money, Notice, Places
from veilleuse.core.normalise import clean_text, parse_date
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    amount_from_text,
    as_list,
    clean_url,
    departments_from_places,
    funding_notice,
    has_keys,
    json_head,
    normalise_audiences,
    parse_french_date,
    parse_json_records,
    top_list,
)

SOURCE = "culture"
FUNDER = "Ministère de la Culture"


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    url = clean_url(record.get("url"))
    link = record.get("link")
    application = clean_url(link.get("link")) if isinstance(link, dict) else None
    amount = amount_from_text(record.get("amount"))
    # free text: a date when it holds one, else nothing ("Toute l'année", "Au fil de l'eau")
    deadline = parse_french_date(record.get("deadline"))
    return funding_notice(
        source,
        record.get("id"),
        record.get("title") or record.get("short_title"),
        description=clean_text(record.get("summary")),
        url=url or application,
        buyer=Buyer(name=FUNDER),
        published=parse_date(record.get("creationDate")),
        deadline=deadline,
        places=Places(departments=departments_from_places(record.get("eztag_region"))),
        estimated_value=Money(amount=amount) if amount is not None else None,
        audiences=normalise_audiences(
            as_list(record.get("public")) + as_list(record.get("eztag_cible"))
        ),
        identifiers=[u for u in (url, application) if u],
        raw=record,
    )


class CultureParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("[") and has_keys(head, "eztag_region")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data, origin, top_list, "a list of aids", "id", lambda r: build(r, src)
        )


PARSER = CultureParser()
