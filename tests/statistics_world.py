"""A world whose statistics are known by construction (`from statistics_world import build_world`).

Two served territories: `valenciennes` (département 59) and `artois` (62), each with actors of
known ESS families; notices of known sources, kinds, places and flags first collected at known
instants (some on the edges of 2025 in Paris time); digests sent, pending or outside 2025.
Every expected figure of the tests is derived by hand in the comments beside the data.
All of it is constructed for the tests (no real organisation or notice).
"""

from __future__ import annotations

from datetime import UTC, datetime

from veilleuse.app.context import Context
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.bids import BidKind, BidMember, BidStage, GroupedBid, LossReason, MemberRole
from veilleuse.core.grouped_bids import StageChange
from veilleuse.core.models import (
    Actor,
    EssFamily,
    Lot,
    Money,
    Notice,
    NoticeKind,
    Places,
    Territory,
)
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import interests as interest_records
from veilleuse.records import territories as territory_records
from veilleuse.records.tables import DigestRow

HERE, THERE = "valenciennes", "artois"
TERRITORIES = (
    PlanTerritory(id=HERE, name="Valenciennes (test)", departments=["59"]),
    PlanTerritory(id=THERE, name="Artois (test)", departments=["62"]),
)

#: id → (family, territory, first département, active)
ACTORS: dict[str, tuple[EssFamily, str, str, bool]] = {
    "esat-1": (EssFamily.ESAT, HERE, "59", True),
    "esat-2": (EssFamily.ESAT, HERE, "59", True),
    "scop-1": (EssFamily.SCOP, HERE, "62", True),  # works in 62, belongs to Valenciennes
    "asso-1": (EssFamily.ASSOCIATION, HERE, "59", False),  # paused: still in the base
    "aci-b": (EssFamily.SIAE_ACI, THERE, "62", True),
    "scop-b": (EssFamily.SCOP, THERE, "62", True),
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _notice(uid: str, kind: NoticeKind, seen: str, **fields: object) -> Notice:
    source, native = uid.split(":", 1)
    return Notice.model_validate(
        {
            "uid": uid,
            "source": source,
            "native_id": native,
            "kind": kind,
            "title": f"Avis {uid}",
            "first_seen": at(seen),
            **fields,
        }
    ).with_hash()


T, F, A = NoticeKind.TENDER, NoticeKind.FUNDING_CALL, NoticeKind.AWARD
N59, N62 = Places(departments=["59"]), Places(departments=["62"])

NOTICES = [
    # 2025 in Paris: 8 notices. boamp 6 (5 tenders, 1 award), ted 1 tender, aides 1 funding call.
    # In the 59: boamp 1, 2, 4, 5, 6 and ted 1 (6). Tenders of the 59: 1, 2, 4, 6, ted 1 (5):
    # reserved 1, 6 (40 %); social clause 1, 2 (40 %); either 1, 2, 6 (60 %).
    # National tenders: + boamp 3 (6): reserved 3 (50 %), social 2 (33.3 %), either 4 (66.7 %).
    _notice("boamp:1", T, "2025-02-10T09:00:00", places=N59, cpv=["77310000"],
            reserved=True, social_clause=True),
    _notice("boamp:2", T, "2025-03-01T09:00:00", places=N59, cpv=["90911200"],
            reserved=False, social_clause=True),
    _notice("boamp:3", T, "2025-08-15T09:00:00", places=N62, cpv=["90910000"], reserved=True),
    _notice("boamp:4", T, "2025-09-01T09:00:00", places=N59, cpv=["77310000", "45000000"]),
    _notice("ted:1", T, "2025-11-30T09:00:00", places=N59,
            lots=[Lot(id="1", cpv=["55520000"])]),
    _notice("aides_territoires:1", F, "2025-05-05T09:00:00"),
    # 30 June 22:30 UTC is 1 July 00:30 in Paris: second semester
    _notice("boamp:5", A, "2025-06-30T22:30:00", places=N59),
    # 31 December 2024 23:30 UTC is 1 January 2025 00:30 in Paris: first semester of 2025
    _notice("boamp:6", T, "2024-12-31T23:30:00", places=N59, reserved=True),
    # outside 2025
    _notice("boamp:7", T, "2026-01-05T09:00:00", places=N59, reserved=True),
    _notice("boamp:8", T, "2024-12-31T22:59:00", places=N59),  # 23:59 in Paris: 2024
]  # fmt: skip

#: (digest id, actor, status, sent at, notice uids)
DIGESTS = [
    # Valenciennes, 2025: 6 items; esat-1 4 (d1 2, d3 1, d8 1), scop-1 2 (d2); reached 2 of 4.
    ("d1", "esat-1", "sent", "2025-03-03T07:00:00", ["boamp:1", "boamp:2"]),  # S1
    ("d2", "scop-1", "sent", "2025-09-02T07:00:00", ["boamp:4", "aides_territoires:1"]),
    ("d3", "esat-1", "sent", "2025-09-10T07:00:00", ["ted:1"]),
    ("d8", "esat-1", "sent", "2025-10-01T07:00:00", ["gone:1"]),  # no longer in the store
    ("d4", "esat-2", "pending", None, ["boamp:4"]),  # never delivered
    ("d5", "esat-2", "sent", "2024-12-20T07:00:00", ["boamp:1"]),  # 2024
    ("d7", "scop-1", "sent", "2025-12-31T23:30:00", ["boamp:6"]),  # 1 January 2026 in Paris
    # Artois, 2025: 1 item, aci-b reached (1 of 2)
    ("d6", "aci-b", "sent", "2025-03-03T07:00:00", ["boamp:3"]),
]


S = BidStage
LEAD, CO = MemberRole.LEAD, MemberRole.COTRAITANT
TENDER, FUNDING = BidKind.TENDER, BidKind.FUNDING

#: name → (kind, territory, team [(actor, role)], from suggestion, created (at, stage),
#: changes [(at, stage, amount won, {actor: share})])
BIDS: dict[str, tuple] = {  # type: ignore[type-arg]
    # 2025, Valenciennes. Entered (tender, funding): spotted 2-0, interest 2-0, team 3-1,
    # submitted 2-2, won 1-1, lost 1-0, unsuccessful 1-0, abandoned 2-0.
    "B1": (TENDER, HERE, [("esat-1", LEAD), ("scop-1", CO)], True, ("2025-02-01T09:00:00", S.SPOTTED),
           [("2025-02-10T09:00:00", S.INTEREST), ("2025-03-01T09:00:00", S.TEAM_FORMED),
            ("2025-04-01T09:00:00", S.SUBMITTED),
            ("2025-06-15T09:00:00", S.WON, 100_000.0, {"esat-1": 60.0, "scop-1": 40.0})]),
    "B2": (TENDER, HERE, [("scop-1", LEAD), ("esat-2", CO)], False, ("2025-03-05T09:00:00", S.INTEREST),
           [("2025-03-20T09:00:00", S.TEAM_FORMED), ("2025-05-01T09:00:00", S.SUBMITTED),
            ("2025-09-01T09:00:00", S.LOST)]),
    "B3": (FUNDING, HERE, [("esat-2", LEAD), ("asso-1", CO)], False,
           ("2025-04-01T09:00:00", S.TEAM_FORMED),
           [("2025-04-15T09:00:00", S.SUBMITTED),
            ("2025-10-10T09:00:00", S.WON, 20_000.0, {"esat-2": 50.0, "asso-1": 50.0})]),
    "B4": (TENDER, HERE, [("esat-1", CO)], False, ("2025-05-01T09:00:00", S.SPOTTED),
           [("2025-05-20T09:00:00", S.ABANDONED)]),
    # created in 2024, declared unsuccessful on 15 January 2025
    "B5": (TENDER, HERE, [("esat-1", LEAD), ("asso-1", CO)], False,
           ("2024-11-01T09:00:00", S.SUBMITTED), [("2025-01-15T09:00:00", S.UNSUCCESSFUL)]),
    "B6": (TENDER, HERE, [("scop-1", LEAD), ("esat-1", CO)], False,
           ("2025-07-01T09:00:00", S.TEAM_FORMED), [("2025-08-01T09:00:00", S.ABANDONED)]),
    # 31 December 2025 23:30 UTC: 1 January 2026 in Paris
    "B7": (FUNDING, HERE, [("asso-1", CO)], False, ("2025-12-31T23:30:00", S.SPOTTED), []),
    # the other territory: never counted for Valenciennes
    "B8": (TENDER, THERE, [("aci-b", LEAD), ("scop-b", CO)], False,
           ("2025-02-01T09:00:00", S.SUBMITTED),
           [("2025-03-01T09:00:00", S.WON, 50_000.0, {"aci-b": 50.0, "scop-b": 50.0})]),
    # all of it in 2024
    "B9": (TENDER, HERE, [("esat-1", LEAD), ("scop-1", CO)], False, ("2024-06-01T09:00:00", S.SPOTTED),
           [("2024-07-01T09:00:00", S.INTEREST), ("2024-08-01T09:00:00", S.TEAM_FORMED),
            ("2024-09-01T09:00:00", S.SUBMITTED),
            ("2024-12-01T09:00:00", S.WON, 7_000.0, {"esat-1": 50.0, "scop-1": 50.0})]),
    # submitted in 2025, lost in 2026: reached « déposée » (and a later outcome) in the funnel
    "B10": (FUNDING, HERE, [("asso-1", LEAD), ("esat-1", CO)], False,
            ("2025-09-01T09:00:00", S.SUBMITTED), [("2026-02-01T09:00:00", S.LOST)]),
}  # fmt: skip

#: (actor, notice, at): 2025 in Valenciennes: ESAT 3 (2 actors, 3 notices), SCOP 1, association 1
INTERESTS = [
    ("esat-1", "boamp:1", "2025-02-05T09:00:00"),
    ("esat-1", "boamp:2", "2025-03-02T09:00:00"),
    ("scop-1", "boamp:1", "2025-02-06T09:00:00"),
    ("asso-1", "aides_territoires:1", "2025-05-06T09:00:00"),
    ("esat-2", "boamp:4", "2024-12-31T23:30:00"),  # 1 January 2025 in Paris
    ("esat-2", "ted:1", "2026-01-02T09:00:00"),  # 2026
    ("aci-b", "boamp:3", "2025-08-16T09:00:00"),  # the other territory
]

REASONS = {S.LOST: LossReason.PRICE, S.ABANDONED: LossReason.CAPACITY}


def _bid(name: str) -> GroupedBid:
    kind, territory, team, suggested, _, _ = BIDS[name]
    return GroupedBid(
        kind=kind,
        notice_uid=f"boamp:{name}",
        territory_id=territory,
        title=f"Candidature {name}",
        members=[BidMember(actor_id=a, role=role) for a, role in team],
        from_suggestion=suggested,
    )


def build_bids(ctx: Context) -> dict[str, int]:
    """The register of `BIDS` and the `INTERESTS`; returns name → bid id."""
    ids = {}
    for name, (_, _, _, _, (created, stage), changes) in BIDS.items():
        bid = _bid(name).model_copy(update={"stage": stage})
        stored = bid_records.create_grouped_bid(ctx.records, bid, by="tests", at=at(created))
        assert stored.id is not None
        ids[name] = stored.id
        for when, to, *won in changes:
            change = StageChange(
                to_stage=to,
                reason=REASONS.get(to),
                amount_won=Money(amount=won[0]) if won else None,
                shares=won[1] if won else None,
            )
            bid_records.move_grouped_bid(ctx.records, stored.id, [change], at=at(when))
    for actor_id, uid, when in INTERESTS:
        interest_records.add_interest(ctx.records, actor_id, uid, at=at(when))
    return ids


def build_world(ctx: Context, *, territories: bool = True) -> None:
    """Fill the context's records and store (the territories may exist already: web fixtures)."""
    records = ctx.records
    if territories:
        for territory in TERRITORIES:
            territory_records.upsert_territory(records, territory)
    actors = [
        Actor(id=a, name=f"Structure {a}", family=family, territory=Territory(departments=[dep]))
        for a, (family, _, dep, _) in ACTORS.items()
    ]
    actor_records.upsert_actors(records, actors)
    for actor_id, (_, _, _, active) in ACTORS.items():
        actor_records.set_active(records, actor_id, active)
    territory_records.set_actor_territories(records, {a: t for a, (_, t, _, _) in ACTORS.items()})
    ctx.store.write(NOTICES)
    for digest_id, actor_id, status, sent, uids in DIGESTS:
        period_end = at(sent) if sent else at("2025-09-10T07:00:00")
        digest_log.reserve_digest(records, digest_id, actor_id, period_end, "message", uids)
        with records.session() as s:
            row = s.get(DigestRow, digest_id)
            assert row is not None
            row.status, row.sent_at = status, at(sent) if sent else None
    build_bids(ctx)
