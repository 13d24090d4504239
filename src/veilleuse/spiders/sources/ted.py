"""TED notices for France: search API v3 (expert query), then each notice's eForms XML.

Publisher:
    Publications Office of the European Union — Tenders Electronic Daily (reuse authorised).
Access:
    POST `<endpoint>` (setting `VEILLEUSE_SOURCES__TED_SEARCH_URL`) with an expert query
    `(place-of-performance IN (FRA) OR buyer-country IN (FRA)) AND publication-date>=YYYYMMDD`
    [`AND publication-date<=YYYYMMDD`], 100 notices a page in ITERATION mode (continuation
    token, no 15,000-notice cap). Then GET each notice's eForms XML (`links.xml.MUL`, else the
    `notice_url` template) for the fields the search result lacks (reserved participation BT-71,
    lots, buyer address). No key needed. The search asks for `notice-type` and `form-type`, so
    a search-result notice has its kind (tender, award, PIN) even without its XML.
Arguments:
    since/until: publication days, inclusive. Without `since`, the watermark (last publication
    day seen), else the last 7 days. Options: page_size, notice_url, fetch_xml (false: keep the
    search-result notices without fetching each XML, as `veilleuse sources check --fetch` does).
Caveats:
    The watermark day is asked again (inclusive bound). When a notice's XML cannot be fetched or
    read, the search-result notice is kept (fewer fields) and the failure is reported, so the
    watermark does not move and the notice is fetched again next run. The eForms notice takes
    the search result's publication number as its id, so both give the same uid.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from veilleuse.core.models import Notice
from veilleuse.spiders.base import Paging, VeilleuseSpider, notice_item, problem_item
from veilleuse.spiders.parsers import parse_payload
from veilleuse.spiders.parsers.ted_api import ted_xml_url

#: fields asked from the search API (what the `ted_api` parser reads); `notice-type` (BT-02)
#: and `form-type` (BT-03) give a search-result notice its kind (tender, award, PIN)
FIELDS = [
    "publication-number",
    "notice-type",
    "form-type",
    "PD",
    "TI",
    "links",
    "buyer-name",
    "buyer-city",
    "organisation-name-buyer",
    "buyer-country",
    "place-of-performance",
    "classification-cpv",
    "main-classification-lot",
    "estimated-value-glo",
    "estimated-value-cur-glo",
    "total-value",
    "total-value-cur",
    "deadline-receipt-tender-date-lot",
    "deadline-receipt-tender-time-lot",
    "deadline-receipt-request-date-lot",
    "deadline-receipt-request-time-lot",
    "contract-nature",
]


def expert_query(start: date, end: date | None) -> str:
    query = (
        "(place-of-performance IN (FRA) OR buyer-country IN (FRA))"
        f" AND publication-date>={start:%Y%m%d}"
    )
    return query + (f" AND publication-date<={end:%Y%m%d}" if end else "")


class TedSpider(VeilleuseSpider):
    name = "ted"
    fmt = "ted_api"
    paging = Paging.TOKEN
    page_size = 100
    obey_robots = False  # a documented API, not pages for browsers

    def search(self, token: str | None = None) -> scrapy.Request:
        body: dict[str, Any] = {
            "query": expert_query(self.window_start(), self.window_end()),
            "fields": FIELDS,
            "limit": self.per_page,
            "scope": "ALL",
            "paginationMode": "ITERATION",
        }
        if token:
            body["iterationNextToken"] = token
        return scrapy.Request(
            self.endpoint,
            method="POST",
            body=json.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            callback=self.parse,
            errback=self.failed,
            dont_filter=True,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.search()

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        try:
            page = json.loads(response.body)
            raw_notices = list(page.get("notices") or [])
        except (ValueError, AttributeError, UnicodeDecodeError):
            yield from self.parse_items(self.payload_bytes(response), response.url)  # reports it
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "page de résultats illisible",
            }
            return
        for raw in raw_notices:
            yield from self.follow_xml(raw, response.url)
        token = page.get("iterationNextToken")
        if token and raw_notices:
            yield self.search(token)

    def follow_xml(self, raw: dict[str, Any], origin: str) -> Iterator[Any]:
        """The search-result notice, kept aside while its eForms XML is fetched."""
        result = parse_payload(
            json.dumps({"notices": [raw]}).encode("utf-8"),
            origin,
            fmt="ted_api",
            source=self.source,
        )
        yield from (problem_item(p) for p in result.problems)
        if not result.notices:
            return
        fallback = result.notices[0]
        url = ted_xml_url(raw) or self.template_url(fallback.native_id)
        if not url or not _truthy(self.options.get("fetch_xml", True)):
            yield notice_item(fallback)
            return
        yield scrapy.Request(
            url,
            callback=self.parse_xml,
            errback=self.xml_failed,
            cb_kwargs={"fallback": fallback},
        )

    def template_url(self, publication_number: str) -> str | None:
        template = self.options.get("notice_url")
        return str(template).format(publication_number=publication_number) if template else None

    def parse_xml(self, response: Response, fallback: Notice, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        result = parse_payload(
            self.payload_bytes(response), response.url, fmt="ted_eforms", source=self.source
        )
        yield from (problem_item(p) for p in result.problems)
        if not result.notices:
            yield notice_item(fallback)
            yield {
                "type": "failure",
                "origin": response.url,
                "reason": "XML eForms illisible : avis gardé d'après le résultat de recherche",
            }
            return
        yield notice_item(aligned(result.notices[0], fallback))

    def xml_failed(self, failure: Failure) -> Iterator[Any]:
        request = getattr(failure, "request", None)
        fallback = request.cb_kwargs.get("fallback") if request is not None else None
        if fallback is not None:
            yield notice_item(fallback)
        yield from self.failed(failure)


def _truthy(value: object) -> bool:
    return str(value).strip().lower() not in ("false", "0", "no", "non", "")


def aligned(full: Notice, fallback: Notice) -> Notice:
    """The eForms notice under the search result's uid, with both notices' identifiers."""
    identifiers = list(dict.fromkeys([*fallback.identifiers, *full.identifiers]))
    update: dict[str, Any] = {"identifiers": identifiers}
    if full.uid != fallback.uid:
        update |= {"uid": fallback.uid, "native_id": fallback.native_id}
    for name in ("url", "published"):
        if getattr(full, name) is None and getattr(fallback, name) is not None:
            update[name] = getattr(fallback, name)
    return full.model_copy(update=update).with_hash()
