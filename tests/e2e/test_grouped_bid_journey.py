"""The grouped-bid register in a real chromium over `veilleuse demo` data (issue 11).

The demo seeds bids (its one real suggestion made a bid at « équipe formée », plus invented ones
at other stages). The journey: the suggested team on its notice page with « Créer le groupement »
(the demo already made that bid: the click says so and creates nothing twice); the officer
creates a bid by hand on that notice with actors of the territory, moves it stage by stage, a
second tab left on a stale page has its change refused with the French message, a win is
recorded with the amount and each member's share; then the committee reads the bid and finds
no form. Screenshots: the board and a bid's timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from veilleuse.app.demo_accounts import DEMO_OFFICER
from veilleuse.config.settings import WebSettings

pytestmark = [pytest.mark.integration, pytest.mark.browser]

Shot = Callable[[Any, str], Path]
ADMIN = "admin@veilleuse.test"
COMMITTEE = "comite@valenciennes.test"
#: the demo's notice with a suggested team (three lots; a bid was made from it by the demo)
SUGGESTED = "boamp:99-100001"
#: two constructed demo actors of Valenciennes Métropole (Valenciennes, Saint-Saulve)
LEAD, OTHER = "esat-jardins-escaut", "mutuelle-sud-services"


def login(tab: Any, email: str = DEMO_OFFICER) -> None:
    tab.goto("/connexion")
    tab.get_by_label("Adresse e-mail").fill(email)
    tab.get_by_label("Mot de passe").fill(WebSettings().demo_password)
    tab.get_by_role("button", name="Se connecter").click()
    tab.wait_for_url(lambda url: "/connexion" not in url)


def move(tab: Any, stage: str) -> None:
    tab.locator(f"#to-{stage}").check()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Enregistrer le changement").click()


def test_the_suggested_team_is_offered_once(browser: Any, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    tab = context.new_page()
    login(tab, ADMIN)  # the suggested team is the MEL's: the administrator sees it too
    tab.goto(f"/avis/{SUGGESTED}")
    section = tab.locator("#groupement")
    assert section.is_visible()
    with tab.expect_navigation():
        tab.get_by_role("button", name="Créer le groupement").click()
    assert tab.get_by_text("déjà été créé depuis cette suggestion").is_visible()
    tab.goto("/groupements/liste?avis=" + SUGGESTED)
    assert tab.locator("table.bids tbody tr").count() == 1  # the demo's, not a second one
    context.close()


def test_a_bid_from_creation_to_a_win(page: Any, browser: Any, base_url: str, shot: Shot) -> None:
    login(page)
    page.goto("/groupements")
    assert page.get_by_role("heading", name="Équipes possibles").is_visible()
    # the notice of the suggestion, then the form to create a bid by hand
    page.goto(f"/avis/{SUGGESTED}")
    page.get_by_role("link", name="Créer un groupement à la main").click()
    page.wait_for_url("**/groupements/nouveau?avis=*")
    page.locator("#m-0-actor").select_option(LEAD)
    page.locator("#m-0-role").select_option("lead")
    page.locator('input[name="member-0-lots"][value="2"]').check()
    page.locator("#m-1-actor").select_option(OTHER)
    page.locator('input[name="member-1-lots"][value="1"]').check()
    page.get_by_label("Forme du groupement").select_option("solidaire")
    page.get_by_label("Notes").fill("Visite des sites prévue lundi.")
    page.get_by_role("button", name="Créer le groupement").click()
    page.wait_for_url("**/groupements/*")
    bid_url = page.url
    assert page.locator(".stage-badge").first.inner_text() == "repérée"
    assert page.locator(".lead-badge").first.is_visible()  # the mandataire is marked

    move(page, "interest")
    assert page.locator(".stage-badge").first.inner_text() == "intérêt"
    move(page, "team_formed")
    assert page.locator(".stage-badge").first.inner_text() == "équipe formée"

    # a second tab stays on the page at « équipe formée » while the first one moves on
    stale = page.context.new_page()
    stale.goto(bid_url)
    move(page, "submitted")
    assert page.locator(".stage-badge").first.inner_text() == "candidature déposée"
    stale.locator("#to-abandoned").check()
    stale.get_by_label("Raison", exact=True).select_option("capacity")
    with stale.expect_navigation():
        stale.get_by_role("button", name="Enregistrer le changement").click()
    error = stale.locator(".transition-error")
    assert error.is_visible()
    assert "vient de passer à « candidature déposée »" in error.inner_text()
    assert stale.locator(".stage-badge").first.inner_text() == "candidature déposée"
    stale.close()

    # the win: choosing « gagnée » asks the amount and each member's share
    page.reload()
    assert not page.get_by_label("Montant gagné (€ HT)").is_visible()
    page.locator("#to-won").check()
    page.get_by_label("Montant gagné (€ HT)").fill("38 500")
    shares = page.locator(".shares input")
    shares.nth(0).fill("60")
    shares.nth(1).fill("40")
    page.get_by_label("Note (facultative)").fill("Notification reçue le matin.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer le changement").click()
    assert page.locator(".stage-badge").first.inner_text() == "gagnée"
    members = page.locator("#members-title + .table-scroll")
    assert "60 %" in members.inner_text() and "40 %" in members.inner_text()
    timeline = page.locator("ol.timeline")
    assert "candidature déposée → gagnée" in timeline.inner_text()
    assert "Notification reçue le matin." in timeline.inner_text()
    page.locator("#chronologie").scroll_into_view_if_needed()
    shot(page, "groupement-chronologie")
    page.goto("/groupements")
    shot(page, "groupements-tableau")

    # the committee, in a context of its own: reads the bid, finds no form
    committee = browser.new_context(base_url=base_url, locale="fr-FR")
    tab = committee.new_page()
    login(tab, COMMITTEE)
    tab.goto(bid_url)
    assert tab.locator(".stage-badge").first.inner_text() == "gagnée"
    assert "candidature déposée → gagnée" in tab.locator("ol.timeline").inner_text()
    assert tab.locator("main form").count() == 0
    assert tab.get_by_role("link", name="Modifier le groupement").count() == 0
    tab.goto("/groupements")
    assert tab.locator("main form").count() == 0
    committee.close()
