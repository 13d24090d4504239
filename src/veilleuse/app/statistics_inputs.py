"""What the committee's figures read, for one territory and one period, loaded on first use.

Each figure function takes a `StatisticsInputs` and reads only what it needs (a chart asks for
one figure: the others' data is never loaded); what two figures share (the territory's actors,
the digest items of the period) is read once per request. Every read is bounded: by the
territory's actors, by the period, or by the store's counts and facets (no notice is listed
but those announced to the territory's actors).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cached_property
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.statistics_period import Period
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.bids import BidFilters, GroupedBid
from veilleuse.core.models import Actor, Notice
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import interests as interest_records
from veilleuse.records import territories as territory_records
from veilleuse.records.actors import ActorEntry
from veilleuse.records.interests import Interest
from veilleuse.search.store import Filters

#: notices read from the store per request when resolving the delivered items' CPV codes
GET_MANY_CHUNK = 500


class StatisticsInputs:
    def __init__(self, ctx: Context, territory: PlanTerritory, period: Period) -> None:
        self.ctx = ctx
        self.territory = territory
        self.period = period
        self._facets: dict[str, dict[str, dict[str, int]]] = {}
        self._counts: dict[str, int] = {}

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The period as [first instant, first instant after), UTC."""
        return self.period.instants()

    # ------------------------------------------------------------------ actors and digests

    @cached_property
    def actors(self) -> dict[str, ActorEntry]:
        """The actors assigned to the territory today (active or not), by id."""
        ids = territory_records.actor_ids_in(self.ctx.records, [self.territory.id])
        return {e.actor.id: e for e in actor_records.actor_entries(self.ctx.records, ids)}

    @cached_property
    def delivered(self) -> list[tuple[str, str]]:
        """(actor, notice) of the digest items sent to the territory's actors in the period."""
        low, high = self.window
        return digest_log.delivered_items(self.ctx.records, self.territory.id, low, high)

    @cached_property
    def delivered_notices(self) -> dict[str, Notice]:
        """The stored notices among the delivered items (one read per chunk of uids)."""
        uids = sorted({uid for _, uid in self.delivered})
        found: dict[str, Notice] = {}
        for chunk in _chunks(uids, GET_MANY_CHUNK):
            found.update((n.uid, n) for n in self.ctx.store.get_many(chunk))
        return found

    # ------------------------------------------------------------------ the register

    @cached_property
    def bids(self) -> list[GroupedBid]:
        """The territory's grouped bids that may have an event in the period: created by its
        last day and changed since its first (three queries, with members and history)."""
        filters = BidFilters(
            territories=[self.territory.id],
            created_to=self.period.end,
            updated_from=self.period.start,
        )
        return bid_records.list_grouped_bids(self.ctx.records, filters)

    def actors_by_id(self, ids: set[str]) -> dict[str, Actor]:
        """The territory's actors among `ids`, and the others read in one query (a member
        assigned to another territory)."""
        found = {a: self.actors[a].actor for a in ids if a in self.actors}
        missing = ids - set(found)
        if missing:
            found |= {a.id: a for a in actor_records.get_actors(self.ctx.records, missing)}
        return found

    @cached_property
    def interests(self) -> list[Interest]:
        """Interests expressed in the period by the territory's actors (read by actor: one
        query, then kept when dated in the period)."""
        found = interest_records.interests_of_actors(self.ctx.records, set(self.actors))
        return [i for i in found if self.period.contains(i.at)]

    # ------------------------------------------------------------------ the notice store

    def notice_filters(self, local: bool = False, **narrow: Any) -> Filters:
        """Notices first collected in the period; `local`: in the territory's départements."""
        low, high = self.window
        departments = list(self.territory.departments) if local else []
        return Filters(
            first_seen_from=low, first_seen_before=high, departments=departments, **narrow
        )

    def facets(self, local: bool = False, **narrow: Any) -> dict[str, dict[str, int]]:
        filters = self.notice_filters(local, **narrow)
        key = filters.model_dump_json()
        if key not in self._facets:
            self._facets[key] = self.ctx.store.facets(filters)
        return self._facets[key]

    def count(self, local: bool = False, **narrow: Any) -> int:
        filters = self.notice_filters(local, **narrow)
        key = filters.model_dump_json()
        if key not in self._counts:
            self._counts[key] = self.ctx.store.count(filters)
        return self._counts[key]


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
