"""`/presentation/{token}`: the introduction answer page — no login, the signed token is the
credential; the page changes nothing, the answer is a CSRF-checked POST; a tampered token gets
a French page. Demo actors of the seeded web app; the notice is constructed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.app.introductions import answer_path
from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.records import introductions as intro_records

ASKER, PARTNER = "initiatives-solidaires", "activ-cites"


def setup(web_app: tuple[FastAPI, Settings]) -> tuple[TestClient, Context, str]:
    app, settings = web_app
    ctx: Context = app.state.ctx
    now = datetime.now(UTC)
    ctx.store.write(
        [
            Notice(
                uid="boamp:77",
                source="boamp",
                native_id="77",
                kind=NoticeKind.TENDER,
                title="Entretien <des> jardins",
                deadline=(now + timedelta(days=20)).date(),
            ).with_hash()
        ]
    )
    intro_records.add_request(
        ctx.records, "boamp:77", ASKER, [(ASKER, "accepted"), (PARTNER, "pending")], now
    )
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    return client, ctx, answer_path(settings, PARTNER, "boamp:77", now)


def test_the_page_needs_no_login_and_changes_nothing(web_app: tuple[FastAPI, Settings]) -> None:
    client, ctx, path = setup(web_app)
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert "Entretien &lt;des&gt; jardins" in page.text
    assert "Initiatives solidaires cherche des partenaires" in page.text
    assert "qmarie@deschamps.com" not in page.text  # not before the partner accepts
    assert [r.answer for r in intro_records.of_actor(ctx.records, PARTNER)] == ["pending"]


def test_accepting_shows_the_contacts_of_those_who_accepted(
    web_app: tuple[FastAPI, Settings],
) -> None:
    client, ctx, path = setup(web_app)
    page = client.get(path)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    refused = client.post(path, data={"reponse": "accepter"})
    assert refused.status_code == 403  # no CSRF token
    done = client.post(path, data={"reponse": "accepter", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == path
    assert [r.answer for r in intro_records.of_actor(ctx.records, PARTNER)] == ["accepted"]
    after = client.get(path)
    assert "vous acceptez la mise en relation" in after.text
    assert "qmarie@deschamps.com" in after.text


def test_a_tampered_token_gets_a_french_page(web_app: tuple[FastAPI, Settings]) -> None:
    client, _, path = setup(web_app)
    response = client.get(path[:-3] + "AAA")
    assert response.status_code == 400
    assert "Ce lien est incomplet ou a été modifié" in response.text
