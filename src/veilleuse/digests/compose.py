"""Choose what goes into one actor's weekly digest: pure selection, no I/O.

The records database (send log) is the caller's: it passes the uids already sent and logs
`Digest.covered_uids()` after delivery, so nothing is sent twice — not even the same opportunity
seen in another source (`Notice.also_in`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from veilleuse.core.deadlines import (
    calendar_day,
    deadline_instant,
    effective_deadline,
    is_past,
    start_of_day,
)
from veilleuse.core.models import (
    Actor,
    GroupedBidSuggestion,
    Lot,
    Match,
    Money,
    Notice,
    NoticeStatus,
)
from veilleuse.core.normalise import fold
from veilleuse.digests.reminders import ReminderLine


@dataclass
class DigestLine:
    """One line of the digest: one procedure, with all its lots that match the actor."""

    notice: Notice
    match: Match
    lots: list[Lot]
    team: GroupedBidSuggestion | None
    partner_names: dict[str, str]
    #: « un groupement est en cours — contact : … » (`app.team_formed`), shown instead of a
    #: suggested team when a grouped bid of the actor's territory already formed its team
    bid_note: str | None = None

    def deadline(self) -> date | datetime | None:
        """The notice deadline, else the earliest deadline of the matching lots."""
        return effective_deadline(self.notice, self.lots)

    def estimated_value(self) -> Money | None:
        """The sum of the matching lots' values when each has one (in one currency), else the
        notice's own estimate."""
        return line_value(self.notice, self.lots)


@dataclass
class Digest:
    actor: Actor
    lines: list[DigestLine]
    period_start: date
    period_end: date
    degraded_sources: list[str]
    territory_name: str
    digest_id: str
    today: date | None = field(default=None)  # reference day for "days left"; None = period_end
    #: deadline reminders of notices the actor said interested it (`digests.reminders`); they
    #: are not opportunities: `lines` and `covered_uids` leave them out
    reminders: list[ReminderLine] = field(default_factory=list)
    #: the network's editorial: set, this is the network's curated digest (`digests.curated`)
    editorial: str | None = None

    def notice_uids(self) -> list[str]:
        """The uids of the notices shown, in digest order."""
        return [line.notice.uid for line in self.lines]

    def covered_uids(self) -> set[str]:
        """Shown uids plus their duplicates in other sources: what the send log should record."""
        return {uid for line in self.lines for uid in _identity(line.notice)}

    def reference_day(self) -> date:
        return self.today or self.period_end


def digest_id_for(actor_id: str, period_end: date) -> str:
    """Stable id of an actor's digest for a period: re-running a week gives the same id."""
    return f"{actor_id}:{period_end.isoformat()}"


def compose_digest(
    actor: Actor,
    matches: list[Match],
    notices: dict[str, Notice],
    teams: dict[str, GroupedBidSuggestion],
    actor_names: dict[str, str],
    already_sent: set[str],
    *,
    period_start: date,
    period_end: date,
    degraded_sources: list[str],
    territory_name: str,
    max_items: int | None = None,
    max_per_buyer: int = 3,
    today: date | datetime | None = None,
) -> Digest:
    """Select, deduplicate, sort and cap the actor's matches into a digest (possibly empty).

    `today` is the instant deadlines are compared with (`core.deadlines.is_past`; a date means
    its start, Paris time); it defaults to now. `teams` is keyed by notice uid; a team the actor
    is not part of is ignored.
    """
    now = _as_instant(today)
    digest = Digest(
        actor=actor,
        lines=[],
        period_start=period_start,
        period_end=period_end,
        degraded_sources=list(degraded_sources),
        territory_name=territory_name,
        digest_id=digest_id_for(actor.id, period_end),
        today=calendar_day(now) if today is not None else None,
    )
    if not actor.digest.enabled:
        return digest

    candidates: list[DigestLine] = []
    for match in _merge_by_notice(m for m in matches if m.actor_id == actor.id):
        notice = notices.get(match.notice_uid)
        if notice is None or not _is_eligible(notice, actor, already_sent):
            continue
        lots = _matching_lots(notice, match.lot_ids)
        ordered = [lot.id for lot in lots]
        ordered += [i for i in match.lot_ids if i not in ordered]
        if ordered != match.lot_ids:
            match = match.model_copy(update={"lot_ids": ordered})
        if is_past(effective_deadline(notice, lots), now):
            continue
        if _below_minimum(line_value(notice, lots), actor.digest.min_amount):
            continue
        team = teams.get(notice.uid)
        if team is not None and actor.id not in team.members:
            team = None
        names = {}
        if team is not None:
            names = {member: actor_names.get(member, member) for member in team.members}
            names[actor.id] = actor_names.get(actor.id, actor.name)
        candidates.append(DigestLine(notice, match, lots, team, names))

    candidates.sort(key=_sort_key)
    limit = actor.digest.max_items if max_items is None else max_items
    seen: set[str] = set()
    per_buyer: dict[str, int] = {}
    for line in candidates:
        if len(digest.lines) >= limit:
            break
        identity = _identity(line.notice)
        if identity & seen:
            continue  # the same opportunity from another source, already on a better line
        buyer = _buyer_key(line.notice)
        if buyer is not None and per_buyer.get(buyer, 0) >= max_per_buyer:
            continue
        seen |= identity
        if buyer is not None:
            per_buyer[buyer] = per_buyer.get(buyer, 0) + 1
        digest.lines.append(line)
    return digest


def _as_instant(today: date | datetime | None) -> datetime:
    if today is None:
        return datetime.now(UTC)
    if isinstance(today, datetime):
        if today.tzinfo is None:
            raise ValueError("compose_digest(today=...) needs a timezone-aware datetime")
        return today
    return start_of_day(today)


def _identity(notice: Notice) -> set[str]:
    return {notice.uid, *notice.also_in}


def _is_eligible(notice: Notice, actor: Actor, already_sent: set[str]) -> bool:
    return (
        notice.status == NoticeStatus.OPEN
        and notice.kind in actor.digest.kinds
        and not (_identity(notice) & already_sent)
    )


def line_value(notice: Notice, lots: list[Lot]) -> Money | None:
    """What a line of `lots` of `notice` is worth: the lots' values summed when every one has
    a value in one currency, else the notice's estimate (None when unknown)."""
    values = [lot.estimated_value for lot in lots]
    if lots and all(values) and len({v.currency for v in values if v}) == 1:
        total = sum(v.amount for v in values if v)
        return Money(amount=total, currency=values[0].currency if values[0] else "EUR")
    return notice.estimated_value


def _below_minimum(value: Money | None, minimum: float | None) -> bool:
    """True when the actor's floor (euros) leaves the line out: an amount in euros below it.
    An unknown amount, or one in another currency, is kept (funding calls rarely have one)."""
    return (
        minimum is not None
        and value is not None
        and value.currency == "EUR"
        and value.amount < minimum
    )


def _merge_by_notice(matches: Iterable[Match]) -> list[Match]:
    """One match per notice: the best-scoring one, with the lot ids of all of them."""
    best: dict[str, Match] = {}
    lots: dict[str, dict[str, None]] = {}
    for match in matches:
        lots.setdefault(match.notice_uid, {}).update(dict.fromkeys(match.lot_ids))
        current = best.get(match.notice_uid)
        if current is None or match.score > current.score:
            best[match.notice_uid] = match
    return [
        m if list(lots[uid]) == m.lot_ids else m.model_copy(update={"lot_ids": list(lots[uid])})
        for uid, m in best.items()
    ]


def _matching_lots(notice: Notice, lot_ids: list[str]) -> list[Lot]:
    wanted = set(lot_ids)
    return [lot for lot in notice.lots if lot.id in wanted]


def _sort_key(line: DigestLine) -> tuple[float, float, str]:
    instant = deadline_instant(line.deadline())
    nearest = instant.timestamp() if instant is not None else float("inf")
    return (-line.match.score, nearest, line.notice.uid)


def _buyer_key(notice: Notice) -> str | None:
    if notice.buyer.siret:
        return notice.buyer.siret
    if notice.buyer.name:
        return " ".join(fold(notice.buyer.name).split())
    return None
