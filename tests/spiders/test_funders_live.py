"""The Hauts-de-France funders of the catalogue, each crawled with its own catalogue entry
(spider, parser, selectors) against its replay fixture served over real HTTP on 127.0.0.1.

The fixtures (data/samples/replay/hauts_de_france/) are CONSTRUCTED pages and feeds carrying
real facts copied from stored public pages; their markup is invented, so these tests prove that
the catalogue's selectors and parsers read such a page, not that the live page still looks like
it: that is `veilleuse sources check --fetch NAME`, run live before an entry is enabled.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from replay import ReplayServer
from replay_sources import AT_API_TOKEN, FAST, REPLAY, aides_territoires_routes

from veilleuse.app.context import Context
from veilleuse.app.source_checks import fetch_check
from veilleuse.config.settings import get_settings
from veilleuse.core.models import NoticeKind
from veilleuse.records.db import Records
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.catalogue import SourceEntry, SourceKind, load_catalogue
from veilleuse.spiders.runner import CrawlOutcome, CrawlSpec, run_crawl

pytestmark = pytest.mark.integration

FIXTURES = REPLAY / "hauts_de_france"
#: catalogue entry → its replay fixture
HAUTS_DE_FRANCE = {
    "region-hauts-de-france": "region_hauts_de_france_aides.html",
    "europe-hauts-de-france": "europe_hauts_de_france_financements.html",
    "departement-nord": "departement_nord_dispositifs.html",
    "mel-ess": "mel_economie_sociale.html",
    "valenciennes-metropole": "valenciennes_metropole_appels.html",
    "cress-hauts-de-france": "cress_hauts_de_france_feed.xml",
    "maillage": "maillage_backend.xml",
    "france-active-nord": "france_active_nord_feed.xml",
}


def entries() -> dict[str, SourceEntry]:
    catalogue = {e.name: e for e in load_catalogue()}
    return {name: catalogue[name] for name in HAUTS_DE_FRANCE}


def serve(server: ReplayServer, entry: SourceEntry) -> str:
    """The fixture at the path of the entry's own URL (query string aside)."""
    path = "/" + entry.endpoint.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]
    html = entry.kind is SourceKind.HTML
    return server.static(
        path,
        (FIXTURES / HAUTS_DE_FRANCE[entry.name]).read_bytes(),
        "text/html; charset=utf-8" if html else "application/rss+xml; charset=utf-8",
    )


def crawl(name: str) -> tuple[CrawlOutcome, str]:
    entry = entries()[name]
    with ReplayServer() as server:
        url = serve(server, entry)
        spec = CrawlSpec(
            source=entry.name,
            spider=entry.spider,
            endpoint=url,
            fmt=entry.format,
            since="2000-01-01",  # the fixtures keep real, old dates
            options=entry.resolved_options(get_settings()),
            settings=polite_settings("Veilleuse-test/1.0", overrides=FAST),
        )
        return run_crawl(spec, timeout_s=120), server.base


def fields(outcome: CrawlOutcome) -> list[dict[str, Any]]:
    return [
        {
            "uid": n.uid,
            "title": n.title,
            "url": n.url,
            "deadline": n.deadline,
            "funder": n.buyer.name,
        }
        for n in outcome.notices
    ]


def test_at_least_six_hauts_de_france_funders_disabled_until_checked_live() -> None:
    found = entries()
    assert len(found) >= 6
    for entry in found.values():
        assert not entry.enabled, entry.name
        assert "pages corpus" in entry.found, entry.name
        assert (
            (FIXTURES / HAUTS_DE_FRANCE[entry.name])
            .read_text(encoding="utf-8")
            .count("CONSTRUCTED")
        ), entry.name


def test_region_aid_guide() -> None:
    out, base = crawl("region-hauts-de-france")
    assert out.complete, out.failures
    assert fields(out) == [
        {
            "uid": "region-hauts-de-france:"
            "Aide-au-developpement-des-structures-de-l-Economie-Sociale-et-Solidaire",
            "title": "Aide au développement des structures de l’Economie Sociale et Solidaire",
            "url": "https://entreprises.hautsdefrance.fr/"
            "Aide-au-developpement-des-structures-de-l-Economie-Sociale-et-Solidaire",
            "deadline": None,
            "funder": "Région Hauts-de-France",
        },
        {
            "uid": "region-hauts-de-france:aides/appel-a-projets-tiers-lieux-solidaires-fictif",
            "title": "Appel à projets Tiers-lieux solidaires (fictif)",
            "url": f"{base}/aides/appel-a-projets-tiers-lieux-solidaires-fictif",
            "deadline": date(2027, 3, 15),
            "funder": "Région Hauts-de-France",
        },
    ]
    assert all(n.kind is NoticeKind.FUNDING_CALL for n in out.notices)
    assert out.notices[0].description.startswith("Avance remboursable à taux 0")


def test_european_funds_calls_first_round_is_the_deadline() -> None:
    out, base = crawl("europe-hauts-de-france")
    assert out.complete, out.failures
    first, second = fields(out)
    assert first == {
        "uid": "europe-hauts-de-france:feader-aap-pread-2025-aide-aux-activites-daccueil-a-la-ferme",
        "title": "FEADER – AAP PREAD 2025 – Aide aux activités d’accueil à la ferme",
        "url": f"{base}/feader-aap-pread-2025-aide-aux-activites-daccueil-a-la-ferme",
        "deadline": date(2025, 11, 17),
        "funder": "Région Hauts-de-France (fonds européens)",
    }
    assert second["deadline"] == date(2027, 6, 30)


def test_departement_du_nord_schemes() -> None:
    out, base = crawl("departement-nord")
    assert out.complete, out.failures
    assert [(f["title"], f["deadline"], f["url"]) for f in fields(out)] == [
        (
            "Actions d’Intérêt Local (AIL)",
            date(2022, 10, 17),
            f"{base}/jcms/ail-actions-d-interet-local",
        ),
        (
            "Aide départementale aux villages et bourgs (ADVB)",
            None,
            f"{base}/jcms/advb-aide-villages-et-bourgs",
        ),
        (
            "Projets territoriaux structurants (PTS)",
            None,
            f"{base}/jcms/pts-projets-territoriaux-structurants",
        ),
    ]
    assert {f["funder"] for f in fields(out)} == {"Département du Nord"}


def test_mel_entreprendre_autrement() -> None:
    out, base = crawl("mel-ess")
    assert out.complete, out.failures
    assert fields(out) == [
        {
            "uid": "mel-ess:entreprendre-autrement",
            "title": "Appel à projets permanent « Entreprendre autrement »",
            "url": f"{base}/entreprendre-autrement",
            "deadline": None,
            "funder": "Métropole Européenne de Lille",
        },
        {
            "uid": "mel-ess:un-coup-de-fourchette-pour-demain",
            "title": "Appel à candidature « Un coup de fourchette pour demain »",
            "url": f"{base}/un-coup-de-fourchette-pour-demain",
            "deadline": None,
            "funder": "Métropole Européenne de Lille",
        },
    ]
    assert "30 000 €" in (out.notices[0].description or "")


def test_valenciennes_metropole_ess_call() -> None:
    out, base = crawl("valenciennes-metropole")
    assert out.complete, out.failures
    ess, ami = fields(out)
    assert ess == {
        "uid": "valenciennes-metropole:competences/appels-a-projets-subventions/"
        "appel-a-projets-ess-2025",
        "title": "Appel à projets de soutien aux initiatives de l’ESS 2025",
        "url": f"{base}/competences/appels-a-projets-subventions/appel-a-projets-ess-2025/",
        "deadline": date(2025, 8, 18),
        "funder": "Valenciennes Métropole",
    }
    assert ami["title"] == (
        "Appel à manifestation d’intérêt complémentaire pour la programmation Politique de la "
        "Ville 2024"
    )
    assert ami["url"].startswith("https://www.valenciennes-metropole.fr/competences/")
    assert ami["deadline"] is None


def test_cress_feed() -> None:
    out, _ = crawl("cress-hauts-de-france")
    assert out.complete, out.failures
    by_title = {n.title: n for n in out.notices}
    voeux = by_title["Retour sur les vœux de l’ESS"]
    assert voeux.url == "https://cresshdf.org/retour-sur-les-voeux-de-less/"
    assert voeux.published == date(2018, 1, 29) and voeux.deadline is None
    call = by_title["Appel à projets « Coopérations ESS en territoire » (fictif)"]
    assert call.deadline == date(2027, 1, 15)
    assert call.places.departments == ["59"]
    assert all(n.uid.startswith("cress-hauts-de-france:") for n in out.notices)
    assert {n.buyer.name for n in out.notices} == {"CRESS Hauts-de-France"}  # option `funder`


def test_maillage_feed_relays_the_departement_and_mel_calls() -> None:
    out, _ = crawl("maillage")
    assert out.complete, out.failures
    by_title = {n.title: n for n in out.notices}
    ail = by_title["Jurys citoyens : Actions d’Intérêt Local du Département du Nord"]
    assert ail.deadline == date(2022, 10, 17)
    assert ail.published == date(2022, 9, 15)
    assert ail.url == (
        "https://maillage.asso.fr/ressources/actualites/article/"
        "jurys-citoyens-actions-d-interet-local?lang=fr"
    )
    assert "AAP « Entreprendre autrement » de la MEL" in by_title


def test_france_active_nord_feed() -> None:
    out, _ = crawl("france-active-nord")
    assert out.complete, out.failures
    (call,) = out.notices
    assert call.title == "Appel à candidature : « Un coup de fourchette pour demain »"
    assert call.url == "https://franceactive-nord.org/un-coup-de-fourchette-pour-demain/"
    assert call.published == date(2026, 10, 12)
    assert call.buyer.name == "Nord Actif"


def test_aides_territoires_endpoint_may_carry_a_perimeter_filter() -> None:
    """A deployment narrows Aides-territoires to its region through the endpoint's query string:
    the first page is asked with it, the token exchange stays at /api/connexion/."""
    with ReplayServer() as server:
        url = aides_territoires_routes(server) + "?perimeter=hauts-de-france"
        spec = CrawlSpec(
            source="aides-territoires",
            spider="veilleuse.spiders.sources.aides_territoires:AidesTerritoiresSpider",
            endpoint=url,
            fmt="aides_territoires",
            since="2000-01-01",
            options={"token": AT_API_TOKEN, "auth_path": "../connexion/"},
            settings=polite_settings("Veilleuse-test/1.0", overrides=FAST),
        )
        out = run_crawl(spec, timeout_s=120)
        listing = server.hits_on("/at/aids/")
        auth = server.hits_on("/at/connexion/")
    assert out.notices and len(auth) == 1
    assert listing[0].query == {"perimeter": "hauts-de-france"}


def test_sources_check_fetch_finds_every_funder_fit_on_its_fixture(tmp_path: Path) -> None:
    """The dry run of `sources check --fetch` on each funder's own entry (selectors included)."""
    settings = get_settings(data_dir=tmp_path)
    with (
        ReplayServer() as server,
        Context(settings, records=Records(settings.records_url())) as ctx,
    ):
        catalogue = [replace(e, endpoint=serve(server, e)) for e in entries().values()]
        lines = fetch_check(
            ctx,
            catalogue=catalogue,
            include_disabled=True,
            scrapy_overrides=FAST,
            today=date(2026, 11, 30),
            days=365 * 10,
            parallel=4,
        )
    report = {line.source: (line.verdict, line.http_status, line.selectors) for line in lines}
    html = ("ok", 200, "ok")
    feed = ("ok", 200, "n/a")
    assert report == {
        "region-hauts-de-france": html,
        "europe-hauts-de-france": html,
        "departement-nord": html,
        "mel-ess": html,
        "valenciennes-metropole": html,
        "cress-hauts-de-france": feed,
        "maillage": feed,
        "france-active-nord": feed,
    }
    assert all(line.items >= 1 for line in lines)
