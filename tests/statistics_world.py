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
from veilleuse.core.models import Actor, EssFamily, Lot, Notice, NoticeKind, Places, Territory
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
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
