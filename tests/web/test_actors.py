"""The actor pages for every role, over the seeded demo actors: list and export, profile, edit
form with CPV search, import in two steps. `esat-jardins-escaut` is in the officer's territory
(Valenciennes), `ea-proprete-solidaire-lille` in the MEL. Uploaded files are constructed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from web_helpers import ROLES, csrf_token

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records

Clients = Callable[[str | None], TestClient]
HERE = "esat-jardins-escaut"
THERE = "ea-proprete-solidaire-lille"
EDITORS = {"admin", "officer"}
READERS = {"admin", "officer", "staff", "committee"}
CSV_HEADER = "id,name,siret,family,description,cpv,departments,commune,email"


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    return context


def valid_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "ESAT Les Jardins de l'Escaut",
        "family": "esat",
        "description": "Entretien d'espaces verts",
        "cpv": "77310000 77312000",
        "departments": "59",
        "commune": "Valenciennes",
        "contact-0-email": "contact@jardins-escaut.example.org",
        "digest_enabled": "1",
        "digest_frequency": "weekly",
        "digest_max_items": "15",
        "digest_kinds": ["tender", "funding_call"],
        "active": "1",
        "action": "save",
    }
    return {**form, **changes}


def post(client: TestClient, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    token = csrf_token(client, "/compte/mot-de-passe")
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def upload(client: TestClient, text: str, territory: str = "valenciennes") -> Any:
    files = {"fichier": ("acteurs.csv", text.encode("utf-8"), "text/csv")}
    return post(client, "/acteurs/importer", {"territoire": territory}, files=files)


#: (method, path, roles allowed, status when allowed)
ROUTES: list[tuple[str, str, set[str], int]] = [
    ("GET", "/acteurs", READERS, 200),
    ("GET", "/acteurs/export.csv", EDITORS, 200),
    ("GET", "/acteurs/export.xlsx", EDITORS, 200),
    ("GET", "/acteurs/cpv?q=7731", EDITORS, 200),
    ("GET", "/acteurs/importer", EDITORS, 200),
    ("POST", "/acteurs/importer", EDITORS, 200),
    ("POST", "/acteurs/importer/confirmer", EDITORS, 404),  # an unknown token
    ("GET", f"/acteurs/{HERE}", READERS, 200),
    ("GET", f"/acteurs/{HERE}/modifier", EDITORS, 200),
    ("POST", f"/acteurs/{HERE}/modifier", EDITORS, 303),
]


def call(client: TestClient, method: str, path: str) -> int:
    if method == "GET":
        return int(client.get(path).status_code)
    if path == "/acteurs/importer":
        return int(upload(client, CSV_HEADER + "\nneuf,Neuf,,SCIC,,,,,\n").status_code)
    data = valid_form() if path.endswith("/modifier") else {"token": "x" * 32}
    return int(post(client, path, data).status_code)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(client_for: Clients, ctx: Context, role: str) -> None:
    client = client_for(role)
    outcomes = {
        (method, path): (call(client, method, path), status if role in allowed else 403)
        for method, path, allowed, status in ROUTES
    }
    wrong = {route: got for route, got in outcomes.items() if got[0] != got[1]}
    assert not wrong, f"{role}: (got, expected) {wrong}"
    assert actor_records.get_actor(ctx.records, "neuf") is None  # a preview writes nothing


def test_anonymous_visitors_are_sent_to_login(client_for: Clients) -> None:
    client = client_for(None)
    for method, path, _, _ in ROUTES:
        response = (
            client.get(path)
            if method == "GET"
            else client.post(path, data={"csrf_token": csrf_token(client, "/connexion")})
        )
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/connexion"), (method, path)


def test_another_territory_actor_is_not_found(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    assert officer.get(f"/acteurs/{THERE}").status_code == 404
    assert officer.get(f"/acteurs/{THERE}/modifier").status_code == 404
    before = actor_records.get_actor(ctx.records, THERE)
    assert post(officer, f"/acteurs/{THERE}/modifier", valid_form(name="Pris")).status_code == 404
    assert actor_records.get_actor(ctx.records, THERE) == before
    assert client_for("officer_mel").get(f"/acteurs/{HERE}").status_code == 404
    assert client_for("officer").get("/acteurs/inconnu").status_code == 404


def test_list_filters_and_export_stay_in_the_territory(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    html = officer.get("/acteurs").text
    assert f'href="/acteurs/{HERE}"' in html and f'href="/acteurs/{THERE}"' not in html
    assert 'href="/acteurs" aria-current="page"' in html
    filtered = officer.get("/acteurs", params={"q": "jardins escaut", "famille": "esat"}).text
    assert f'href="/acteurs/{HERE}"' in filtered and "1 structure<" in filtered
    assert 'href="/acteurs/export.csv?q=jardins+escaut&amp;famille=esat"' in filtered
    assert "Aucune structure" in officer.get("/acteurs", params={"cpv": "0311"}).text
    export = officer.get("/acteurs/export.csv", params={"q": "jardins escaut"})
    assert export.headers["content-disposition"].startswith('attachment; filename="veilleuse-')
    text = export.content.decode("utf-8-sig")
    assert HERE in text and THERE not in text and "adsi-arras" not in text
    book = load_workbook(io.BytesIO(officer.get("/acteurs/export.xlsx").content))
    ids = {row[0] for row in book.worksheets[0].iter_rows(values_only=True)}
    assert HERE in ids and "adsi-arras" in ids and THERE not in ids
    assert THERE in client_for("admin").get("/acteurs").text  # the administrator sees all


def test_profile_shows_cpv_labels_and_edit_link_for_editors(client_for: Clients) -> None:
    html = client_for("officer").get(f"/acteurs/{HERE}").text
    assert "Réalisation et entretien d&#39;espaces verts" in html
    assert f'href="/acteurs/{HERE}/modifier"' in html
    committee = client_for("committee").get(f"/acteurs/{HERE}").text
    assert "ESAT Les Jardins de l&#39;Escaut" in committee and "/modifier" not in committee


def test_edit_saves_and_escapes(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    page = officer.get(f"/acteurs/{HERE}/modifier").text
    for field in ("name", "family", "siret", "cpv", "departments", "digest_max_items"):
        assert f'<label for="f-{field}">' in page, field
    assert 'name="csrf_token"' in page and "cpv-search.js" in page
    response = post(
        officer,
        f"/acteurs/{HERE}/modifier",
        valid_form(name="<script>alert(1)</script> Jardins", cpv="77310000 45000000", active=""),
    )
    assert response.status_code == 303 and response.headers["location"] == f"/acteurs/{HERE}"
    saved = actor_records.get_actor(ctx.records, HERE)
    assert saved is not None and saved.cpv_codes() == ["77310000", "45000000"]
    assert not actor_records.actor_entries(ctx.records, [HERE])[0].active
    html = officer.get("/acteurs").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Jardins" in html and "<script>alert" not in html


def test_edit_errors_are_shown_next_to_their_fields(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    before = actor_records.get_actor(ctx.records, HERE)
    response = post(
        officer,
        f"/acteurs/{HERE}/modifier",
        valid_form(name="", cpv="7731", **{"contact-0-email": "pas-une-adresse"}),
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="f-name" name="name" type="text" value="" aria-invalid="true"' in html
    assert '<div class="field-error" id="err-name"><p class="field-error">obligatoire</p>' in html
    assert "&#39;7731&#39; n&#39;est pas un code CPV à 8 chiffres" in html
    assert 'aria-describedby="help-cpv err-cpv"' in html
    assert "n&#39;est pas une adresse e-mail" in html and 'id="err-contact-0-email"' in html
    assert 'value="pas-une-adresse"' in html  # what was typed is kept
    assert actor_records.get_actor(ctx.records, HERE) == before


def test_edit_without_csrf_token_is_refused_and_changes_nothing(
    client_for: Clients, ctx: Context
) -> None:
    before = actor_records.get_actor(ctx.records, HERE)
    response = client_for("officer").post(f"/acteurs/{HERE}/modifier", data=valid_form(name="X"))
    assert response.status_code == 403
    assert actor_records.get_actor(ctx.records, HERE) == before


def test_cpv_search_as_json_and_without_javascript(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    found = officer.get("/acteurs/cpv", params={"q": "espaces verts"}).json()
    assert {"code": "77310000", "label": "Réalisation et entretien d'espaces verts"} in found
    assert len(officer.get("/acteurs/cpv", params={"q": "services"}).json()) == 20
    before = actor_records.get_actor(ctx.records, HERE)
    response = post(
        officer,
        f"/acteurs/{HERE}/modifier",
        valid_form(action="cpv", cpv_search="elagage", name="Pas encore enregistré"),
    )
    assert response.status_code == 200
    html = response.text
    assert (
        '<option value="77340000">77340000 Élagage des arbres et taille des haies</option>' in html
    )
    assert 'name="cpv_add" value="77340000"' in html
    assert 'value="Pas encore enregistré"' in html  # the form keeps what was typed
    assert actor_records.get_actor(ctx.records, HERE) == before  # a search saves nothing
    saved = post(officer, f"/acteurs/{HERE}/modifier", valid_form(cpv_add=["77340000"]))
    assert saved.status_code == 303
    actor = actor_records.get_actor(ctx.records, HERE)
    assert actor is not None and actor.cpv_codes() == ["77310000", "77312000", "77340000"]


def test_import_previews_row_errors_and_writes_only_on_confirmation(
    client_for: Clients, ctx: Context
) -> None:
    officer = client_for("officer")
    text = (
        CSV_HEADER
        + "\nneuf,Nouvelle SCIC,,SCIC,Recyclage,90500000,59,Anzin,neuf@example.org"
        + "\nbad,Mauvaise,,SCOOP,,,,,"
        + f"\n{THERE},Prise de contrôle,,EA,,,,,\n"
    )
    preview = upload(officer, text)
    assert preview.status_code == 200
    html = preview.text
    assert "Rien n'est encore enregistré" in html
    assert "ligne 3, champ &#39;family&#39; : famille inconnue &#39;SCOOP&#39;" in html
    assert "ligne 4, champ &#39;id&#39; : identifiant déjà utilisé" in html
    assert actor_records.get_actor(ctx.records, "neuf") is None
    token = html.split('name="token" value="')[1].split('"')[0]
    assert (
        post(client_for("admin"), "/acteurs/importer/confirmer", {"token": token}).status_code
        == 404
    )
    done = post(officer, "/acteurs/importer/confirmer", {"token": token})
    assert done.status_code == 303 and done.headers["location"] == "/acteurs"
    assert "1 structure(s) créée(s)" in officer.get("/acteurs").text
    assert actor_records.get_actor(ctx.records, "neuf") is not None
    assert actor_records.get_actor(ctx.records, "bad") is None
    assert territory_records.territories_of_actors(ctx.records, ["neuf", THERE]) == {
        "neuf": "valenciennes",
        THERE: "mel",
    }
    assert post(officer, "/acteurs/importer/confirmer", {"token": token}).status_code == 404


def test_import_of_a_bad_file_or_territory(client_for: Clients, ctx: Context) -> None:
    officer = client_for("officer")
    response = upload(officer, "nom;prénom\nx;y\n")
    assert response.status_code == 422 and "colonne(s) manquante(s)" in response.text
    assert upload(officer, CSV_HEADER + "\nx,X,,EA,,,,,\n", territory="mel").status_code == 404
    assert actor_records.get_actor(ctx.records, "x") is None
