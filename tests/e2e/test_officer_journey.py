"""The watch officer's day in a real chromium over `veilleuse demo` data, as issue 10 lists it:
log in, search and narrow by a facet (counts change), save the search, download the XLSX export
and read it back, edit an actor, import a CSV with a bad row; and a committee member who cannot
edit. Screenshots of the main pages are kept as artefacts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from veilleuse.app.demo_accounts import DEMO_OFFICER
from veilleuse.config.settings import WebSettings

pytestmark = [pytest.mark.integration, pytest.mark.browser]

Shot = Callable[[Any, str], Path]
ESAT = "esat-jardins-escaut"  # a demo actor of the Valenciennes officer's territory
COMMITTEE = "comite@valenciennes.test"


def login(tab: Any, email: str = DEMO_OFFICER) -> None:
    tab.goto("/connexion")
    tab.get_by_label("Adresse e-mail").fill(email)
    tab.get_by_label("Mot de passe").fill(WebSettings().demo_password)
    tab.get_by_role("button", name="Se connecter").click()
    tab.wait_for_url(lambda url: "/connexion" not in url)


def results_count(tab: Any) -> int:
    text = tab.locator("#resultats").inner_text()
    found = re.match(r"\s*(\d+) avis", text)
    return int(found.group(1)) if found else 0


def facet_counts(tab: Any) -> dict[str, int]:
    """Every facet link's label → count, as shown in the "Affiner" column."""
    counts: dict[str, int] = {}
    for link in tab.locator("aside.facets a.facet-link").all():
        label = link.locator(".facet-label").inner_text()
        count = link.locator(".count")
        if count.count():
            counts[label] = int(re.sub(r"\D", "", count.inner_text()))
    return counts


def test_log_in_search_and_narrow_with_a_facet(page: Any, shot: Shot) -> None:
    login(page)
    assert page.url.endswith("/recherche")
    page.get_by_label("Mots recherchés").fill("insertion")
    page.get_by_label("Type de recherche").select_option("text")
    page.get_by_role("button", name="Rechercher").first.click()
    page.wait_for_url("**/recherche?**")
    before_total, before = results_count(page), facet_counts(page)
    assert before_total > 1, "the demo data has several notices about insertion"
    shot(page, "recherche")
    # the first facet value that narrows the results, clicked as a person would
    label = next(name for name, count in before.items() if 0 < count < before_total)
    expected = before[label]
    page.locator("aside.facets a.facet-link", has_text=label).first.click()
    page.wait_for_load_state()
    assert results_count(page) == expected < before_total
    after = facet_counts(page)
    assert after != before, "the facet counts follow the chosen filter"
    assert "q=insertion" in page.url  # the URL holds the whole view
    shot(page, "recherche-affinee")


def test_save_the_search_and_download_the_xlsx(page: Any, shot: Shot, tmp_path: Path) -> None:
    login(page)
    page.goto("/recherche?q=nettoyage&mode=text&kind=tender")
    page.get_by_label("Nom de la recherche").fill("Nettoyage — appels d'offres")
    page.get_by_label("Alerte par e-mail").select_option("weekly")
    page.get_by_role("button", name="Enregistrer la recherche").click()
    page.goto("/recherches")
    assert page.get_by_text("Nettoyage — appels d'offres").first.is_visible()
    shot(page, "mes-recherches")

    page.goto("/recherche?q=nettoyage&mode=text&kind=tender")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en XLSX").click()
    path = tmp_path / "export.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    text = "\n".join(cells)
    assert "nettoyage" in text.lower()  # the query is written into the file
    assert "Appel d'offres" in text or "appel d'offres" in text.lower()  # and the kind filter
    assert sheet.max_row > 5  # filter lines, a header and rows


def test_edit_an_actor(page: Any, shot: Shot) -> None:
    login(page)
    page.goto(f"/acteurs/{ESAT}/modifier")
    activities = page.get_by_label("Activités", exact=True)
    new_text = activities.input_value() + " Entretien de haies et taille douce."
    activities.fill(new_text)
    shot(page, "fiche-modifier")
    page.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_url(f"**/acteurs/{ESAT}")
    assert page.get_by_text("Entretien de haies et taille douce.").is_visible()
    shot(page, "fiche")


def test_import_a_csv_with_a_bad_row(page: Any, shot: Shot, tmp_path: Path) -> None:
    csv_file = tmp_path / "structures.csv"
    csv_file.write_text(
        "id,name,family,departments,email\n"
        "e2e-ressourcerie,Ressourcerie de l'Escaut (test),association,59,contact@example.org\n"
        "e2e-mauvaise,Structure sans famille connue,licorne,59,pas-une-adresse\n",
        encoding="utf-8",
    )
    login(page)
    page.goto("/acteurs/importer")
    page.get_by_label("Fichier").set_input_files(str(csv_file))
    page.get_by_role("button", name="Voir l'aperçu").click()
    page.wait_for_url("**/acteurs/importer**")
    error_row = page.locator("tr.row-error")
    assert error_row.count() == 1
    assert "ligne 3" in error_row.inner_text()
    shot(page, "import-apercu")
    # nothing is written before confirmation (looked at from a second tab)
    other = page.context.new_page()
    answer = other.goto("/acteurs/e2e-ressourcerie")
    assert answer is not None and answer.status == 404
    other.close()
    page.get_by_role("button", name="Confirmer l'import").click()
    page.goto("/acteurs/e2e-ressourcerie")
    assert "Ressourcerie de l'Escaut (test)" in page.locator("h1").inner_text()


def test_committee_reads_but_cannot_edit(page: Any, shot: Shot) -> None:
    login(page, COMMITTEE)
    page.goto(f"/acteurs/{ESAT}")
    assert page.locator("h1").is_visible()
    assert page.get_by_role("link", name=re.compile("Modifier")).count() == 0
    answer = page.goto(f"/acteurs/{ESAT}/modifier")
    assert answer is not None and answer.status == 403
    assert page.get_by_role("heading", level=1).is_visible()  # a French page, not a traceback
    shot(page, "comite-refus")


def test_search_page_by_keyboard_on_a_phone(page: Any, shot: Shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(page)
    page.goto("/recherche")
    page.keyboard.press("Tab")  # the skip link comes first
    focused = page.evaluate("document.activeElement.textContent")
    assert "contenu" in focused.lower()
    page.get_by_label("Mots recherchés").focus()
    page.keyboard.type("espaces verts")
    page.keyboard.press("Enter")
    page.wait_for_url("**/recherche?**")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shot(page, "recherche-telephone")
