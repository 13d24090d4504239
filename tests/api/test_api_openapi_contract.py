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
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from api_helpers import NOTICES
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from web_helpers import email_of

from veilleuse.app import accounts
from veilleuse.app.bid_edits import create_bid
from veilleuse.app.context import Context
from veilleuse.core.accounts import ROLE_PERMISSIONS, Permission, Role
from veilleuse.core.bids import BidMember, BidStage, MemberRole, OutcomeProposal
from veilleuse.core.models import Match, Reason
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import matches as match_records

ApiClients = Callable[[str], TestClient]
HERE = "esat-jardins-escaut"
METHODS = ("get", "post", "put", "patch", "delete")

#: what a call needs besides its path parameters (a required-in-practice parameter, a body)
QUERY = {"/api/v1/changes": "updated_since=2000-01-01T00:00:00Z&per_page=3"}
BIDS = "/api/v1/grouped-bids"
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/saved-searches": {"name": "Nettoyage dans le Nord", "query": "q=nettoyage&dep=59"},
    BIDS: {"notice_uid": NOTICES[2].uid, "members": [{"actor_id": HERE, "role": "lead"}]},
    BIDS + "/{bid_id}": {"notes": "Réunion des membres mardi"},  # PATCH
    BIDS + "/{bid_id}/transitions": {"to_stage": "interest", "note": "Les deux sont partants"},
    BIDS + "/{bid_id}/proposal/confirm": {"reason": "price"},
}
BAD_BODIES: dict[str, Any] = {
    "/api/v1/saved-searches": {"nom": 3},
    BIDS: {"nom": 3},
    BIDS + "/{bid_id}": {"members": "tous"},
    BIDS + "/{bid_id}/transitions": {"to_stage": "envolée"},
    BIDS + "/{bid_id}/proposal/confirm": {"reason": "hasard"},
}
#: a call that finds nothing where no path parameter can be unknown
NOT_FOUND_BODIES = {BIDS: {"notice_uid": "inconnu:0", "members": [{"actor_id": HERE}]}}
#: path parameters of their own for some operations (the bid whose outcome is proposed)
PATH_VALUES = {
    BIDS + "/{bid_id}/proposal/confirm": "proposed_bid_id",
    BIDS + "/{bid_id}/proposal/dismiss": "proposed_bid_id",
}
INT_PARAMS = ("search_id", "bid_id")
WITH_BODY = ("post", "patch")


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
    # a grouped bid at « repérée », and one at « candidature déposée » with a proposed loss
    officer = accounts.get_user_by_email(ctx, email_of("officer"))
    team = [
        BidMember(actor_id=HERE, role=MemberRole.LEAD),
        BidMember(actor_id="eve-espaces-verts", role=MemberRole.COTRAITANT),
    ]
    bid = create_bid(ctx, officer, NOTICES[2].uid, team)
    proposed = create_bid(ctx, officer, NOTICES[4].uid, team, stage=BidStage.SUBMITTED)
    assert bid.id is not None and proposed.id is not None
    bid_records.set_proposal(
        ctx.records,
        proposed.id,
        OutcomeProposal(
            award_uid=NOTICES[5].uid,
            outcome=BidStage.LOST,
            awardees=["Entreprise générale (12345678900011)"],
            matched_by=NOTICES[4].uid,
            proposed_at=datetime.now(UTC),
        ),
    )
    values["bid_id"], values["proposed_bid_id"] = str(bid.id), str(proposed.id)
    return values


def values_for(path: str, world: dict[str, str]) -> dict[str, str]:
    own = PATH_VALUES.get(path)
    return {**world, "bid_id": world[own]} if own else world


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
        url = fill(path, values_for(path, world))
        query, body = QUERY.get(path, ""), BODIES.get(path) if method in WITH_BODY else None
        # a valid call (a DELETE last: it removes what the others use)
        if method != "delete":
            checker.check(path, method, op, call(officer, method, url, body, query))
        # the same call again, where a conflict is declared (a change already made is refused)
        if "409" in op["responses"]:
            checker.check(path, method, op, call(officer, method, url, body, query))
        # no token
        checker.check(path, method, op, call(anonymous, method, url, body, query))
        # an unknown query parameter
        if "400" in op["responses"]:
            bad = "&".join(filter(None, [query, "parametre_inconnu=1"]))
            checker.check(path, method, op, call(officer, method, url, body, bad))
        # an unknown path parameter
        if "404" in op["responses"]:
            unknown = {k: ("9999" if k in INT_PARAMS else "inconnu:0") for k in world}
            missing_body = NOT_FOUND_BODIES.get(path, body) if method in WITH_BODY else None
            checker.check(
                path, method, op, call(officer, method, fill(path, unknown), missing_body, query)
            )
        # a bad body, a path parameter of the wrong type
        if "422" in op["responses"]:
            if path in BAD_BODIES and method in WITH_BODY:
                checker.check(path, method, op, call(officer, method, url, BAD_BODIES[path]))
            for name in INT_PARAMS:
                if "{" + name + "}" in path:
                    wrong = fill(path, {**values_for(path, world), name: "abc"})
                    checker.check(path, method, op, call(officer, method, wrong, body))
    # the permission taken away: 403 wherever it is declared
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OFFICER, frozenset({Permission.API_TOKENS}))
    for path, method, op in ops:
        if "403" in op["responses"]:
            url = fill(path, values_for(path, world))
            query, body = QUERY.get(path, ""), BODIES.get(path) if method in WITH_BODY else None
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
    typed = ("{search_id}", "{bid_id}")
    missing = {
        m for m in missing if m[2] != "422" or any(t in m[1] for t in typed) or m[0] == "POST"
    }
    # confirming a proposal conflicts only when another change lands at the same instant
    missing -= {("POST", BIDS + "/{bid_id}/proposal/confirm", "409")}
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
