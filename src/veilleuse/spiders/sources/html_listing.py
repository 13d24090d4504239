"""Listing pages of calls for projects, read with CSS/XPath selectors given by the catalogue.

Publisher:
    Funders and ESS networks that publish their calls only as web pages (foundations, CRESS
    listings such as ESSor, régions' European-funds sites); each catalogue entry of kind `html`
    names one and gives its selectors.
Access:
    GET the listing page (robots.txt obeyed), select one block per call (`item`), read in it
    `title`, `link`, `deadline`, `published`, `summary` and the funder (`funder_selector`, else
    the constant `funder`), then follow `next` (the next-page link) up to `max_pages`. A selector
    starting with `xpath:` is an XPath expression, otherwise CSS. The extracted records take the
    flat calls-for-projects shape (`titre, organisme, date_publication, date_limite, url_source,
    resume`) and go to the `calls_for_projects` parser under the catalogue's source name.
Arguments:
    since: keep calls published on or after this day when the page gives a publication date.
    until: not used. Options: item, title, link, deadline, published, summary, funder,
    funder_selector, next, max_pages.
Caveats:
    Pages change without notice: a selector that matches nothing is reported as a failure (the
    page is not silently empty). Dates are read from French text ("27 Février 2024",
    "15/03/2026"); a page without publication dates cannot be filtered by watermark, so every
    listed call is re-read and deduplicated by content hash.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from parsel import Selector, SelectorList
from scrapy.http import Response

from veilleuse.core.normalise import clean_text
from veilleuse.spiders.base import Paging, VeilleuseSpider
from veilleuse.spiders.parsers.funding_common import parse_french_date

#: the failure of a page whose `item` selector matches nothing (`sources check --fetch` reads it)
NO_MATCH = "aucun appel trouvé avec le sélecteur de la page : la page a sans doute changé"


def select(node: Selector | Response, expression: str | None) -> SelectorList[Selector]:
    if not expression:
        return SelectorList([])
    if expression.startswith("xpath:"):
        return node.xpath(expression[len("xpath:") :])
    return node.css(expression)


def text_of(node: Selector, expression: str | None) -> str | None:
    return clean_text(" ".join(select(node, expression).getall()))


def iso_day(text: str | None) -> str | None:
    day = parse_french_date(text) if text else None
    return day.isoformat() if day else None


class HtmlListingSpider(VeilleuseSpider):
    name = "html_listing"
    fmt = "calls_for_projects"
    paging = Paging.NEXT
    filter_by_published = True

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            self.endpoint, callback=self.parse, errback=self.failed, cb_kwargs={"page": 1}
        )

    def record(self, block: Selector, response: Response) -> dict[str, Any]:
        opt = self.options
        link = select(block, opt.get("link", "a::attr(href)")).get()
        return {
            "titre": text_of(block, opt.get("title")),
            "organisme": text_of(block, opt.get("funder_selector")) or opt.get("funder"),
            "date_publication": iso_day(text_of(block, opt.get("published"))),
            "date_limite": iso_day(text_of(block, opt.get("deadline"))),
            "url_source": response.urljoin(link) if link else None,
            "resume": text_of(block, opt.get("summary")),
        }

    def parse(self, response: Response, page: int = 1, **kwargs: Any) -> Iterator[Any]:
        yield self.page_item(response)
        blocks = select(response, self.options.get("item"))
        if not blocks:
            yield {"type": "failure", "origin": response.url, "reason": NO_MATCH}
            return
        records = [self.record(block, response) for block in blocks]
        payload = json.dumps(records, ensure_ascii=False).encode("utf-8")
        yield from self.parse_items(payload, response.url)
        following = select(response, self.options.get("next")).get()
        if following and page < int(self.options.get("max_pages", 5)):
            yield response.follow(
                following, callback=self.parse, errback=self.failed, cb_kwargs={"page": page + 1}
            )
