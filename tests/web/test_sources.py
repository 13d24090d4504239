"""The sources page for every role; runs are constructed and recorded in the app's records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ROLES

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.records import sources as source_records
from veilleuse.records.sources import SourceRun

Clients = Callable[[str | None], TestClient]


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    now = context.now()
    for status, hours, problems in (
        ("COMPLETE", 50, []),
        ("DEGRADED", 3, ["boamp:26-7 : <b>date limite illisible</b>"]),
    ):
        finished = now - timedelta(hours=hours)
        source_records.record_source_run(
            context.records,
            SourceRun(
                source="boamp",
                status=status,
                started_at=finished - timedelta(minutes=1),
                finished_at=finished,
                fetched=40,
                new=30,
                rejected=len(problems),
                problems=problems,
            ),
        )
    return context


@pytest.mark.parametrize("role", ROLES)
def test_sources_page_for_every_role(client_for: Clients, ctx: Context, role: str) -> None:
    response = client_for(role).get("/sources")
    assert response.status_code == (403 if role == "actor" else 200)


def test_sources_page_anonymous_goes_to_login(client_for: Clients) -> None:
    response = client_for(None).get("/sources")
    assert response.status_code == 303 and response.headers["location"] == (
        "/connexion?suivant=/sources"
    )


def test_sources_page_shows_freshness_runs_and_rejections(
    client_for: Clients, ctx: Context
) -> None:
    html = client_for("committee").get("/sources").text
    assert 'href="/sources" aria-current="page"' in html  # in the navigation
    assert 'badge-degraded">il y a 2\u00a0j<' in html  # since the last COMPLETE run: stale
    assert 'class="badge badge-degraded">dégradée</span>' in html
    assert "<details>" in html and "1 problème(s) de la collecte" in html
    assert "&lt;b&gt;date limite illisible&lt;/b&gt;" in html  # escaped
    assert "jamais complète" in html  # a catalogue source that never ran
    assert "<caption" in html and 'data-label="Fraîcheur"' in html
