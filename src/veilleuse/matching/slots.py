"""The reservation / audience component ("slot") as tables per actor class, for the block pass.

A notice without lots of its own gets the exact slot of every actor family (and legal form, for
a funding call's audiences); a multi-lot notice's slot depends on the lots an actor would bid
for, so the block pass gets the most it could be for each class instead: what its reserved
lots, the notice's own reservation and its social clause allow that family at best.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from veilleuse.core.models import (
    Actor,
    Notice,
    NoticeKind,
    ReservedKind,
    eligible_reserved_kinds,
)
from veilleuse.matching.explain import audience_fit, reservation_fit


class SlotTables:
    """Per actor class × notice: the exact slot of simple notices (NaN: the pair is excluded)
    and, for every notice, the most its slot can be (NaN: no choice of lots can hold)."""

    def __init__(
        self, actors: list[Actor], notices: list[Notice], lot_vectors: dict[str, np.ndarray]
    ) -> None:
        keys = [(a.family, a.legal_form) for a in actors]
        classes = list(dict.fromkeys(keys))
        self.class_of = np.array([classes.index(k) for k in keys], np.intp)
        self.simple = np.array([not len(lot_vectors.get(n.uid, ())) for n in notices], bool)
        self.funding = np.array([n.kind is NoticeKind.FUNDING_CALL for n in notices], bool)
        samples = [next(a for a in actors if (a.family, a.legal_form) == k) for k in classes]
        self.table = _table(samples, notices, self.simple, simple_slot)
        self.ceiling = _table(samples, notices, ~self.simple, lot_slot_ceiling)
        simple_ceilings = np.array([slot_ceiling(n) for n in notices], np.float32)
        self.ceiling[:, self.simple] = simple_ceilings[self.simple]

    def block(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """((A, B) slot values, 0 for multi-lot notices; (A, B) ceilings; (B,) which notices
        are simple)."""
        rows = self.class_of
        return (
            self.table[:, start:stop][rows],
            self.ceiling[:, start:stop][rows],
            self.simple[start:stop],
        )


def _table(
    samples: list[Actor],
    notices: list[Notice],
    wanted: np.ndarray,
    value: Callable[[Actor, Notice], float],
) -> np.ndarray:
    """(classes, notices) float32 of `value(sample, notice)` for the wanted notices, else 0;
    notices alike for the slot are computed once."""
    table = np.zeros((len(samples), len(notices)), np.float32)
    memo: dict[tuple[object, ...], list[float]] = {}
    for j, notice in enumerate(notices):
        if not wanted[j]:
            continue
        sig = _signature(notice)
        if sig not in memo:
            memo[sig] = [value(actor, notice) for actor in samples]
        table[:, j] = memo[sig]
    return table


def _signature(notice: Notice) -> tuple[object, ...]:
    lots = tuple((lot.reserved, tuple(lot.reserved_kinds)) for lot in notice.lots)
    return (
        notice.kind, tuple(notice.audiences), notice.reserved, tuple(notice.reserved_kinds),
        notice.social_clause, lots,
    )  # fmt: skip


def simple_slot(actor: Actor, notice: Notice) -> float:
    """`pairs._slot` for a notice scored without lots (no chosen lot); NaN when excluded."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        value = audience_fit(actor, notice.audiences)[0]
    elif any(lot.reserved_kinds for lot in notice.lots):
        value = reservation_fit(actor, False, [], notice.social_clause)[0]
    else:
        value = reservation_fit(
            actor, notice.reserved, notice.reserved_kinds, notice.social_clause
        )[0]
    return np.nan if value is None else value


def lot_slot_ceiling(actor: Actor, notice: Notice) -> float:
    """The most `pairs._slot` can give this actor on a multi-lot notice whichever lots it is
    given: 1 when some reservation names its family, 0.5 for a reservation to check or
    unspecified, the social clause's value, else 0; NaN when a funding call's audiences leave
    it out. Every value the slot can take for a set of lots needs one of these conditions."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        found = audience_fit(actor, notice.audiences)[0]
        return np.nan if found is None else found
    kinds = [k for lot in notice.lots for k in lot.reserved_kinds]
    reserved = any(lot.reserved for lot in notice.lots)
    if not kinds:  # reservations not stated lot by lot: the notice's own count too
        kinds, reserved = list(notice.reserved_kinds), reserved or bool(notice.reserved)
    if set(kinds) & set(eligible_reserved_kinds(actor.family)):
        return 1.0
    best = 0.5 if reserved or ReservedKind.PUBLIC_SERVICE_MISSION in kinds else 0.0
    if notice.social_clause:
        best = max(best, reservation_fit(actor, False, [], True)[0] or 0.0)
    return best


def slot_ceiling(notice: Notice) -> float:
    """The most the slot can give this notice, whatever the actor: the previous matcher's
    bound, kept for the order of ties."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        return 1.0 if notice.audiences else 0.5
    if notice.reserved or notice.reserved_kinds:
        return 1.0
    if any(lot.reserved or lot.reserved_kinds for lot in notice.lots):
        return 1.0
    return 0.6 if notice.social_clause else 0.0
