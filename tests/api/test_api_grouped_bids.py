"""`/api/v1/grouped-bids`: create (by hand, from the suggested team), move, a refused change as
409 with the French message, history, filters and cursor paging, details, proposals, roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from api_helpers import assert_problem
from bid_data import ACTIV, ESAT, EVE, FUNDING, LILLE, MEL_UID, ROUBAIX, UID, seed_bid_world, team
from fastapi import FastAPI
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.bids import BidStage, OutcomeProposal
from veilleuse.core.models import Money
from veilleuse.records import grouped_bids as bid_records

ApiClients = Callable[[str], TestClient]
BIDS = "/api/v1/grouped-bids"
TEAM = [{"actor_id": ESAT, "role": "lead", "lots": ["LOT-1"]},
        {"actor_id": EVE, "role": "cotraitant", "lots": ["LOT-2"]}]  # fmt: skip


@pytest.fixture
def world(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    seed_bid_world(context)
    return context


def create(client: TestClient, **body: object) -> dict[str, object]:
    response = client.post(BIDS, json={"notice_uid": UID, "members": TEAM, **body})
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    assert response.headers["location"] == f"{BIDS}/{data['id']}"
    return data


def test_create_move_and_read_the_history(api_client: ApiClients, world: Context) -> None:
    client = api_client("officer")
    bid = create(client, form="solidaire", notes="Premier contact pris")
    assert bid["stage"] == "spotted" and bid["stage_label"] == "repérée"
    assert bid["kind"] == "tender" and bid["form_label"] == "groupement solidaire"
    assert bid["members"][0] == {  # type: ignore[index]
        "actor_id": ESAT, "actor_name": "ESAT Les Jardins de l'Escaut", "role": "lead",
        "role_label": "mandataire", "lots": ["LOT-1"], "share_percent": None,
    }  # fmt: skip
    assert bid["next_stages"] == ["interest", "abandoned"]
    url = f"{BIDS}/{bid['id']}/transitions"
    for stage in ("interest", "team_formed", "submitted"):
        response = client.post(url, json={"to_stage": stage, "note": f"vers {stage}"})
        assert response.status_code == 200, response.text
    won = client.post(
        url,
        json={"to_stage": "won", "amount_won": 52000, "shares": {ESAT: 55, EVE: 45},
              "note": "Notifié par l'acheteur"},
    )  # fmt: skip
    assert won.status_code == 200, won.text
    body = won.json()
    assert body["stage"] == "won" and body["amount_won"] == {"amount": 52000.0, "currency": "EUR"}
    assert [m["share_percent"] for m in body["members"]] == [55.0, 45.0]
    assert body["next_stages"] == []
    history = client.get(f"{BIDS}/{bid['id']}").json()["history"]
    assert [(e["from_stage"], e["to_stage"]) for e in history] == [
        (None, "spotted"),
        ("spotted", "interest"),
        ("interest", "team_formed"),
        ("team_formed", "submitted"),
        ("submitted", "won"),
    ]
    assert history[-1]["note"] == "Notifié par l'acheteur" and history[-1]["by"] == "officer"
    assert history[-1]["to_label"] == "gagnée"
    datetime.fromisoformat(history[-1]["at"])  # an instant with its offset


def test_a_refused_change_is_a_409_with_the_french_message(
    api_client: ApiClients, world: Context
) -> None:
    client = api_client("staff")
    bid = create(client)
    url = f"{BIDS}/{bid['id']}/transitions"
    problem = assert_problem(client.post(url, json={"to_stage": "won"}), 409)
    assert problem["detail"] == (
        "Changement d'étape refusé : « repérée » → « gagnée ». "
        "Depuis « repérée », changements possibles : « intérêt », « abandonnée »."
    )
    assert problem["current_stage"] == "spotted"
    assert problem["allowed_stages"] == ["interest", "abandoned"]
    # a change decided on a stale view: someone else moved the bid meanwhile
    assert client.post(url, json={"to_stage": "interest"}).status_code == 200
    stale = client.post(
        url, json={"to_stage": "abandoned", "reason": "capacity", "expected_stage": "spotted"}
    )
    assert "vient de passer à « intérêt »" in assert_problem(stale, 409)["detail"]
    # a change lacking what it requires: 422, nothing written
    missing = assert_problem(client.post(url, json={"to_stage": "abandoned"}), 422)
    assert "indiquez la raison" in missing["detail"]
    after = client.get(f"{BIDS}/{bid['id']}").json()
    assert after["stage"] == "interest" and len(after["history"]) == 2


def test_create_from_the_suggested_team(api_client: ApiClients, world: Context) -> None:
    client = api_client("officer")
    response = client.post(BIDS, json={"notice_uid": UID, "from_suggestion": True})
    assert response.status_code == 201, response.text
    bid = response.json()
    assert bid["from_suggestion"] and [m["actor_id"] for m in bid["members"]] == [ESAT, EVE]
    assert [m["role"] for m in bid["members"]] == ["lead", "cotraitant"]
    again = client.post(BIDS, json={"notice_uid": UID, "from_suggestion": True})
    assert "déjà été créé depuis cette suggestion" in assert_problem(again, 422)["detail"]
    none = client.post(BIDS, json={"notice_uid": FUNDING, "from_suggestion": True})
    assert_problem(none, 404)


def test_list_filters_and_pages_with_a_cursor(api_client: ApiClients, world: Context) -> None:
    client = api_client("officer")
    for i in range(5):
        create(client, title=f"Groupement {i}")
    create(client, notice_uid=FUNDING, members=[{"actor_id": ACTIV}], title="Collectif")
    everything = client.get(BIDS).json()
    assert everything["total"] == 6 and len(everything["items"]) == 6
    assert "history" not in everything["items"][0]
    funding = client.get(BIDS, params={"kind": "funding"}).json()
    assert [b["title"] for b in funding["items"]] == ["Collectif"]
    assert funding["items"][0]["kind_label"] == "appel à projets"
    seen, cursor = [], None
    while True:
        params = {"kind": "tender", "per_page": "2", **({"cursor": cursor} if cursor else {})}
        page = client.get(BIDS, params=params).json()
        seen += [b["title"] for b in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Groupement {i}" for i in range(5)]
    first = client.get(BIDS, params={"kind": "tender", "per_page": "2"}).json()
    replayed = client.get(BIDS, params={"kind": "funding", "cursor": first["next_cursor"]})
    assert assert_problem(replayed, 400)["errors"][0]["field"] == "cursor"
    bad = assert_problem(client.get(BIDS, params={"stage": "gagné"}), 400)
    assert {e["field"] for e in bad["errors"]} == {"stage"}
    assert_problem(client.get(BIDS, params={"per_page": "0"}), 400)
    assert client.get(BIDS, params={"actor_id": ACTIV}).json()["total"] == 1
    assert client.get(BIDS, params={"created_from": "2999-01-01"}).json()["total"] == 0


def test_patch_changes_the_details_only(api_client: ApiClients, world: Context) -> None:
    client = api_client("officer")
    bid = create(client, notes="à garder")
    url = f"{BIDS}/{bid['id']}"
    response = client.patch(
        url, json={"contact_name": "Mme Martin", "documents": ["https://x.example/dce"]}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["contact_name"] == "Mme Martin" and body["notes"] == "à garder"
    assert body["documents"] == ["https://x.example/dce"]
    refused = client.patch(url, json={"documents": ["javascript:alert(1)"]})
    assert "lien http(s)" in assert_problem(refused, 422)["detail"]
    foreign = client.patch(url, json={"members": [{"actor_id": LILLE}]})
    assert_problem(foreign, 404)
    assert client.get(url).json()["members"] == body["members"]


def test_a_proposed_outcome_is_confirmed_or_dismissed(
    api_client: ApiClients, world: Context
) -> None:
    client = api_client("staff")
    bids = [create(client, stage="submitted") for _ in range(2)]
    for bid in bids:
        proposal = OutcomeProposal(
            award_uid="boamp:26-399",
            outcome=BidStage.WON,
            awardees=["ESAT Les Jardins de l'Escaut"],
            amount=Money(amount=40000),
            matched_by=UID,
            proposed_at=datetime.now(UTC),
            members_awarded=[ESAT],
        )
        bid_records.set_proposal(world.records, int(bid["id"]), proposal)  # type: ignore[call-overload]
    first, second = (f"{BIDS}/{b['id']}" for b in bids)
    read = client.get(first).json()["proposal"]
    assert read["outcome"] == "won" and read["outcome_label"] == "gagnée"
    missing = client.post(f"{first}/proposal/confirm", json={})
    assert "part (%) de chaque membre" in assert_problem(missing, 422)["detail"]
    done = client.post(f"{first}/proposal/confirm", json={"shares": {ESAT: 80, EVE: 20}})
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "won" and done.json()["amount_won"]["amount"] == 40000
    assert done.json()["proposal"] is None
    dismissed = client.post(f"{second}/proposal/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["proposal"] is None
    assert dismissed.json()["stage"] == "submitted"


def test_territories(api_client: ApiClients, world: Context) -> None:
    bid = create(api_client("officer"))
    mel = api_client("officer_mel").post(
        BIDS,
        json={"notice_uid": MEL_UID, "members": [{"actor_id": LILLE, "role": "lead"},
                                                 {"actor_id": ROUBAIX}]},
    )  # fmt: skip
    assert mel.status_code == 201, mel.text
    # another territory's bid answers like an unknown one
    officer = api_client("officer")
    assert_problem(officer.get(f"{BIDS}/{mel.json()['id']}"), 404)
    moved = officer.post(f"{BIDS}/{mel.json()['id']}/transitions", json={"to_stage": "interest"})
    assert_problem(moved, 404)
    assert [b["id"] for b in officer.get(BIDS).json()["items"]] == [bid["id"]]
    assert api_client("admin").get(BIDS).json()["total"] == 2
    # an actor of another territory cannot join a bid
    assert_problem(
        officer.post(BIDS, json={"notice_uid": UID, "members": [{"actor_id": LILLE}]}), 404
    )
    assert team()[0].actor_id == ESAT
