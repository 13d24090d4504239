"""The steering committee's statistics in a real chromium over `veilleuse demo` data: a member of
Valenciennes' committee opens /pilotage, picks the last 120 days, sees every chart drawn, the
amount won by the demo's grouped bids against a target set from the command line, the printable
version and the XLSX report; nothing on the page offers to change data. Screenshots kept."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from veilleuse.config.settings import WebSettings

pytestmark = [pytest.mark.integration, pytest.mark.browser]

Shot = Callable[[Any, str], Path]
ROOT = Path(__file__).resolve().parents[2]
COMMITTEE = "comite@valenciennes.test"
TODAY = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date()
#: the demo dates its grouped bids within the last two months: a range holding all of them
FIRST, LAST = TODAY - timedelta(days=120), TODAY
#: true once the (lazily loaded) image is decoded with a size, false if it failed
LOADED = """img => img.complete ? img.naturalWidth > 0 : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth > 0));
    img.addEventListener("error", () => done(false));
})"""
AMOUNT = re.compile(r"^[1-9][\d\u202f\u00a0 ]*\u00a0€$")


def login(tab: Any, email: str) -> None:
    tab.goto("/connexion")
    tab.get_by_label("Adresse e-mail").fill(email)
    tab.get_by_label("Mot de passe").fill(WebSettings().demo_password)
    tab.get_by_role("button", name="Se connecter").click()
    tab.wait_for_url(lambda url: "/connexion" not in url)


@pytest.fixture(scope="module")
def targets(demo_env: dict[str, str]) -> str:
    """Targets of the demo's period, set as an administrator would, from the command line."""
    period = f"{FIRST.isoformat()}..{LAST.isoformat()}"
    for metric, value in (("amount_won", "200000"), ("bids_submitted", "4")):
        subprocess.run(
            [sys.executable, "-m", "veilleuse.cli", "targets", "set", "valenciennes", period,
             metric, value],
            env=demo_env, cwd=ROOT, check=True, timeout=120, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    return period


def indicator(tab: Any, label: str) -> list[str]:
    row = tab.locator("#table-indicators tbody tr", has_text=label).first
    return [c.strip() for c in row.locator("th, td").all_inner_texts()]


def test_committee_reads_charts_amount_won_and_targets(
    page: Any, shot: Shot, targets: str, tmp_path: Path
) -> None:
    login(page, COMMITTEE)
    page.goto("/pilotage")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Pilotage du plan")
    page.get_by_label("Du", exact=True).fill(FIRST.isoformat())
    page.get_by_label("Au", exact=True).fill(LAST.isoformat())
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url("**/pilotage?**du=**")
    page.wait_for_load_state("networkidle")

    # every chart is an image the browser decoded (an SVG served by the site), with its text
    charts = page.locator("figure.chart img")
    assert charts.count() >= 8
    for n in range(charts.count()):
        chart = charts.nth(n)
        chart.scroll_into_view_if_needed()
        drawn = chart.evaluate(LOADED)
        assert drawn, chart.get_attribute("src")
        assert chart.get_attribute("alt")
    # the demo's won grouped bid, against the target set from the command line
    _, value, target, reached = indicator(page, "Montant gagné en groupement")[:4]
    assert AMOUNT.match(value), value
    assert target.startswith("200\u00a0000\u00a0€"), target
    assert reached.endswith("%") and reached != "—"
    won = page.locator("#table-won_family tfoot td").first.inner_text().strip()
    assert won == value
    assert indicator(page, "Réponses groupées déposées")[2].startswith("4")
    shot(page, "pilotage")

    # nothing here writes: the only form posting is the logout
    posts = page.locator("form[method=post]")
    assert posts.count() == 1 and posts.first.get_attribute("action") == "/deconnexion"
    assert page.get_by_text("Objectifs du plan — administration").count() == 0

    # the committee's report
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport du comité (XLSX)").click()
    path = tmp_path / "rapport.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert "Objectifs du plan" in book.sheetnames and "Gagné par famille" in book.sheetnames
    head = book["Gagné par famille"]["A2"].value
    assert head is not None and head.startswith("Territoire : Valenciennes Métropole")

    # the printable version: no navigation, the same figures
    page.get_by_role("link", name="Version imprimable").click()
    page.wait_for_url("**/pilotage/imprimer?**")
    page.wait_for_load_state("networkidle")
    assert page.locator("nav").count() == 0
    assert indicator(page, "Montant gagné en groupement")[1] == value
    page.emulate_media(media="print")
    shot(page, "pilotage-imprimable")
