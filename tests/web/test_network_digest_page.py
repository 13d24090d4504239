"""`/diffusion`: the network's digest page — officers only, CSRF on every form, a preview that
changes nothing, then the sending and its report. Demo actors of the seeded web app (the
officer's territory is Valenciennes); the notices are constructed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import csrf_token

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.records import curated as curated_records
from veilleuse.records import pushes as push_records
from veilleuse.records import territories as territory_records

Clients = Callable[[str | None], TestClient]


def notices(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    ctx: Context = app.state.ctx
    day = (datetime.now(UTC) + timedelta(days=20)).date()
    ctx.store.write(
        [
            Notice(uid=f"boamp:{n}", source="boamp", native_id=str(n), kind=NoticeKind.TENDER,
                   title=f"Avis <{n}>", deadline=day).with_hash()
            for n in (1, 2)
        ]
    )  # fmt: skip
    some = sorted(territory_records.actor_ids_in(ctx.records, ["valenciennes"]))[:2]
    push_records.add_pushes(ctx.records, "boamp:1", some, None, "à voir", datetime.now(UTC))
    return ctx


def test_only_those_who_push_notices_open_it(client_for: Clients) -> None:
    assert client_for("officer").get("/diffusion").status_code == 200
    assert client_for("admin").get("/diffusion").status_code == 200
    for role in ("staff", "committee", "actor"):
        assert client_for(role).get("/diffusion").status_code == 403, role
    assert client_for(None).get("/diffusion").status_code == 303


def test_preview_then_send(client_for: Clients, web_app: tuple[FastAPI, Settings]) -> None:
    ctx = notices(web_app)
    officer = client_for("officer")
    page = officer.get("/diffusion")
    assert "Avis &lt;1&gt;" in page.text and "poussé à 2 structures" in page.text
    assert 'href="/diffusion"' in page.text  # in the navigation
    form = {
        "territoire": "valenciennes",
        "avis": ["boamp:1"],
        "autres": "boamp:2",
        "editorial": "Bonjour <à> tous",
        "cpv": "",
    }
    assert officer.post("/diffusion/apercu", data=form).status_code == 403  # no CSRF token
    token = csrf_token(officer, "/diffusion")
    preview = officer.post("/diffusion/apercu", data={**form, "csrf_token": token})
    assert preview.status_code == 200, preview.text[:300]
    assert "Aperçu de la sélection" in preview.text and "Bonjour &lt;à&gt; tous" in preview.text
    assert curated_records.list_curated(ctx.records, None) == []
    sent = officer.post(
        "/diffusion/envoyer",
        data={"territoire": "valenciennes", "avis": ["boamp:1", "boamp:2"],
              "editorial": "Bonjour <à> tous", "csrf_token": token},
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == "/diffusion/1"
    report = officer.get("/diffusion/1")
    assert report.status_code == 200 and "Envoi terminé" in report.text
    (curated,) = curated_records.list_curated(ctx.records, None)
    assert len(curated_records.copies(ctx.records, curated)) > 0
    assert client_for("officer_mel").get("/diffusion/1").status_code == 404


def test_a_bad_form_is_shown_again_with_its_error(client_for: Clients) -> None:
    officer = client_for("officer")
    token = csrf_token(officer, "/diffusion")
    response = officer.post(
        "/diffusion/apercu",
        data={"territoire": "valenciennes", "editorial": "x", "csrf_token": token},
    )
    assert response.status_code == 400 and "choisissez au moins un avis" in response.text


def test_refused_addresses_are_shown_to_the_officer_and_restored(
    client_for: Clients, web_app: tuple[FastAPI, Settings]
) -> None:
    from veilleuse.records import actors as actor_records
    from veilleuse.records import delivery as delivery_records

    app, _ = web_app
    ctx: Context = app.state.ctx
    ids = sorted(territory_records.actor_ids_in(ctx.records, ["valenciennes"]))
    found = next(a for a in actor_records.get_actors(ctx.records, ids) if a.email())
    address = (found.email() or "").lower()
    delivery_records.mark_undeliverable(
        ctx.records, {address: (550, "5.1.1 <x>: User unknown")}, None, datetime.now(UTC)
    )
    officer = client_for("officer")
    assert "1 adresse refusée" in officer.get("/diffusion").text
    page = officer.get("/diffusion/adresses")
    assert page.status_code == 200 and address in page.text and found.name in page.text
    assert "5.1.1 &lt;x&gt;: User unknown" in page.text
    assert address not in client_for("officer_mel").get("/diffusion/adresses").text
    assert client_for("staff").get("/diffusion/adresses").status_code == 403
    token = csrf_token(officer, "/diffusion/adresses")
    done = officer.post(
        "/diffusion/adresses/retablir", data={"adresse": address, "csrf_token": token}
    )
    assert done.status_code == 303
    assert delivery_records.blocked_addresses(ctx.records) == set()
    assert "Aucune adresse refusée" in officer.get("/diffusion/adresses").text
