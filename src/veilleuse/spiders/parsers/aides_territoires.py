"""Aides-territoires aid pages (`{count, next, previous, results[]}`) → funding-call notices.

Publisher: Aides-territoires (national API) and the partner APIs exposing its aid shape (e.g. the
Département de la Drôme). Caveats: `perimeter` and `financers` are a string on some APIs and a
list (of names, or of `{name}` objects in `financers_full`) on others; `description` is HTML;
`submission_deadline` is null for permanent aids.
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.models import Buyer, Notice, Places
from veilleuse.core.normalise import clean_text, parse_date, parse_deadline, unique
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    as_list,
    clean_url,
    departments_from_places,
    funding_notice,
    has_keys,
    json_head,
    key_list,
    normalise_aid_types,
    normalise_audiences,
    parse_json_records,
)

SOURCE = "aides-territoires"


def _first_financer(record: dict[str, Any]) -> str | None:
    for value in as_list(record.get("financers")) + as_list(record.get("financers_full")):
        name = clean_text(value.get("name") if isinstance(value, dict) else value)
        if name:
            return name
    return None


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    """One aid → Notice; the funder (first financer) is the buyer."""
    urls = [clean_url(record.get(k)) for k in ("origin_url", "application_url", "url")]
    perimeter = record.get("perimeter")
    return funding_notice(
        source,
        record.get("id"),
        record.get("name") or record.get("short_title"),
        description=clean_text(record.get("description")),
        url=next((u for u in urls if u), None),
        buyer=Buyer(name=_first_financer(record)),
        published=parse_date(record.get("date_published")) or parse_date(record.get("start_date")),
        deadline=parse_deadline(record.get("submission_deadline")),
        places=Places(departments=departments_from_places(perimeter)),
        audiences=normalise_audiences(record.get("targeted_audiences")),
        aid_types=normalise_aid_types(record.get("aid_types")),
        identifiers=unique(
            [u for u in urls if u] + [clean_text(record.get("import_uniqueid")) or ""]
        ),
        raw=record,
    )


class AidesTerritoiresParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return (
            head.startswith("{")
            and has_keys(head, "count", "results")
            and (has_keys(head, "targeted_audiences") or has_keys(head, "submission_deadline"))
        )

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data,
            origin,
            lambda payload: key_list(payload, "results"),
            "an object with a 'results' list",
            "id",
            lambda record: build(record, src),
        )


PARSER = AidesTerritoiresParser()
