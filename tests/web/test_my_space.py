"""An actor's own space: its matches with reasons, and its digest preferences (no one else's)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ACTOR_ID, csrf_token, post_form

from veilleuse.app.actors import get_actor
from veilleuse.config.settings import Settings
from veilleuse.core.models import Match, Notice, NoticeKind, Reason
from veilleuse.records import matches as match_records

Clients = Callable[[str | None], TestClient]


def test_my_space_lists_open_matches_with_reasons(
    web_app: tuple[FastAPI, Settings], client_for: Clients
) -> None:
    app, _ = web_app
    ctx = app.state.ctx
    notice = Notice(
        uid="boamp:e2e-1",
        source="boamp",
        native_id="e2e-1",
        kind=NoticeKind.TENDER,
        title="Entretien des espaces verts <b>communaux</b>",
        url="https://www.boamp.fr/avis/detail/e2e-1",
    ).with_hash()
    ctx.store.write([notice])
    reason = Reason(code="territory", params={"case": "department", "department": "59"}, weight=1)
    match_records.save_matches(
        ctx.records, [Match(actor_id=ACTOR_ID, notice_uid=notice.uid, score=72, reasons=[reason])]
    )
    page = client_for("actor").get("/mon-espace").text
    assert "Entretien des espaces verts &lt;b&gt;communaux&lt;/b&gt;" in page
    assert "Dans votre département (Nord)" in page
    assert "Pertinence 72/100" in page


def test_preferences_are_saved_and_checked(
    web_app: tuple[FastAPI, Settings], client_for: Clients
) -> None:
    app, _ = web_app
    client = client_for("actor")
    before = get_actor(app.state.ctx, ACTOR_ID).digest
    refused = post_form(
        client,
        "/mon-espace/preferences",
        {"enabled": "1", "frequency": "weekly", "max_items": "500"},
        "/mon-espace",
    )
    assert refused.status_code == 400
    assert "Un nombre entre 5 et 50." in refused.text
    assert "Cochez au moins un type d" in refused.text
    assert get_actor(app.state.ctx, ACTOR_ID).digest == before  # nothing stored
    saved = post_form(
        client,
        "/mon-espace/preferences",
        {"frequency": "daily", "max_items": "8", "kinds": ["funding_call"]},
        "/mon-espace",
    )
    assert saved.status_code == 303
    digest = get_actor(app.state.ctx, ACTOR_ID).digest
    assert (digest.enabled, digest.frequency, digest.max_items) == (False, "daily", 8)
    assert [k.value for k in digest.kinds] == ["funding_call"]


def test_preferences_need_the_csrf_token_and_the_actor_role(client_for: Clients) -> None:
    actor = client_for("actor")
    csrf_token(actor, "/mon-espace")
    assert actor.post("/mon-espace/preferences", data={"frequency": "daily"}).status_code == 403
    officer = client_for("officer")
    token = csrf_token(officer, "/compte/mot-de-passe")
    answer = officer.post(
        "/mon-espace/preferences", data={"frequency": "daily", "csrf_token": token}
    )
    assert answer.status_code == 403
