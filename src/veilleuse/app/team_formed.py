"""Enough interest: a notice whose grouped bid already formed its team.

Once a grouped bid of a territory reaches « équipe formée » (or a later stage, abandoned
excepted: submitted, won, lost, unsuccessful), its notice — and its duplicates in other
sources — is no longer offered to more actors of that territory when
`digest.stop_when_team_formed` is on (the default): `FormedBids.hides`. Wherever the notice
still shows for an actor of that territory (a notice the officer pushes, a deadline reminder,
the network's digest), the suggested team gives way to « un groupement est en cours — contact :
… » with the bid's contact, else its lead's name (`FormedBids.note`). Actors of other
territories are not concerned: the network of each territory tracks its own bids.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from veilleuse.app.context import Context
from veilleuse.core.bids import BidFilters, BidStage, GroupedBid
from veilleuse.core.models import Notice
from veilleuse.digests.bids_in_progress import bid_contact, in_progress_note
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import territories as territory_records

#: the stages at which a bid's team is formed (« équipe formée » and after, abandoned excepted)
FORMED = (
    BidStage.TEAM_FORMED,
    BidStage.SUBMITTED,
    BidStage.WON,
    BidStage.LOST,
    BidStage.UNSUCCESSFUL,
)


@dataclass(frozen=True)
class FormedBid:
    bid_id: int
    notice_uid: str
    territory_id: str | None
    stage: BidStage
    contact: str | None
    members: frozenset[str]


class FormedBids:
    """The formed bids by territory and notice uid, and the territory of each actor."""

    def __init__(
        self, bids: Collection[FormedBid], territories: dict[str, str], stop_offering: bool
    ) -> None:
        self.by_key: dict[tuple[str | None, str], FormedBid] = {}
        for bid in sorted(bids, key=lambda b: b.bid_id):  # the first bid formed speaks
            self.by_key.setdefault((bid.territory_id, bid.notice_uid), bid)
        self.territories = territories
        self.stop_offering = stop_offering

    def __bool__(self) -> bool:
        return bool(self.by_key)

    def of(self, actor_id: str, notice: Notice | None) -> FormedBid | None:
        """The formed bid of the actor's territory for the notice (or a duplicate of it)."""
        territory = self.territories.get(actor_id)
        if notice is None or territory is None or not self.by_key:
            return None
        for uid in (notice.uid, *notice.also_in):
            found = self.by_key.get((territory, uid))
            if found is not None:
                return found
        return None

    def hides(self, actor_id: str, notice: Notice | None) -> bool:
        """The notice is not to be offered to this actor any more (see the module docstring)."""
        return self.stop_offering and self.of(actor_id, notice) is not None

    def note(self, actor_id: str, notice: Notice | None) -> str | None:
        """« Un groupement est en cours — contact : … » for this actor, or None."""
        bid = self.of(actor_id, notice)
        if bid is None:
            return None
        return in_progress_note(
            bid.contact, member=actor_id in bid.members, stage_label=bid.stage.label
        )


def _formed(bid: GroupedBid, names: dict[str, str]) -> FormedBid:
    lead = bid.lead()
    assert bid.id is not None
    return FormedBid(
        bid_id=bid.id,
        notice_uid=bid.notice_uid,
        territory_id=bid.territory_id,
        stage=bid.stage,
        contact=bid_contact(
            bid.contact_name, bid.contact_email, names.get(lead.actor_id) if lead else None
        ),
        members=frozenset(bid.member_ids()),
    )


def formed_bids(ctx: Context, actor_ids: Collection[str] | None = None) -> FormedBids:
    """Every formed bid and the territories of `actor_ids` (None: of every stored actor), in a
    bounded number of queries (bids: three; lead names; territories)."""
    records = ctx.records
    bids = bid_records.list_grouped_bids(records, BidFilters(stages=list(FORMED)))
    leads = {m.actor_id for b in bids if (m := b.lead()) is not None}
    names = {a.id: a.name for a in actor_records.get_actors(records, sorted(leads))}
    if actor_ids is None:
        actor_ids = [a.id for a in actor_records.list_actors(records, active_only=False)]
    territories = territory_records.territories_of_actors(records, actor_ids) if bids else {}
    return FormedBids(
        [_formed(b, names) for b in bids],
        territories,
        ctx.settings.digest.stop_when_team_formed,
    )
