"""Selection rules of the weekly digest, on constructed notices, matches and teams.

All data here is invented for the tests (no real sample exists for matches or teams).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from veilleuse.core.models import (
    Actor,
    Buyer,
    Contact,
    DigestPreferences,
    EssFamily,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    NoticeStatus,
    Reason,
)
from veilleuse.digests.compose import Digest, compose_digest

PARIS_WINTER = timezone(timedelta(hours=1))
TODAY = date(2026, 11, 23)
ACTOR = Actor(
    id="regie-nord",
    name="Régie de quartier Nord",
    family=EssFamily.SIAE_ACI,
    contacts=[Contact(email="contact@regie-nord.example")],
)


def notice(uid: str, **fields: object) -> Notice:
    values: dict[str, object] = {
        "source": uid.split(":")[0],
        "native_id": uid.split(":")[1],
        "kind": NoticeKind.TENDER,
        "title": f"Avis {uid}",
        "buyer": Buyer(name=f"Acheteur {uid}"),
        "deadline": datetime(2026, 12, 12, 12, 0, tzinfo=PARIS_WINTER),
    }
    values.update(fields)
    return Notice(uid=uid, **values)


def match(uid: str, score: float, lot_ids: list[str] | None = None) -> Match:
    reasons = [Reason(code="cpv", text="Code CPV déclaré : 90910000", weight=10)]
    return Match(
        actor_id=ACTOR.id, notice_uid=uid, score=score, lot_ids=lot_ids or [], reasons=reasons
    )


def compose(
    notices: list[Notice],
    matches: list[Match],
    *,
    actor: Actor = ACTOR,
    already_sent: set[str] | None = None,
    teams: dict[str, GroupedBidSuggestion] | None = None,
    **options: object,
) -> Digest:
    return compose_digest(
        actor,
        matches,
        {n.uid: n for n in notices},
        teams or {},
        {"regie-nord": "Régie de quartier Nord", "esat-loire": "ESAT de la Loire"},
        already_sent or set(),
        period_start=date(2026, 11, 16),
        period_end=TODAY,
        degraded_sources=["ted"],
        territory_name="Nantes Métropole",
        **{"today": TODAY, **options},  # type: ignore[arg-type]
    )


def uids(digest: Digest) -> list[str]:
    return digest.notice_uids()


def test_sorted_by_score_then_nearest_deadline() -> None:
    soon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    later = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    notices = [
        notice("boamp:a", deadline=later),
        notice("boamp:b", deadline=soon),
        notice("boamp:c", deadline=None),
        notice("boamp:d", deadline=later),
    ]
    matches = [
        match("boamp:a", 70),
        match("boamp:b", 70),
        match("boamp:c", 70),
        match("boamp:d", 90),
    ]
    digest = compose(notices, matches)
    assert uids(digest) == ["boamp:d", "boamp:b", "boamp:a", "boamp:c"]
    assert digest.digest_id == "regie-nord:2026-11-23"
    assert digest.degraded_sources == ["ted"]
    assert digest.territory_name == "Nantes Métropole"
    assert digest.reference_day() == TODAY


def test_past_deadlines_and_closed_notices_are_excluded() -> None:
    notices = [
        notice("boamp:past", deadline=datetime(2026, 11, 22, 12, 0, tzinfo=UTC)),
        notice("boamp:yesterday", deadline=date(2026, 11, 22)),
        notice("boamp:today", deadline=date(2026, 11, 23)),  # a bare day lasts until its end
        notice("boamp:closed", status=NoticeStatus.CLOSED),
        notice("boamp:open"),
    ]
    digest = compose(notices, [match(n.uid, 60) for n in notices])
    assert uids(digest) == ["boamp:today", "boamp:open"]


def test_lot_deadline_is_used_when_the_notice_has_none() -> None:
    lots = [
        Lot(id="1", deadline=datetime(2026, 11, 20, 12, 0, tzinfo=UTC)),
        Lot(id="2", deadline=datetime(2026, 12, 20, 12, 0, tzinfo=UTC)),
    ]
    past = notice("boamp:lots", deadline=None, lots=lots)
    assert uids(compose([past], [match("boamp:lots", 60, ["1"])])) == []
    digest = compose([past], [match("boamp:lots", 60, ["2"])])
    assert digest.lines[0].deadline() == datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


def test_already_sent_is_never_sent_again_even_from_another_source() -> None:
    boamp = notice("boamp:1", also_in=["ted:1-2026"])
    ted = notice("ted:1-2026")
    other = notice("boamp:2")
    digest = compose(
        [boamp, ted, other],
        [match(n.uid, 60) for n in (boamp, ted, other)],
        already_sent={"ted:1-2026"},
    )
    assert uids(digest) == ["boamp:2"]


def test_duplicates_across_sources_are_shown_once_with_the_best_score() -> None:
    boamp = notice("boamp:1", also_in=["ted:1-2026"])
    ted = notice("ted:1-2026")  # the link is only on one side: still one line
    digest = compose([boamp, ted], [match("boamp:1", 55), match("ted:1-2026", 80)])
    assert uids(digest) == ["ted:1-2026"]
    assert digest.covered_uids() == {"ted:1-2026"}
    digest = compose([boamp, ted], [match("boamp:1", 80), match("ted:1-2026", 55)])
    assert uids(digest) == ["boamp:1"]
    assert digest.covered_uids() == {"boamp:1", "ted:1-2026"}


def test_one_line_per_procedure_with_its_matching_lots() -> None:
    lots = [Lot(id=str(i), title=f"Lot {i}") for i in (1, 2, 3)]
    tender = notice("boamp:lots", lots=lots)
    digest = compose([tender], [match("boamp:lots", 60, ["3"]), match("boamp:lots", 75, ["2"])])
    assert len(digest.lines) == 1
    line = digest.lines[0]
    assert [lot.id for lot in line.lots] == ["2", "3"]  # in the notice's order
    assert line.match.score == 75
    assert line.match.lot_ids == ["2", "3"]


def test_cap_per_buyer_and_total() -> None:
    same_buyer = [notice(f"boamp:n{i}", buyer=Buyer(name="Ville de Nantes ")) for i in range(5)]
    others = [notice(f"boamp:o{i}") for i in range(3)]
    matches = [match(n.uid, 90 - i) for i, n in enumerate(same_buyer)]
    matches += [match(n.uid, 50) for n in others]
    digest = compose(same_buyer + others, matches)
    assert uids(digest) == ["boamp:n0", "boamp:n1", "boamp:n2", "boamp:o0", "boamp:o1", "boamp:o2"]
    assert uids(compose(same_buyer + others, matches, max_per_buyer=1, max_items=2)) == [
        "boamp:n0",
        "boamp:o0",
    ]
    small = ACTOR.model_copy(update={"digest": DigestPreferences(max_items=4)})
    assert len(compose(same_buyer + others, matches, actor=small).lines) == 4


def test_kinds_and_enabled_preferences() -> None:
    tender = notice("boamp:t")
    call = notice("aides:c", kind=NoticeKind.FUNDING_CALL, buyer=Buyer(name="Région"))
    award = notice("boamp:a", kind=NoticeKind.AWARD)
    matches = [match(n.uid, 60) for n in (tender, call, award)]
    assert uids(compose([tender, call, award], matches)) == ["aides:c", "boamp:t"]
    calls_only = ACTOR.model_copy(
        update={"digest": DigestPreferences(kinds=[NoticeKind.FUNDING_CALL])}
    )
    assert uids(compose([tender, call, award], matches, actor=calls_only)) == ["aides:c"]
    disabled = ACTOR.model_copy(update={"digest": DigestPreferences(enabled=False)})
    digest = compose([tender, call, award], matches, actor=disabled)
    assert digest.lines == []
    assert digest.digest_id == "regie-nord:2026-11-23"


def test_other_actors_matches_and_unknown_notices_are_ignored() -> None:
    tender = notice("boamp:t")
    foreign = match("boamp:t", 90).model_copy(update={"actor_id": "someone-else"})
    assert uids(compose([tender], [foreign, match("boamp:missing", 90)])) == []


def test_team_attached_only_when_the_actor_is_a_member() -> None:
    lots = [Lot(id="1"), Lot(id="2")]
    tender = notice("boamp:t", lots=lots)
    other = notice("boamp:u", lots=lots)
    team = GroupedBidSuggestion(
        notice_uid="boamp:t",
        members=["esat-loire", "regie-nord"],
        lead="esat-loire",
        assignments=[
            LotAssignment(lot_id="1", actor_id="esat-loire", fit=0.8, why="espaces verts"),
            LotAssignment(lot_id="2", actor_id="regie-nord", fit=0.7, why="nettoyage"),
        ],
        coverage=1.0,
        score=80,
    )
    not_ours = team.model_copy(update={"notice_uid": "boamp:u", "members": ["esat-loire", "x"]})
    digest = compose(
        [tender, other],
        [match("boamp:t", 70, ["2"]), match("boamp:u", 60, ["2"])],
        teams={"boamp:t": team, "boamp:u": not_ours},
    )
    first, second = digest.lines
    assert first.team == team
    assert first.partner_names == {
        "esat-loire": "ESAT de la Loire",
        "regie-nord": "Régie de quartier Nord",
    }
    assert second.team is None
    assert second.partner_names == {}


def test_empty_digest_is_valid() -> None:
    digest = compose([], [])
    assert digest.lines == []
    assert digest.covered_uids() == set()


def test_naive_today_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compose([], [], today=datetime(2026, 11, 23, 8, 0))
