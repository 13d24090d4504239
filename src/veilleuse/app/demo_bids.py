"""The demonstration's grouped-bid register: a few bids at different stages, so that the board,
the list, the export and the committee's statistics have something to show after `make demo`.

Every bid here is INVENTED (the notices are real samples or the constructed demo notices; the
teams, stages, amounts, shares and reasons are made up) and says so in its notes:
« constitué pour la démonstration ». One slot each, found again by its note, so a re-run
creates nothing twice:

- `suggestion`: the demo's real stored suggestion (the best one on an open notice) made a bid,
  moved to « équipe formée » — created as staff do it in one click, from the suggestion;
- `won`: the towing tender of the Ville de Paris (real BOAMP sample, two lots) won by two demo
  actors of Valenciennes Métropole, with the amount and each member's share;
- `lost`: an events tender (real BOAMP sample) lost on price;
- `submitted`: the constructed reuse tender, submitted and waiting for its outcome;
- `funding`: a funding call answered by a « collectif » at « intérêt ».

Each team is drawn from one served territory, so that territory's officer sees the whole bid.
A slot whose notice or actors are missing (another data set) is skipped. Changes go through
`records.grouped_bids`, so the rules of `core.grouped_bids` hold for these bids too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from veilleuse.app.context import Context
from veilleuse.app.notices import is_closed
from veilleuse.app.territories import territories_of_actors
from veilleuse.core.bids import BidKind, BidMember, BidStage, GroupedBid, LossReason, MemberRole
from veilleuse.core.grouped_bids import StageChange
from veilleuse.core.models import GroupedBidSuggestion, Money, NoticeKind
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import matches as match_records
from veilleuse.search.store import Filters

DEMO_MARK = "constitué pour la démonstration"
BY = "démonstration"
S = BidStage


@dataclass
class DemoBidsReport:
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    #: slot → why it was skipped
    skipped: dict[str, str] = field(default_factory=dict)


def _note(slot: str, text: str) -> str:
    return f"Groupement {DEMO_MARK} (inventé) [{slot}] : {text}"


def _existing_slots(ctx: Context) -> set[str]:
    slots = set()
    for bid in bid_records.list_grouped_bids(ctx.records):
        notes = bid.notes or ""
        if DEMO_MARK in notes and "[" in notes:
            slots.add(notes.split("[", 1)[1].split("]", 1)[0])
    return slots


def seed_demo_bids(ctx: Context) -> DemoBidsReport:
    """Create the demo's grouped bids that are not there yet (see the module docstring)."""
    report = DemoBidsReport()
    existing = _existing_slots(ctx)
    actors = {a.id for a in actor_records.list_actors(ctx.records)}
    for slot, make in (
        ("suggestion", _from_suggestion),
        ("won", _won),
        ("lost", _lost),
        ("submitted", _submitted),
        ("funding", _funding),
    ):
        if slot in existing:
            report.kept.append(slot)
            continue
        why = make(ctx, slot, actors)
        if why is None:
            report.created.append(slot)
        else:
            report.skipped[slot] = why
    return report


def _team(lead: str, *others: str, lots: dict[str, list[str]] | None = None) -> list[BidMember]:
    lots = lots or {}
    return [
        BidMember(actor_id=lead, role=MemberRole.LEAD, lots=lots.get(lead, [])),
        *(BidMember(actor_id=a, lots=lots.get(a, [])) for a in others),
    ]


def _create(
    ctx: Context,
    slot: str,
    uid: str,
    members: list[BidMember],
    note: str,
    changes: Sequence[StageChange] = (),
    **fields: object,
) -> None:
    notice = ctx.store.get(uid)
    assert notice is not None
    ids = [m.actor_id for m in members]
    assigned = territories_of_actors(ctx, ids)
    territory = next((assigned[a] for a in ids if a in assigned), "valenciennes")
    lead = actor_records.get_actor(ctx.records, ids[0])
    contact = lead.contacts[0] if lead and lead.contacts else None
    bid = GroupedBid.model_validate(
        {
            "kind": BidKind.FUNDING if notice.kind is NoticeKind.FUNDING_CALL else BidKind.TENDER,
            "notice_uid": uid,
            "territory_id": territory,
            "title": notice.title,
            "members": members,
            "notes": _note(slot, note),
            "contact_name": contact.name if contact else None,
            "contact_email": contact.email if contact else None,
            **fields,
        }
    )
    start = ctx.now() - timedelta(days=10 * (len(changes) + 1))
    stored = bid_records.create_grouped_bid(ctx.records, bid, by=BY, at=start)
    for step, change in enumerate(changes, start=1):
        bid_records.move_grouped_bid(
            ctx.records, stored.id or 0, [change], by=BY, at=start + timedelta(days=10 * step)
        )


def _matched(ctx: Context, uid: str, actors: set[str], exclude: set[str]) -> list[str]:
    """Actors matched with the notice, best first, among `actors`."""
    return [
        m.actor_id
        for m in match_records.matches_of_notice(ctx.records, uid)
        if m.actor_id in actors and m.actor_id not in exclude
    ]


def _from_suggestion(ctx: Context, slot: str, actors: set[str]) -> str | None:
    suggestions = match_records.load_suggestions(ctx.records)
    notices = {n.uid: n for n in ctx.store.get_many(sorted(suggestions))}

    home = territories_of_actors(ctx, {a for s in suggestions.values() for a in s.members})

    def rank(s: GroupedBidSuggestion) -> tuple[bool, bool, float]:
        # a team of one territory first: its officer and staff see the whole bid
        one = len({home.get(a) for a in s.members}) == 1 and s.members[0] in home
        return (one, not is_closed(ctx, notices[s.notice_uid]), s.score)

    usable = [
        s for s in suggestions.values() if s.notice_uid in notices and set(s.members) <= actors
    ]
    if not usable:
        return "aucune suggestion d'équipe enregistrée"
    best = max(usable, key=rank)
    order = [best.lead, *(m for m in best.members if m != best.lead)]
    lots = {a: [x.lot_id for x in best.assignments if x.actor_id == a] for a in order}
    _create(
        ctx,
        slot,
        best.notice_uid,
        _team(*order, lots=lots),
        "l'équipe suggérée par Veilleuse, acceptée par ses membres",
        [
            StageChange(S.INTEREST, note="les membres ont dit leur intérêt"),
            StageChange(S.TEAM_FORMED, note="réunion de constitution du groupement"),
        ],
        from_suggestion=True,
    )
    return None


def _pick(
    ctx: Context,
    uid: str,
    preferred: Sequence[str],
    actors: set[str],
    fallback: Sequence[str] = (),
) -> list[str] | None:
    """Two actors for a bid on `uid`: the preferred ones present, completed by actors matched
    with the notice, then by `fallback`, all of the first one's territory (so the bid's officer
    and staff see the whole team; actors outside every territory are left out)."""
    if ctx.store.get(uid) is None:
        return None
    chosen = [a for a in preferred if a in actors]
    matched = _matched(ctx, uid, actors, set(chosen))
    chosen = list(dict.fromkeys([*chosen, *matched, *(a for a in fallback if a in actors)]))
    territory = territories_of_actors(ctx, chosen)
    chosen = [a for a in chosen if a in territory]
    if not chosen:
        return None
    team = [a for a in chosen if territory[a] == territory[chosen[0]]][:2]
    return team if len(team) == 2 else None


def _won(ctx: Context, slot: str, actors: set[str]) -> str | None:
    uid = "boamp:16-186394"
    # towing (Anzin) with the transport association of Onnaing, both of Valenciennes Métropole
    team = _pick(ctx, uid, ["remorquage-solidaire-paris", "mobilite-solidaire-alpes"], actors)
    if team is None:
        return f"avis {uid} ou structures absents"
    lead, other = team
    _create(
        ctx,
        slot,
        uid,
        _team(lead, other, lots={lead: ["1"], other: ["2"]}),
        "véhicules légers (lot 1) et poids lourds (lot 2)",
        [
            StageChange(S.INTEREST),
            StageChange(S.TEAM_FORMED),
            StageChange(S.SUBMITTED, note="offre déposée"),
            StageChange(
                S.WON,
                note="notification reçue",
                amount_won=Money(amount=148_000),
                shares={lead: 65, other: 35},
            ),
        ],
    )
    return None


def _lost(ctx: Context, slot: str, actors: set[str]) -> str | None:
    uid = "boamp:16-186359"
    # events (lot 1 and 2) with a caterer: the matched actors first, the caterer otherwise
    team = _pick(ctx, uid, ["scic-cap-evenements"], actors, ["scop-cuisine-commune-var"])
    if team is None:
        return f"avis {uid} ou structures absents"
    _create(
        ctx,
        slot,
        uid,
        _team(*team),
        "offre jugée trop chère face à une agence",
        [
            StageChange(S.INTEREST),
            StageChange(S.TEAM_FORMED),
            StageChange(S.SUBMITTED),
            StageChange(S.LOST, reason=LossReason.PRICE, note="classés deuxièmes"),
        ],
    )
    return None


def _submitted(ctx: Context, slot: str, actors: set[str]) -> str | None:
    uid = "boamp:99-100004"
    # collection and sorting: the matched actors of a territory, else two reuse-minded ones
    fallback = ["recyclerie-numerique-ligerienne", "esat-jardins-escaut"]
    team = _pick(ctx, uid, ["artois-insertion-ressourcerie", "recup-tri"], actors, fallback)
    if team is None:
        return f"avis {uid} ou structures absents"
    _create(
        ctx,
        slot,
        uid,
        _team(*team),
        "collecte (ressourcerie) et tri",
        [StageChange(S.INTEREST), StageChange(S.TEAM_FORMED), StageChange(S.SUBMITTED)],
    )
    return None


def _funding(ctx: Context, slot: str, actors: set[str]) -> str | None:
    calls = [
        n
        for n in ctx.store.iter_notices(Filters(kinds=[NoticeKind.FUNDING_CALL]))
        if not is_closed(ctx, n)
    ]
    for call in sorted(calls, key=lambda n: n.uid):
        matched = _matched(ctx, call.uid, actors, set())
        territory = territories_of_actors(ctx, matched)
        matched = [a for a in matched if a in territory]  # a territory's actors only
        home = territory.get(matched[0]) if matched else None
        matched = [a for a in matched if territory[a] == home]
        if len(matched) >= 2:
            members = [BidMember(actor_id=a) for a in matched[:3]]
            _create(
                ctx,
                slot,
                call.uid,
                members,
                "un collectif de réponse en discussion",
                [StageChange(S.INTEREST)],
            )
            return None
    return "aucun appel à projets ouvert avec deux structures"
