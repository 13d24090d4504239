"""TED search results get their kind from the notice-type field the spider asks for (replay).

The five notices are the real search-API sample; the `notice-type` values the replay server adds
are constructed (the real response was fetched without that field), see `TED_NOTICE_TYPES`.
"""

from __future__ import annotations

import pytest
from replay import ReplayServer
from replay_sources import FAST, TED_NOTICE_TYPES, ted_routes

from veilleuse.core.models import NoticeKind
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.runner import CrawlSpec, run_crawl
from veilleuse.spiders.sources.ted import FIELDS

pytestmark = pytest.mark.integration


def test_search_asks_for_the_kind_fields_and_search_notices_get_their_kind() -> None:
    assert {"notice-type", "form-type"} <= set(FIELDS)
    with ReplayServer() as server:
        url = ted_routes(server, per_page=5, notice_types=TED_NOTICE_TYPES)
        spec = CrawlSpec(
            source="ted",
            spider="veilleuse.spiders.sources.ted:TedSpider",
            endpoint=url,
            fmt="ted_api",
            since="2026-07-01",
            until="2026-07-31",
            options={"fetch_xml": False},
            settings=polite_settings("Veilleuse-test/1.0", overrides=FAST),
        )
        out = run_crawl(spec, timeout_s=120)
        asked = server.hits_on("/ted/search")[0].json()["fields"]
        xml_hits = [h for h in server.hits if h.path.startswith("/ted/notice/")]
    assert out.complete, out.failures
    assert "notice-type" in asked and "form-type" in asked
    assert xml_hits == []  # fetch_xml: false keeps the search-result notices
    kinds = {n.native_id: n.kind for n in out.notices}
    assert kinds == {
        "475939-2026": NoticeKind.TENDER,
        "476004-2026": NoticeKind.AWARD,
        "476630-2026": NoticeKind.PIN,
        "476633-2026": NoticeKind.TENDER,
        "476651-2026": NoticeKind.AWARD,
    }


def test_without_the_field_a_search_notice_without_deadline_stays_other() -> None:
    """The same real notices without notice-type (the real sample): the first has no deadline."""
    with ReplayServer() as server:
        url = ted_routes(server, per_page=5)
        spec = CrawlSpec(
            source="ted",
            spider="veilleuse.spiders.sources.ted:TedSpider",
            endpoint=url,
            fmt="ted_api",
            since="2026-07-01",
            until="2026-07-31",
            options={"fetch_xml": "false"},
            settings=polite_settings("Veilleuse-test/1.0", overrides=FAST),
        )
        out = run_crawl(spec, timeout_s=120)
    kinds = {n.native_id: n.kind for n in out.notices}
    assert kinds["475939-2026"] == NoticeKind.OTHER
    assert kinds["476004-2026"] == NoticeKind.TENDER  # a tender deadline is given
