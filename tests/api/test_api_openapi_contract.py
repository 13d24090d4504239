"""Contract test: every operation of /api/openapi.json answers as the document says.

For each documented path and method: called with a valid token (path parameters from the
fixtures), without a token, with an unknown query parameter, with an unknown path parameter,
with the permission narrowed, and with a bad body — each time the status must be one the
operation declares, with the declared media type, and the JSON body must validate (jsonschema,
draft 2020-12, formats checked) against the declared schema. Every declared status of every
operation must have been seen at least once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_helpers import NOTICES
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from veilleuse.app.context import Context
from veilleuse.core.accounts import ROLE_PERMISSIONS, Permission, Role
from veilleuse.core.models import Match, Reason
from veilleuse.records import matches as match_records

ApiClients = Callable[[str], TestClient]
HERE = "esat-jardins-escaut"
METHODS = ("get", "post", "put", "patch", "delete")

#: what a call needs besides its path parameters (a required-in-practice parameter, a body)
QUERY = {"/api/v1/changes": "updated_since=2000-01-01T00:00:00Z&per_page=3"}
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/saved-searches": {"name": "Nettoyage dans le Nord", "query": "q=nettoyage&dep=59"}
}
BAD_BODIES: dict[str, Any] = {"/api/v1/saved-searches": {"nom": 3}}


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


class Checker:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.seen: dict[tuple[str, str], set[str]] = {}

    def check(self, path: str, method: str, op: dict[str, Any], response: httpx.Response) -> None:
        status = str(response.status_code)
        where = f"{method.upper()} {path} → {status}: {response.text[:300]}"
        assert status in op["responses"], where
        self.seen.setdefault((path, method), set()).add(status)
        declared = op["responses"][status].get("content")
        if not declared:
            return
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type in declared, (where, media_type, list(declared))
        schema = declared[media_type]["schema"]
        validator = Draft202012Validator(
            {**schema, "components": self.doc["components"]}, format_checker=FormatChecker()
        )
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        assert not errors, (where, [f"{list(e.path)}: {e.message}" for e in errors[:5]])


@pytest.fixture
def world(ctx: Context, api_client: ApiClients) -> dict[str, str]:
    """Path parameter values of the fixtures: a notice, an actor with matches, a saved search."""
    reason = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
    match_records.save_matches(
        ctx.records,
        [Match(actor_id=HERE, notice_uid=NOTICES[2].uid, score=75, reasons=[reason])],
    )
    values = {"uid": NOTICES[2].uid, "actor_id": HERE}
    saved = api_client("officer").post(
        "/api/v1/saved-searches", json=BODIES["/api/v1/saved-searches"]
    )
    if saved.status_code == 201:
        values["search_id"] = str(saved.json()["id"])
    return values


def fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=":/"))
    assert "{" not in path, path
    return path


def call(
    client: TestClient, method: str, url: str, body: Any = None, query: str = ""
) -> httpx.Response:
    target = f"{url}?{query}" if query else url
    if body is not None:
        return client.request(method, target, json=body)
    return client.request(method, target)


def test_every_documented_operation_answers_as_documented(
    api_client: ApiClients,
    anonymous: TestClient,
    world: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = anonymous.get("/api/openapi.json").json()
    checker = Checker(doc)
    ops = list(operations(doc))
    assert {p for p, _, _ in ops} >= {
        "/api/v1/notices",
        "/api/v1/notices/{uid}",
        "/api/v1/facets",
        "/api/v1/changes",
        "/api/v1/actors",
        "/api/v1/actors/{actor_id}",
        "/api/v1/actors/{actor_id}/matches",
        "/api/v1/me",
    }
    officer = api_client("officer")
    for path, method, op in ops:
        assert op.get("summary"), (method, path)
        assert "200" in op["responses"] or "201" in op["responses"] or "204" in op["responses"]
        for status in ("401",):
            assert status in op["responses"], (method, path, status)
        url = fill(path, world)
        query, body = QUERY.get(path, ""), BODIES.get(path) if method == "post" else None
        # a valid call (a DELETE last: it removes what the others use)
        if method != "delete":
            checker.check(path, method, op, call(officer, method, url, body, query))
        # no token
        checker.check(path, method, op, call(anonymous, method, url, body, query))
        # an unknown query parameter
        if "400" in op["responses"]:
            bad = "&".join(filter(None, [query, "parametre_inconnu=1"]))
            checker.check(path, method, op, call(officer, method, url, body, bad))
        # an unknown path parameter
        if "404" in op["responses"]:
            unknown = {k: ("9999" if k == "search_id" else "inconnu:0") for k in world}
            checker.check(path, method, op, call(officer, method, fill(path, unknown), body, query))
        # a bad body, a path parameter of the wrong type
        if "422" in op["responses"]:
            if path in BAD_BODIES and method == "post":
                checker.check(path, method, op, call(officer, method, url, BAD_BODIES[path]))
            if "{search_id}" in path:
                checker.check(
                    path, method, op, call(officer, method, fill(path, {"search_id": "abc"}))
                )
    # the permission taken away: 403 wherever it is declared
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OFFICER, frozenset({Permission.API_TOKENS}))
    for path, method, op in ops:
        if "403" in op["responses"]:
            url = fill(path, world)
            query, body = QUERY.get(path, ""), BODIES.get(path) if method == "post" else None
            checker.check(path, method, op, call(officer, method, url, body, query))
    monkeypatch.undo()
    for path, method, op in ops:  # the deletions, now
        if method == "delete":
            checker.check(path, method, op, call(officer, method, fill(path, world)))
    missing = {
        (method.upper(), path, status)
        for path, method, op in ops
        for status in op["responses"]
        if status not in checker.seen.get((path, method), set())
    }
    # a 422 on a route without a body or typed path parameter cannot be provoked by a client
    missing = {m for m in missing if m[2] != "422" or "{search_id}" in m[1] or m[0] == "POST"}
    assert not missing, sorted(missing)


def test_errors_are_documented_as_problem_details(anonymous: TestClient) -> None:
    doc = anonymous.get("/api/openapi.json").json()
    for path, _method, op in operations(doc):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema["title"] == "Problem"
                assert {"type", "title", "status", "detail"} <= set(schema["required"])
    scheme = doc["components"]["securitySchemes"]["jeton"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer"}
