"""Routes of the replay server for each live source, built from the real samples.

See data/samples/replay/README.md for what is real and what is constructed. Every builder returns
the endpoint URL the catalogue entry (or CrawlSpec) should use.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from replay import Hit, ReplayServer, Reply, json_reply

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
REPLAY = SAMPLES / "replay"

#: scrapy settings that keep replay crawls fast and bounded (politeness is for real hosts)
FAST: dict[str, Any] = {
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "DOWNLOAD_TIMEOUT": 1,
    "RETRY_TIMES": 2,
    "RETRY_BACKOFF_BASE": 0.01,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
}


def sample_json(relative: str) -> Any:
    return json.loads((SAMPLES / relative).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- BOAMP (ODS)

_BOUND = re.compile(r"dateparution\s*(>=|<=)\s*date'(\d{4}-\d{2}-\d{2})'")

#: a cancellation of 99-000002, built for the tests (its GESTION names the earlier notice)
CANCELLATION = {
    "idweb": "99-000009",
    "objet": "Annulation — Entretien des espaces verts des écoles communales",
    "famille": "MAPA",
    "code_departement": ["59"],
    "dateparution": "2024-02-01",
    "nomacheteur": "Commune de Exempleville (fictive)",
    "nature": "APPEL_OFFRE",
    "etat": "AVIS_ANNULE",
    "gestion": json.dumps(
        {
            "REFERENCE": {"IDWEB": "99-000009"},
            "MARCHE": {"ANNONCE_ANTERIEUR": {"REFERENCE": {"IDWEB": "99-000002"}}},
        }
    ),
}


def boamp_records(with_cancellation: bool = False) -> list[dict[str, Any]]:
    records = list(sample_json("boamp/ods_v21/boamp_records_constructed.json")["results"])
    return [*records, CANCELLATION] if with_cancellation else records


def boamp_route(
    server: ReplayServer,
    records: list[dict[str, Any]],
    api_limit: int = 10_000,
    faults: list[str] | None = None,
) -> str:
    """An OpenDataSoft records endpoint honouring where/order_by/offset/limit."""

    def handler(hit: Hit) -> Reply:
        offset, limit = int(hit.query.get("offset", 0)), int(hit.query.get("limit", 10))
        if offset + limit > api_limit or limit > 100:
            return json_reply({"error_code": "InvalidRESTParameterError"}, 400)
        bounds = dict((op, day) for op, day in _BOUND.findall(hit.query.get("where", "")))
        chosen = [
            r
            for r in records
            if bounds.get(">=", "0000") <= str(r.get("dateparution")) <= bounds.get("<=", "9999")
        ]
        chosen.sort(key=lambda r: (str(r.get("dateparution")), str(r.get("idweb"))))
        return json_reply({"total_count": len(chosen), "results": chosen[offset : offset + limit]})

    return server.route("/boamp/records", handler, faults)


# --------------------------------------------------------------------------- TED

#: API notice → eForms example served as its XML (arbitrary, constructed pairing)
TED_XML = {
    "475939-2026": "ted_eforms/cn_24_FRA_comments.xml",
    "476004-2026": "ted_eforms/cn-social_25.xml",
    "476630-2026": "ted_eforms/cn_24_open.xml",
    "476633-2026": "ted_eforms/cn_24_maximal.xml",
    "476651-2026": "ted_eforms/cn_23.xml",
}


#: BT-02 codes given to the real API notices when a test asks for `notice-type` (CONSTRUCTED: the
#: real response was fetched without that field), in the shapes the API may use
TED_NOTICE_TYPES: dict[str, Any] = {
    "475939-2026": "cn-standard",
    "476004-2026": ["can-standard"],
    "476630-2026": {"eng": ["pin-only"]},
    "476633-2026": "cn-social",
    "476651-2026": "veat",
}


def ted_routes(
    server: ReplayServer,
    per_page: int = 2,
    search_faults: list[str] | None = None,
    xml_faults: dict[str, list[str]] | None = None,
    notice_types: dict[str, Any] | None = None,
) -> str:
    """The search route (and each notice's XML); with `notice_types`, the search answers the
    `notice-type` field for the notices named, and only when the request asks for it."""
    notices = copy.deepcopy(sample_json("ted_api_v3/ted_search_v3_subset.json")["notices"])
    for notice in notices:
        number = notice["publication-number"]
        path = f"/ted/notice/{number}/xml"
        notice["links"]["xml"] = {"MUL": server.url(path)}
        body = (SAMPLES / TED_XML[number]).read_bytes()
        server.static(path, body, faults=(xml_faults or {}).get(number))

    def search(hit: Hit) -> Reply:
        request = hit.json()
        start = int(request.get("iterationNextToken") or 0)
        page = copy.deepcopy(notices[start : start + per_page])
        if notice_types and "notice-type" in request.get("fields", []):
            for notice in page:
                if notice["publication-number"] in notice_types:
                    notice["notice-type"] = notice_types[notice["publication-number"]]
        following = start + per_page
        payload: dict[str, Any] = {"notices": page, "totalNoticeCount": len(notices)}
        if following < len(notices):
            payload["iterationNextToken"] = str(following)
        return json_reply(payload)

    return server.route("/ted/search", search, search_faults)


# --------------------------------------------------------------------------- Aides-territoires

AT_API_TOKEN = "jeton-de-test"


def aides_territoires_routes(server: ReplayServer, faults: list[str] | None = None) -> str:
    page = sample_json("aides_territoires/departement_drome_aids_api.json")
    aids = page["results"]

    def connexion(hit: Hit) -> Reply:
        if hit.method != "POST" or hit.headers.get("x-auth-token") != AT_API_TOKEN:
            return json_reply({"detail": "jeton invalide"}, 401)
        return json_reply({"token": "bearer-42"})

    def listing(hit: Hit) -> Reply:
        if hit.headers.get("authorization") != "Bearer bearer-42":
            return json_reply({"detail": "non authentifié"}, 401)
        number = int(hit.query.get("page", 1))
        following = server.url(f"/at/aids/?page={number + 1}") if number < len(aids) else None
        previous = server.url(f"/at/aids/?page={number - 1}") if number > 1 else None
        return json_reply(
            {
                "count": len(aids),
                "next": following,
                "previous": previous,
                "results": aids[number - 1 : number],
            }
        )

    server.route("/at/connexion/", connexion)
    return server.route("/at/aids/", listing, faults)


# --------------------------------------------------------------------------- DECP

DECP_FILES = {
    "decp-2024-02-28.json": "decp/decp_rama_002_modification_montant.json",
    "decp-2024-03-01.json": "decp/decp_processing_test_2022.json",
    "decp-2024-03-02.json": "decp/decp_rama_001_marche_simple.json",
}


def decp_routes(server: ReplayServer, file_faults: dict[str, list[str]] | None = None) -> str:
    document = (REPLAY / "datagouv_decp_dataset.template").read_text(encoding="utf-8")
    server.static(
        "/decp/dataset",
        document.replace("{base}", server.base).encode("utf-8"),
        content_type="application/json",
    )
    for name, relative in DECP_FILES.items():
        server.static(
            f"/decp/files/{name}",
            (SAMPLES / relative).read_bytes(),
            content_type="application/json",
            faults=(file_faults or {}).get(name),
        )
    return server.url("/decp/dataset")


# --------------------------------------------------------------------------- feeds and pages

FEED_ETAG = '"feed-v1"'
FEED_LAST_MODIFIED = "Mon, 02 Feb 2026 08:00:00 GMT"


def feed_route(
    server: ReplayServer, name: str = "appels_a_projets_rss2.xml", faults: list[str] | None = None
) -> str:
    return server.static(
        f"/feeds/{name}",
        (SAMPLES / "rss" / name).read_bytes(),
        content_type="application/rss+xml; charset=utf-8",
        etag=FEED_ETAG,
        last_modified=FEED_LAST_MODIFIED,
        faults=faults,
    )


ESSOR_OPTIONS: dict[str, Any] = {
    "item": ".projet",
    "title": "h3 ::text",
    "link": "h3 a::attr(href)",
    "deadline": ".date-limite ::text",
    "funder_selector": ".organisme ::text",
    "summary": ".resume ::text",
    "next": "a.suivant::attr(href)",
}


def essor_routes(server: ReplayServer, faults: list[str] | None = None) -> str:
    html = "text/html; charset=utf-8"
    server.static("/projets-2.html", (REPLAY / "essor_listing_p2.html").read_bytes(), html)
    return server.static(
        "/essor/projets.html", (REPLAY / "essor_listing_p1.html").read_bytes(), html, faults=faults
    )
