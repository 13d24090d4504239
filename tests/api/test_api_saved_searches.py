"""Saved searches through the API: the caller's own only, the page's query string, errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_helpers import assert_problem
from fastapi.testclient import TestClient
from web_helpers import email_of

from veilleuse.app import accounts
from veilleuse.app.context import Context
from veilleuse.app.saved_searches import list_searches, save_search

ApiClients = Callable[[str], TestClient]
PATH = "/api/v1/saved-searches"


def test_save_list_and_delete_ones_own(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    created = client.post(
        PATH,
        json={
            "name": "  Nettoyage  Nord ",
            "query": "?dep=59,62&q=nettoyage",
            "frequency": "weekly",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"{PATH}/{body['id']}"
    assert body["name"] == "Nettoyage Nord"
    assert body["query"] == "q=nettoyage&dep=59&dep=62"  # canonical
    assert body["frequency"] == "weekly" and body["frequency_label"] == "chaque semaine"
    assert body["api_url"] == "/api/v1/notices?q=nettoyage&dep=59&dep=62"
    assert any("Nord" in line for line in body["criteria"])
    by_params = client.post(
        PATH, json={"name": "Réservés", "params": {"reserved": "true", "kind": ["tender"]}}
    )
    assert by_params.status_code == 201 and by_params.json()["query"] == "kind=tender&reserved=true"
    assert by_params.json()["frequency"] == "none"
    # the stored search reads the same in the API's search
    same = client.get(body["api_url"]).json()
    assert same["query"] == body["query"]
    listed = client.get(PATH).json()["items"]
    assert [s["id"] for s in listed] == [body["id"], by_params.json()["id"]]
    assert client.delete(f"{PATH}/{body['id']}").status_code == 204
    assert [s["id"] for s in client.get(PATH).json()["items"]] == [by_params.json()["id"]]
    assert_problem(client.delete(f"{PATH}/{body['id']}"), 404)  # twice: gone


def test_another_accounts_search_is_not_found(api_client: ApiClients, ctx: Context) -> None:
    theirs = save_search(
        ctx,
        user_id=accounts.get_user_by_email(ctx, email_of("staff")).id,
        name="La leur",
        query="q=vitres",
    )
    client = api_client("officer")
    assert client.get(PATH).json()["items"] == []
    assert_problem(client.delete(f"{PATH}/{theirs.id}"), 404)
    owner = accounts.get_user_by_email(ctx, email_of("staff")).id
    assert [s.id for s in list_searches(ctx, owner)] == [theirs.id]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "x", "query": "dep=999"}, ["query.dep"]),
        ({"name": "x", "params": {"deps": "59"}}, ["params.deps"]),
        ({"name": "x"}, ["query"]),
        ({"name": "x", "query": "q=a", "params": {"q": "a"}}, ["query"]),
        ({"name": "", "query": "q=a"}, ["name"]),
        ({"name": "x", "query": "q=a", "autre": 1}, ["autre"]),
        ({"query": "q=a"}, ["name"]),
    ],
)
def test_a_bad_body_is_a_422_naming_its_fields(
    api_client: ApiClients, ctx: Context, body: dict[str, object], fields: list[str]
) -> None:
    problem = assert_problem(api_client("officer").post(PATH, json=body), 422)
    assert [e["field"] for e in problem["errors"]] == fields


def test_bad_frequency_or_json_is_a_422(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    problem = assert_problem(
        client.post(PATH, json={"name": "x", "query": "q=a", "frequency": "hourly"}), 422
    )
    assert "hourly" in problem["detail"]
    broken = client.post(
        PATH, content=b"{pas du json", headers={"content-type": "application/json"}
    )
    assert_problem(broken, 422)
    assert_problem(client.delete(f"{PATH}/abc"), 422)
    assert client.get(PATH).json()["items"] == []
