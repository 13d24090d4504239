"""Département de la Manche guide des aides (`{count, aides[]}`) → funding-call notices.

Publisher: Conseil départemental de la Manche (the feed Aides-territoires imports). Caveats:
`name` keeps HTML entities encoded (`&rsquo;`); some timestamps carry stray spaces
(`2023-08-03T16: 08: 40.000Z`, only the day is used); `aid_types` holds programme names
("Contrat de territoire 2017-2021"), which map to `other`. Every aid is the Département's, so
the funder and the place are département 50.
"""

from __future__ import annotations

from typing import Any

from veilleuse.core.models import Buyer, Notice, Places
from veilleuse.core.normalise import parse_date, parse_deadline, unique
from veilleuse.spiders.parsers.base import ParseResult
from veilleuse.spiders.parsers.funding_common import (
    clean_url,
    funding_notice,
    has_keys,
    join_text,
    json_head,
    key_list,
    normalise_aid_types,
    normalise_audiences,
    parse_json_records,
)

SOURCE = "manche"
FUNDER = "Département de la Manche"
DEPARTMENT = "50"


def build(record: dict[str, Any], source: str = SOURCE) -> Notice:
    urls = [clean_url(record.get("origin_url")), clean_url(record.get("application_url"))]
    return funding_notice(
        source,
        record.get("id"),
        record.get("name"),
        description=join_text(record.get("description"), record.get("eligibility")),
        url=urls[0] or urls[1],
        buyer=Buyer(name=FUNDER, department=DEPARTMENT),
        published=parse_date(record.get("date_created")),
        deadline=parse_deadline(record.get("submission_deadline")),
        places=Places(departments=[DEPARTMENT]),
        audiences=normalise_audiences(record.get("targeted_audiences")),
        aid_types=normalise_aid_types(record.get("aid_types")),
        identifiers=unique([u for u in urls if u]),
        raw=record,
    )


class MancheParser:
    name = SOURCE

    def sniff(self, data: bytes, filename: str) -> bool:
        head = json_head(data)
        return head.startswith("{") and has_keys(head, "aides") and has_keys(head, "origin_url")

    def parse(self, data: bytes, origin: str, source: str | None = None) -> ParseResult:
        src = source or self.name
        return parse_json_records(
            data,
            origin,
            lambda payload: key_list(payload, "aides"),
            "an object with an 'aides' list",
            "id",
            lambda record: build(record, src),
        )


PARSER = MancheParser()
