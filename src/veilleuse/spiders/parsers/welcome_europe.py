"""Welcome Europe EU calls for proposals (flat WordPress export, top-level list) → funding calls.

Publisher: Welcome Europe (welcomeurope.com), French digests of EU calls. Caveats: dates are
`YYYYMMDD` strings and empty values are ""; a call may have several deadlines
(`deadline1`, `dates_deadline-2…4`) — the earliest is kept; `filtres_beneficiaries` is
`;`-separated and HTML-escaped (`&amp;`); `banner_budget` is free text ("3 530 000 euros"), read
as the call's envelope; the funder is `info_responsible` (usually the European Commission).
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.models import Buyer, Money, Notice
from veilleuse.core.normalise import clean_text, parse_date, unique
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    amount_from_text,
    clean_url,
    funding_notice,
    has_keys,
    join_text,
    json_head,
    normalise_aid_types,
    normalise_audiences,
    parse_json_records,
    top_list,
)

SOURCE = "welcome-europe"
_DEADLINE_KEYS = ("deadline1", "dates_deadline-2", "dates_deadline-3", "dates_deadline-4")


def _split(value: object) -> list[str]:
    text = clean_text(value)
    return [part.strip() for part in text.split(";") if part.strip()] if text else []


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    url = clean_url(record.get("permalink"))
    deadlines = [d for d in (parse_date(record.get(k)) for k in _DEADLINE_KEYS) if d]
    amount = amount_from_text(record.get("banner_budget"))
    reference = clean_text(record.get("info_references"))
    return funding_notice(
        source,
        record.get("ID"),
        record.get("post_title"),
        description=join_text(record.get("banner_chapeau"), record.get("info_priories")),
        url=url,
        buyer=Buyer(name=clean_text(record.get("info_responsible"))),
        published=parse_date(record.get("dates_publication")),
        deadline=min(deadlines) if deadlines else None,
        estimated_value=Money(amount=amount) if amount is not None else None,
        audiences=normalise_audiences(_split(record.get("filtres_beneficiaries"))),
        aid_types=normalise_aid_types(record.get("info_categorie")),
        identifiers=unique([url or "", reference or ""]),
        raw=record,
    )


class WelcomeEuropeParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("[") and has_keys(head, "post_title", "permalink")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data, origin, top_list, "a list of calls", "ID", lambda r: build(r, src)
        )


PARSER = WelcomeEuropeParser()
