"""The notice page's use cases and pushes into the next digest, over a real records database,
the embedded store and the outbox mailer. Notices, actors and matches are constructed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from veilleuse.app.context import Context
from veilleuse.app.digest import digest_stage
from veilleuse.app.notice_page import notice_detail
from veilleuse.app.notice_pushes import PushOutcome, push_notice
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory, Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.models import (
    Actor,
    Contact,
    Evidence,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    Reason,
)
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

NOW = datetime.now(UTC)


def actor(actor_id: str, name: str) -> Actor:
    return Actor(
        id=actor_id,
        name=name,
        family="association",  # type: ignore[arg-type]
        contacts=[Contact(email=f"{actor_id}@example.org")],
    )


def tender(uid: str, title: str, **fields: object) -> Notice:
    values: dict[str, object] = {
        "uid": uid,
        "source": uid.split(":")[0],
        "native_id": uid.split(":")[1],
        "kind": NoticeKind.TENDER,
        "title": title,
        "deadline": (NOW + timedelta(days=20)).date(),
        **fields,
    }
    return Notice.model_validate(values).with_hash()


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    settings = Settings(data_dir=tmp_path)
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(settings, store=store, mailer=OutboxMailer(tmp_path / "outbox")) as context:
        records = context.records
        for territory in ("valenciennes", "mel"):
            territory_records.upsert_territory(records, PlanTerritory(id=territory, name=territory))
        actor_records.upsert_actors(
            records,
            [
                actor("regie", "Régie de quartier"),
                actor("esat", "ESAT du Hainaut"),
                actor("lille", "Coopérative lilloise"),
            ],
        )
        territory_records.set_actor_territories(
            records, {"regie": "valenciennes", "esat": "valenciennes", "lille": "mel"}
        )
        store.write(
            [
                tender(
                    "boamp:1",
                    "Entretien des espaces verts",
                    url="https://www.boamp.fr/avis/detail/1",
                    cpv=["77310000"],
                    also_in=["ted:1-2026", "ted:absent-2026"],
                    reserved=True,
                    evidence=Evidence(reserved=["Marché réservé (article L2113-13)"]),
                    lots=[
                        Lot(id="LOT-1", title="Tonte", cpv=["77312000"]),
                        Lot(id="LOT-2", title="Élagage", cpv=["77211400"], reserved=True),
                    ],
                ),
                tender("ted:1-2026", "Maintenance of green spaces", url="javascript:alert(1)"),
                tender("boamp:2", "Nettoyage des locaux"),
                tender("boamp:old", "Avis clos", deadline=(NOW - timedelta(days=2)).date()),
            ]
        )
        match_records.save_matches(
            records,
            [
                Match(
                    actor_id=a,
                    notice_uid="boamp:1",
                    score=s,
                    lot_ids=["LOT-1"],
                    reasons=[Reason(code="lexical", params={"words": ["espaces verts"]}, weight=9)],
                )
                for a, s in (("regie", 70.0), ("lille", 80.0))
            ],
        )
        yield context


def user(ctx: Context, role: Role, territory: str | None = "valenciennes") -> User:
    return account_records.create_user(
        ctx.records,
        email=f"{role.value}-{territory}@example.org",
        name=f"{role.label} {territory}",
        role=role,
        password_hash="x",
        territory_id=territory if role is not Role.ADMIN else None,
    )


def test_detail_shows_lots_labels_duplicates_and_only_visible_matches(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    detail = notice_detail(ctx, "boamp:1", officer)
    assert detail.source_url == "https://www.boamp.fr/avis/detail/1"
    assert [(c.code, c.label) for c in detail.cpv] == [
        ("77310000", "Réalisation et entretien d'espaces verts")
    ]
    assert [lot.cpv[0].label for lot in detail.lots] == [
        "Services d'enlèvement des mauvaises herbes",
        "Services d'abattage d'arbres",
    ]
    assert [lot.reserved for lot in detail.lots] == [None, True]
    assert detail.notice.evidence.reserved == ["Marché réservé (article L2113-13)"]
    duplicates = {d.uid: d.notice for d in detail.duplicates}
    assert duplicates["ted:1-2026"] is not None and duplicates["ted:absent-2026"] is None
    # the lille actor matched better, but belongs to the other territory
    assert detail.matches is not None
    assert [(m.actor.id, m.lot_titles) for m in detail.matches] == [("regie", ["Tonte"])]
    assert detail.matches[0].reasons and all(detail.matches[0].reasons)
    assert [a.id for a in detail.push_candidates] == ["regie", "esat"]
    admin = user(ctx, Role.ADMIN, None)
    assert detail and [m.actor.id for m in notice_detail(ctx, "boamp:1", admin).matches or []] == [
        "lille",
        "regie",
    ]


def test_detail_for_read_only_roles_and_unknown_notices(ctx: Context) -> None:
    committee = user(ctx, Role.COMMITTEE)
    detail = notice_detail(ctx, "boamp:1", committee)
    assert detail.matches is not None and detail.push_candidates == []
    assert notice_detail(ctx, "ted:1-2026", committee).source_url is None  # javascript: dropped
    assert notice_detail(ctx, "boamp:old", user(ctx, Role.OFFICER)).closed
    with pytest.raises(NotFoundError):
        notice_detail(ctx, "boamp:nope", committee)


def test_team_is_shown_only_when_every_member_is_visible(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)

    def suggest(members: list[str]) -> None:
        match_records.save_suggestions(
            ctx.records,
            [
                GroupedBidSuggestion(
                    notice_uid="boamp:1",
                    members=members,
                    lead=members[0],
                    assignments=[
                        LotAssignment(lot_id=f"LOT-{i}", actor_id=m, fit=0.8, why="")
                        for i, m in enumerate(members, 1)
                    ],
                    coverage=1.0,
                    score=75.0,
                )
            ],
        )

    suggest(["regie", "esat"])
    team = notice_detail(ctx, "boamp:1", officer).team
    assert team is not None
    assert [(m.name, m.lead, m.lots) for m in team.members] == [
        ("Régie de quartier", True, ["LOT-1"]),
        ("ESAT du Hainaut", False, ["LOT-2"]),
    ]
    assert [m.lot_titles for m in team.members] == [["LOT-1 « Tonte »"], ["LOT-2 « Élagage »"]]
    suggest(["regie", "lille"])
    detail = notice_detail(ctx, "boamp:1", officer)
    assert detail.team is None and detail.team_hidden


def test_push_twice_is_once_and_foreign_actors_are_not_found(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    first = push_notice(ctx, "boamp:2", ["regie", "esat"], officer, "  À voir vite  ")
    assert [r.outcome for r in first.results] == [PushOutcome.PUSHED, PushOutcome.PUSHED]
    again = push_notice(ctx, "boamp:2", ["regie"], officer, "autre note")
    assert [r.outcome for r in again.results] == [PushOutcome.ALREADY_PUSHED]
    pushes = push_records.pushes_of_notice(ctx.records, ["boamp:2"])
    assert [(p.actor_id, p.note) for p in pushes] == [
        ("regie", "À voir vite"),
        ("esat", "À voir vite"),
    ]
    with pytest.raises(NotFoundError, match="lille"):
        push_notice(ctx, "boamp:1", ["regie", "lille"], officer)
    with pytest.raises(NotFoundError):
        push_notice(ctx, "boamp:1", ["nobody"], officer)
    assert push_records.pushes_of_notice(ctx.records, ["boamp:1"]) == []  # nothing written
    with pytest.raises(PermissionDeniedError):
        push_notice(ctx, "boamp:1", ["regie"], user(ctx, Role.COMMITTEE))
    with pytest.raises(ValidationError, match="clos"):
        push_notice(ctx, "boamp:old", ["regie"], officer)
    with pytest.raises(ValidationError, match="au moins une structure"):
        push_notice(ctx, "boamp:1", [" "], officer)
    detail = notice_detail(ctx, "boamp:2", officer)
    assert [(p.actor_id, p.by, p.announced) for p in detail.pushes] == [
        ("regie", "chargé·e de veille valenciennes", False),
        ("esat", "chargé·e de veille valenciennes", False),
    ]


def eml_texts(folder: Path, part: str = "plain") -> dict[str, str]:
    out = {}
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body((part,))
        assert body is not None
        out[str(message["X-Veilleuse-Digest"] or path.stem)] = " ".join(body.get_content().split())
    return out


def test_pushed_notice_goes_once_into_the_next_digest(ctx: Context, tmp_path: Path) -> None:
    officer = user(ctx, Role.OFFICER)
    # boamp:2 matched nobody; boamp:1 matched regie with a score of 70
    push_notice(ctx, "boamp:2", ["regie"], officer, "Le lot 1 est pour vous")
    push_notice(ctx, "boamp:1", ["regie"], officer)
    report = digest_stage(ctx, [], now=NOW)
    assert report.pushed == 2 and report.items == 3  # and lille its own match
    (text,) = [t for d, t in eml_texts(tmp_path / "outbox").items() if d.startswith("regie")]
    assert text.count("Nettoyage des locaux") == 1
    assert text.count("Entretien des espaces verts") == 1
    assert "Signalé pour vous par votre chargé·e de veille : « Le lot 1 est pour vous »" in text
    (html,) = [
        t for d, t in eml_texts(tmp_path / "outbox", "html").items() if d.startswith("regie")
    ]
    # boamp:1 shows its match's score; boamp:2, pushed without a match, shows none
    assert html.count("Pertinence :") == 1 and "Pertinence : 70/100" in html
    assert push_records.pending_pushes(ctx.records) == []
    assert all(p.announced for p in notice_detail(ctx, "boamp:2", officer).pushes)
    # next week: nothing pushed is sent again, and pushing it again says it was announced
    later = digest_stage(ctx, [], now=NOW + timedelta(days=7))
    assert later.pushed == 0 and "regie" in later.empty
    again = push_notice(ctx, "boamp:2", ["regie"], officer)
    assert [r.outcome for r in again.results] == [PushOutcome.ALREADY_ANNOUNCED]


def test_a_push_of_a_notice_already_announced_is_not_sent_again(ctx: Context) -> None:
    officer = user(ctx, Role.OFFICER)
    first = digest_stage(ctx, [], now=NOW)  # regie gets boamp:1 from its match
    assert any(d.startswith("regie") for d in first.sent)
    report = push_notice(ctx, "boamp:1", ["regie"], officer)
    assert [r.outcome for r in report.results] == [PushOutcome.ALREADY_ANNOUNCED]
    later = digest_stage(ctx, [], now=NOW + timedelta(days=7))
    assert later.pushed == 0 and "regie" in later.empty
