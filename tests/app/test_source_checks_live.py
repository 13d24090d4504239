"""`sources check --fetch`: a one-page dry run of every source kind against the replay server.

Real HTTP on 127.0.0.1 (see tests/spiders/replay.py); the routes serve the recorded samples of
data/samples (real API records, constructed feeds and listing pages, see their READMEs).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from replay import ReplayServer
from replay_checks import kinds_catalogue
from replay_sources import FAST

from veilleuse.app.context import Context
from veilleuse.app.source_checks import FetchCheck, failing, fetch_check
from veilleuse.config.settings import get_settings
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records

pytestmark = pytest.mark.integration


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    settings = get_settings(data_dir=tmp_path)
    with Context(settings, records=Records(settings.records_url())) as context:
        yield context


def run(ctx: Context) -> dict[str, FetchCheck]:
    with ReplayServer() as server:
        lines = fetch_check(
            ctx,
            catalogue=kinds_catalogue(server),
            include_disabled=True,
            scrapy_overrides=FAST,
            today=date(2026, 2, 15),
            days=3650,
            parallel=4,
        )
    return {line.source: line for line in lines}


def test_every_source_kind_gets_its_verdict(ctx: Context) -> None:
    lines = run(ctx)
    verdicts = {name: line.verdict for name, line in lines.items()}
    assert verdicts == {
        "boamp": "ok",
        "ted": "ok",
        "aides-territoires": "ok",
        "at-sans-jeton": "unconfigured",
        "decp": "ok",
        "rss": "ok",
        "atom": "ok",
        "essor": "ok",
        "essor-change": "broken",
        "essor-date": "degraded",
        "essor-500": "broken",
        "flux-illisible": "broken",
    }
    assert {n: lines[n].http_status for n in ("boamp", "ted", "rss", "essor", "essor-500")} == {
        "boamp": 200,
        "ted": 200,
        "rss": 200,
        "essor": 200,
        "essor-500": 500,
    }
    assert lines["boamp"].items == 6 and lines["ted"].items == 5
    assert lines["rss"].items == 4 and lines["atom"].items >= 1
    assert lines["essor"].selectors == "ok" and lines["essor"].items >= 1
    assert lines["essor-change"].selectors == "no-match"
    assert lines["essor-change"].reasons[0].startswith("le sélecteur des blocs")
    assert lines["essor-date"].selectors == "no-match: deadline"
    assert lines["essor-date"].missing["deadline"] == lines["essor-date"].items
    assert lines["essor-500"].reasons[0] == "HTTP 500"
    assert lines["at-sans-jeton"].reasons == [
        "paramètre secret absent : VEILLEUSE_SOURCES__AIDES_TERRITOIRES_TOKEN"
    ]
    assert lines["boamp"].selectors == "n/a"
    # search results without their XML (fetch_xml: false): no funder for an API notice
    assert "deadline" in lines["ted"].missing
    assert sorted(line.source for line in failing(list(lines.values()))) == [
        "at-sans-jeton",
        "essor-500",
        "essor-change",
        "flux-illisible",
    ]


def test_a_check_stores_nothing_and_moves_no_watermark(ctx: Context) -> None:
    run(ctx)
    assert source_records.all_source_states(ctx.records) == {}
    assert source_records.last_source_runs(ctx.records, limit_per_source=1) == []
