"""The watch officer's pages in chromium over the demo data: actors, the profile editor's CPV
search (its small script), sources, and a notice reached from a profile; phone-sized, with
screenshots kept as artefacts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from veilleuse.app.demo_accounts import DEMO_OFFICER
from veilleuse.config.settings import WebSettings

pytestmark = [pytest.mark.integration, pytest.mark.browser]

Shot = Callable[[Any, str], Path]
PHONE = {"width": 390, "height": 844}
#: a demo actor of the Valenciennes officer's territory
ESAT = "esat-jardins-escaut"


def login(tab: Any, email: str = DEMO_OFFICER) -> None:
    tab.goto("/connexion")
    tab.fill("input[name=email]", email)
    tab.fill("input[name=password]", WebSettings().demo_password)
    tab.click("button[type=submit]")
    tab.wait_for_url(lambda url: "/connexion" not in url)


def fits_the_screen(tab: Any) -> bool:
    width = tab.evaluate("document.documentElement.scrollWidth")
    return bool(width <= tab.viewport_size["width"])


def test_officer_pages_fit_a_phone(page: Any, shot: Shot) -> None:
    page.set_viewport_size(PHONE)
    login(page)
    for path, name in (
        ("/acteurs", "structures"),
        (f"/acteurs/{ESAT}", "fiche"),
        (f"/acteurs/{ESAT}/modifier", "fiche-modifier"),
        ("/acteurs/importer", "import"),
        ("/sources", "sources"),
    ):
        page.goto(path)
        assert page.locator("h1").is_visible(), path
        assert fits_the_screen(page), path
        shot(page, f"veille-{name}-telephone")


def test_cpv_search_suggests_and_adds_a_code(page: Any, shot: Shot) -> None:
    login(page)
    page.goto(f"/acteurs/{ESAT}/modifier")
    before = page.input_value("#f-cpv")
    page.fill("#f-cpv-search", "élagage")
    page.wait_for_selector("#cpv-options option[value='77340000']", state="attached")
    shot(page, "veille-fiche-recherche-cpv")
    page.fill("#f-cpv-search", "77340000")  # what choosing the suggestion types
    assert page.input_value("#f-cpv").split() == [*before.split(), "77340000"]
    assert page.input_value("#f-cpv-search") == ""


def test_notice_page_from_a_profile_match(page: Any, shot: Shot) -> None:
    login(page)
    page.goto("/acteurs")
    profiles = page.eval_on_selector_all(
        "table a[href^='/acteurs/']", "links => links.map(a => a.getAttribute('href'))"
    )
    for href in profiles:
        page.goto(href)
        if page.locator("a[href^='/avis/']").count():
            break
    else:
        pytest.fail("no actor of the officer's territory has a match in the demo data")
    page.locator("a[href^='/avis/']").first.click()
    page.wait_for_url("**/avis/**")
    assert page.locator("h1").is_visible()
    assert page.get_by_role("heading", name="Structures repérées").is_visible()
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    shot(page, "veille-avis-telephone")
