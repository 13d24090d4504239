"""`/api/v1/statistics`: the same figures as the use case (and so as the page and the report)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_helpers import assert_problem
from fastapi import FastAPI
from fastapi.testclient import TestClient

from statistics_world import HERE, THERE, build_world
from veilleuse.app import accounts
from veilleuse.app.context import Context
from veilleuse.app.statistics import committee_statistics
from veilleuse.app.statistics_period import Period
from veilleuse.config.settings import Settings

ApiClients = Callable[[str], TestClient]


@pytest.fixture
def world(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    build_world(context)
    return context


def same_as_use_case(body: dict, ctx: Context, who: str, territory: str, period: Period) -> None:  # type: ignore[type-arg]
    user = accounts.get_user_by_email(ctx, {"officer": "officer@valenciennes.test",
                                            "admin": "admin@valenciennes.test"}[who])  # fmt: skip
    expected = committee_statistics(ctx, user, territory, period).model_dump(mode="json")
    body.pop("generated_at")
    expected.pop("generated_at")
    assert body == expected


def test_the_api_returns_the_use_cases_figures(api_client: ApiClients, world: Context) -> None:
    officer = api_client("officer")
    response = officer.get("/api/v1/statistics", params={"territory": HERE, "year": "2025"})
    assert response.status_code == 200, response.text
    body = response.json()
    tables = {t["key"]: t for t in body["tables"]}
    assert tables["delivery_family"]["total"][:2] == [6, 2]
    assert tables["notices"]["total"][5] == 8
    indicators = {i["metric"]: i["value"] for i in body["indicators"]}
    assert indicators["social_consideration_share"] == 60.0
    assert body["period"] == {
        "kind": "year",
        "start": "2025-01-01",
        "end": "2025-12-31",
        "label": "année 2025",
    }
    same_as_use_case(body, world, "officer", HERE, Period.year(2025))
    # a semester, a range; the officer's own territory by default
    semester = officer.get("/api/v1/statistics?year=2025&semester=S1").json()
    same_as_use_case(semester, world, "officer", HERE, Period.semester(2025, 1))
    custom = officer.get("/api/v1/statistics?from=2025-09-01&to=2025-09-30").json()
    assert {t["key"]: t for t in custom["tables"]}["delivery_family"]["total"][0] == 3


def test_refused_parameters_and_territories(api_client: ApiClients, world: Context) -> None:
    officer = api_client("officer")
    body = assert_problem(officer.get("/api/v1/statistics?territory=artois&year=2025"), 400)
    assert body["errors"][0]["field"] == "territory"
    body = assert_problem(officer.get("/api/v1/statistics?year=20255&semester=S9"), 400)
    assert {e["field"] for e in body["errors"]} == {"year", "semester"}
    assert_problem(officer.get("/api/v1/statistics?from=2025-01-01"), 400)
    assert_problem(officer.get("/api/v1/statistics?annee=2025"), 400)  # unknown parameter
    admin = api_client("admin").get(f"/api/v1/statistics?territory={THERE}&year=2025")
    assert admin.status_code == 200
    same_as_use_case(admin.json(), world, "admin", THERE, Period.year(2025))
