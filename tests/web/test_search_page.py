"""The search page `/recherche`: facets with counts and links, paging, highlights shown safely,
bad parameters as a French 400 page, the form and links that make the URL the whole view."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from search_data import (
    COUNT,
    XSS_TITLE,
    WordEmbedder,
    count_where,
    department,
    kind,
    reserved,
    seed,
)

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.errors import ConfigError
from veilleuse.core.models import NoticeKind

Clients = Callable[[str | None], TestClient]
_FACET = re.compile(r'<section class="facet" aria-labelledby="facet-(\w+)">(.*?)</section>', re.S)
_OPTION = re.compile(r'<a href="([^"]*)" class="facet-link( selected)?"[^>]*>(.*?)</a></li>', re.S)
_LABEL = re.compile(r'<span class="facet-label">([^<]*)</span>')
_COUNT = re.compile(r'<span class="count">(\d+)')
_HIT = re.compile(r'<h3 class="hit-title"><a href="/avis/([^"]+)">')


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    return seed(app)


def facets(page: str) -> dict[str, dict[str, tuple[int | None, bool, str]]]:
    """facet name → label → (count, selected, href) read from the page."""
    out: dict[str, dict[str, tuple[int | None, bool, str]]] = {}
    for name, body in _FACET.findall(page):
        options = out.setdefault(name, {})
        for href, selected, inner in _OPTION.findall(body):
            label = _LABEL.search(inner)
            count = _COUNT.search(inner)
            assert label, inner
            options[html.unescape(label.group(1))] = (
                int(count.group(1)) if count else None,
                bool(selected),
                html.unescape(href),
            )
    return out


def hits(page: str) -> list[str]:
    from urllib.parse import unquote

    return [unquote(uid) for uid in _HIT.findall(page)]


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_words_list_every_matching_notice_with_facet_counts(
    client_for: Clients, ctx: Context
) -> None:
    page = client_for("officer").get("/recherche?mode=text&q=nettoyage&per_page=50")
    assert page.status_code == 200
    assert f"{COUNT + 1} avis" in page.text
    assert len(hits(page.text)) == COUNT + 1
    found = facets(page.text)
    departments = found["department"]
    assert departments["59 – Nord"][0] == count_where(lambda i: department(i) == "59")
    assert departments["62 – Pas-de-Calais"][0] == count_where(lambda i: department(i) == "62") + 1
    assert found["kind"]["Appel à projets"][0] == count_where(
        lambda i: kind(i) is NoticeKind.FUNDING_CALL
    )
    assert found["reserved"]["oui"][0] == count_where(reserved)
    assert "90 – " in " ".join(found["cpv_division"])  # divisions worded in French
    assert found["audience"]["associations"][0] == count_where(
        lambda i: kind(i) is NoticeKind.FUNDING_CALL
    )


def test_a_facet_link_filters_the_results_and_changes_the_other_counts(
    client_for: Clients, ctx: Context
) -> None:
    client = client_for("officer")
    before = facets(client.get("/recherche?mode=text&q=nettoyage&per_page=50").text)
    count, selected, href = before["department"]["59 – Nord"]
    assert not selected and params(href)["dep"] == ["59"] and params(href)["q"] == ["nettoyage"]

    page = client.get(href).text
    nord = [i for i in range(COUNT) if department(i) == "59"]
    assert sorted(hits(page)) == sorted(f"boamp:T{i:02d}" for i in nord)
    after = facets(page)
    # the other facets count what the page lists
    tenders = sum(1 for i in nord if kind(i) is NoticeKind.TENDER)
    assert after["kind"]["Appel d'offres"][0] == tenders
    assert after["kind"]["Appel d'offres"][0] != before["kind"]["Appel d'offres"][0]
    # the département facet still counts the others (choosing one adds it), and the chosen
    # value's link removes it
    count59, selected59, remove = after["department"]["59 – Nord"]
    assert selected59 and count59 == count and "dep" not in params(remove)
    count62, selected62, add = after["department"]["62 – Pas-de-Calais"]
    assert not selected62 and count62 == before["department"]["62 – Pas-de-Calais"][0]
    assert params(add)["dep"] == ["59", "62"]
    # the active criterion can be removed, and the form keeps it as a hidden field
    assert '<input type="hidden" name="dep" value="59">' in page
    assert "Département : 59 – Nord" in html.unescape(page)


def test_single_value_facets_replace_their_value(client_for: Clients, ctx: Context) -> None:
    client = client_for("staff")
    found = facets(client.get("/recherche?mode=text&reserved=true").text)
    _, selected, remove = found["reserved"]["oui"]
    assert selected and "reserved" not in params(remove)
    _, _, switch = found["reserved"]["non"]
    assert params(switch)["reserved"] == ["false"]
    page = client.get("/recherche?mode=text&reserved=true").text
    assert f"{count_where(reserved)} avis" in page


def test_deadline_facet_links_set_a_range_whose_count_matches(
    client_for: Clients, ctx: Context
) -> None:
    client = client_for("officer")
    found = facets(client.get("/recherche?mode=text&per_page=50").text)["deadline"]
    count, _, href = found["dans les 7 jours"]
    assert set(params(href)) >= {"deadline_from", "deadline_to"}
    page = client.get(href).text
    assert len(hits(page)) == count == 1  # T00: in 5 days


def test_paging_links_with_the_current_page_marked(client_for: Clients, ctx: Context) -> None:
    client = client_for("officer")
    first = client.get("/recherche?mode=text&per_page=5&sort=deadline").text
    assert f"{COUNT + 1} avis" in first
    assert hits(first) == [f"boamp:T{i:02d}" for i in range(5)]
    assert re.search(r'aria-current="page"><span class="visually-hidden">Page </span>1</a>', first)
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second_href = html.unescape(re.search(r'href="([^"]*)" rel="next"', first).group(1))  # type: ignore[union-attr]
    assert params(second_href)["page"] == ["2"] and params(second_href)["sort"] == ["deadline"]
    second = client.get(second_href).text
    assert hits(second) == [f"boamp:T{i:02d}" for i in range(5, 10)]
    assert '<ol class="hits" start="6">' in second
    assert re.search(r'aria-current="page"><span class="visually-hidden">Page </span>2</a>', second)
    last = client.get("/recherche?mode=text&per_page=5&sort=deadline&page=3").text
    assert len(hits(last)) == COUNT + 1 - 10 and 'rel="next"' not in last


def test_markup_in_a_title_or_highlight_is_shown_as_text(client_for: Clients, ctx: Context) -> None:
    page = client_for("officer").get("/recherche?mode=text&q=sp%C3%A9ciale+bureaux").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the description's excerpt
    assert "<mark>" in page  # the words are still marked
    listed = client_for("officer").get("/recherche?mode=text&per_page=50").text
    assert str(escape(XSS_TITLE)) in listed and "<script>alert" not in listed


def test_bad_parameters_answer_400_in_french(client_for: Clients, ctx: Context) -> None:
    page = client_for("officer").get("/recherche?dep=999&sort=nimporte&q=eau")
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert "« 999 » n'est pas un code de département" in text
    assert "Paramètre sort" in text
    assert 'value="eau"' in page.text  # the words typed stay in the box
    assert "Traceback" not in page.text


def test_the_form_is_get_with_the_codec_names_and_every_field_labelled(
    client_for: Clients, ctx: Context
) -> None:
    page = client_for("officer").get("/recherche?mode=text&q=nettoyage&buyer=ville").text
    form = page.split('id="recherche"')[1].split("</form>")[0]
    names = set(re.findall(r'name="([^"]+)"', form))
    assert names <= {"q", "mode", "sort", "deadline_from", "deadline_to", "published_days",
                     "reserved", "social_clause", "buyer", "amount_min", "amount_max", "dep",
                     "cpv", "kind", "source", "status", "audience", "per_page"}  # fmt: skip
    for field_id in re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*id="([^"]+)"', form):
        assert f'for="{field_id}"' in form, field_id
    assert 'method="get" action="/recherche"' in page
    assert 'value="ville"' in form and '<option value="text" selected>' in form
    # exports and the save form carry the same view (no page)
    assert "/recherche/export.xlsx?q=nettoyage&amp;mode=text&amp;buyer=ville" in page
    assert 'name="query" value="q=nettoyage&amp;mode=text&amp;buyer=ville"' in page


def test_hybrid_mode_is_the_default(
    client_for: Clients, web_app: tuple[FastAPI, Settings], ctx: Context
) -> None:
    ctx._embedder = WordEmbedder()  # a seam: the real model stays unloaded
    page = client_for("officer").get("/recherche?q=nettoyage")
    assert page.status_code == 200
    assert '<option value="hybrid" selected>' in page.text
    assert "boamp:T00" in hits(page.text)


def test_semantic_search_unavailable_falls_back_to_words(client_for: Clients, ctx: Context) -> None:
    class Broken:
        name = "broken"
        dimension = 8

        def encode(self, texts: object) -> object:
            raise ConfigError("no model")

    ctx._embedder = Broken()  # type: ignore[assignment]
    page = client_for("officer").get("/recherche?mode=vector&q=nettoyage")
    assert page.status_code == 200
    assert "La recherche par le sens est indisponible" in html.unescape(page.text)
    assert len(hits(page.text)) == min(COUNT + 1, 20)


def test_navigation_and_permissions(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer").get("/recherche").text
    assert 'href="/recherche" aria-current="page">Recherche</a>' in officer
    committee = client_for("committee").get("/recherche")
    assert committee.status_code == 200
    assert 'action="/recherches"' not in committee.text  # no saved searches for the committee
    assert "/recherche/export.csv" in committee.text  # but exports
    assert client_for("actor").get("/recherche").status_code == 403
    anonymous = client_for(None).get("/recherche?q=eau")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/connexion?suivant=/recherche%3Fq%3Deau"


def test_no_inline_script_or_style(client_for: Clients, ctx: Context) -> None:
    client = client_for("officer")
    for path in ("/recherche?mode=text&q=nettoyage", "/recherche?dep=999"):
        page = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), path
        assert " style=" not in page and "<style" not in page, path
    script = re.search(
        r'<script src="(/static/search\.js\?v=\w+)" defer>', client.get("/recherche").text
    )
    assert script and client.get(script.group(1)).status_code == 200
