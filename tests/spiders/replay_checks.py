"""A catalogue of one entry per source kind on the replay server, and the ways a source breaks:
what `sources check --fetch` is tested on (tests/app/test_source_checks_live.py, tests/test_cli_source_checks.py).
"""

from __future__ import annotations

from typing import Any

from replay import ReplayServer
from replay_sources import (
    AT_API_TOKEN,
    ESSOR_OPTIONS,
    REPLAY,
    aides_territoires_routes,
    boamp_records,
    boamp_route,
    decp_routes,
    essor_routes,
    feed_route,
    ted_routes,
)

from veilleuse.spiders.catalogue import SourceEntry, SourceKind

KINDS = {
    "boamp": (SourceKind.API, "boamp_ods", "boamp:BoampSpider"),
    "ted": (SourceKind.API, "ted_api", "ted:TedSpider"),
    "aides-territoires": (
        SourceKind.API,
        "aides_territoires",
        "aides_territoires:AidesTerritoiresSpider",
    ),
    "decp": (SourceKind.API, "decp", "decp:DecpSpider"),
    "feed": (SourceKind.FEED, "rss", "feeds:FeedSpider"),
    "html": (SourceKind.HTML, "calls_for_projects", "html_listing:HtmlListingSpider"),
}


def entry(name: str, kind: str, endpoint: str, **options: Any) -> SourceEntry:
    source_kind, fmt, spider = KINDS[kind]
    return SourceEntry(
        name=name,
        kind=source_kind,
        publisher="test",
        endpoint=endpoint,
        schedule="0 6 * * 1",
        format=fmt,
        spider=f"veilleuse.spiders.sources.{spider}",
        options=options,
        enabled=False,
    )


def kinds_catalogue(server: ReplayServer) -> list[SourceEntry]:
    """One entry per source kind, plus the ways a source breaks."""
    html = "text/html; charset=utf-8"
    broken_options = {**ESSOR_OPTIONS, "item": ".appel-qui-n-existe-plus"}
    dead_deadline = {**ESSOR_OPTIONS, "deadline": ".date-de-cloture"}
    return [
        entry("boamp", "boamp", boamp_route(server, boamp_records())),
        entry("ted", "ted", ted_routes(server, per_page=5)),
        entry(
            "aides-territoires",
            "aides-territoires",
            aides_territoires_routes(server),
            token=AT_API_TOKEN,
            auth_path="../connexion/",
        ),
        entry(
            "at-sans-jeton",
            "aides-territoires",
            server.url("/at/aids/"),
            token="setting:sources.aides_territoires_token",
        ),
        entry("decp", "decp", decp_routes(server)),
        entry("rss", "feed", feed_route(server)),
        entry("atom", "feed", feed_route(server, "appels_a_projets_atom.xml")),
        entry("essor", "html", essor_routes(server), **ESSOR_OPTIONS),
        entry("essor-change", "html", server.static("/change.html", _essor_p1(), html),
              **broken_options),
        entry("essor-date", "html", server.static("/date.html", _essor_p1(), html),
              **dead_deadline),
        entry("essor-500", "html", server.static("/p500.html", b"", html, faults=["500"] * 5),
              **ESSOR_OPTIONS),
        entry("flux-illisible", "feed", server.static("/illisible.xml", _essor_p1(), html)),
    ]  # fmt: skip


def _essor_p1() -> bytes:
    return (REPLAY / "essor_listing_p1.html").read_bytes()
