"""The demo's own territories in the web app: a data folder seeded as `veilleuse demo` seeds it
(`seed_demo`: Valenciennes Métropole and the MEL from the administrative data, actors placed by
their commune, the demo accounts), and each territory's people see only its own actors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import FAST_HASHING, login

from test_support import DEMO_MEL_ACTORS as MEL
from test_support import DEMO_VALENCIENNES_ACTORS as VALENCIENNES
from veilleuse.app.context import Context
from veilleuse.app.demo_accounts import seed_demo
from veilleuse.config.settings import Settings, get_settings
from veilleuse.web.app import create_app

_ACTOR_LINK = re.compile(r'href="/acteurs/([a-z0-9-]+)"')


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings]]:
    folder = tmp_path_factory.mktemp("demo-territories")
    settings = get_settings(data_dir=folder, store={"backend": "embedded"}, web=FAST_HASHING)
    with Context(settings) as ctx:
        seed_demo(ctx)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, settings


def listed(demo_app: tuple[TestClient, Settings], email: str) -> set[str]:
    """The actor ids of the /acteurs page as `email` sees it."""
    app_client, settings = demo_app
    client = TestClient(app_client.app, raise_server_exceptions=False, follow_redirects=False)
    login(client, email, settings.web.demo_password)
    page = client.get("/acteurs", params={"par_page": 100})
    assert page.status_code == 200
    return set(_ACTOR_LINK.findall(page.text)) - {"importer", "nouvelle"}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("veille@valenciennes.test", VALENCIENNES),
        ("reseau@valenciennes.test", VALENCIENNES),
        ("veille@mel.test", MEL),
        ("reseau@mel.test", MEL),
    ],
)
def test_each_territory_sees_only_its_own_actors(
    demo_app: tuple[TestClient, Settings], email: str, expected: set[str]
) -> None:
    assert listed(demo_app, email) == expected


def test_the_administrator_sees_every_actor_and_the_officer_the_buyers_search(
    demo_app: tuple[TestClient, Settings],
) -> None:
    seen = listed(demo_app, "admin@veilleuse.test")
    assert seen >= VALENCIENNES | MEL and "adsi-arras" in seen  # a real SIAE of the Pas-de-Calais
    app_client, settings = demo_app
    client = TestClient(app_client.app, raise_server_exceptions=False, follow_redirects=False)
    login(client, "veille@mel.test", settings.web.demo_password)
    saved = client.get("/recherches").text
    assert "Acheteurs du territoire – Métropole Européenne de Lille" in saved
    assert "Valenciennes Métropole" not in saved
    other = client.get("/acteurs/esat-jardins-escaut")
    assert other.status_code == 404  # Valenciennes' ESAT is not the MEL's


def test_the_buyers_search_reads_on_the_search_page(demo_app: tuple[TestClient, Settings]) -> None:
    app_client, settings = demo_app
    client = TestClient(app_client.app, raise_server_exceptions=False, follow_redirects=False)
    login(client, "veille@valenciennes.test", settings.web.demo_password)
    page = client.get("/recherche", params={"buyer_area": "245901160", "sort": "-published"})
    assert page.status_code == 200
    assert "CA Valenciennes Métropole (EPCI 245901160)" in page.text
    assert 'name="buyer_area" value="245901160"' in page.text  # kept by the form
    bad = client.get("/recherche", params={"buyer_area": "200067846"})
    assert "n&#39;est ni un SIREN d&#39;EPCI ni un code INSEE de commune" in bad.text
