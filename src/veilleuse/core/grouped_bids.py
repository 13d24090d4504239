"""Grouped-bid status rules: which change of status is allowed from which status.

The rules are data. `TRANSITIONS` maps every status to the statuses it may move to (an empty set
makes a status terminal); `LABELS` holds the French wording. Changing the stages of a grouped bid
means editing these two tables (and the `GroupedBidStatus` enum) and nothing else: every layer
(records, web, API, digests) asks this module instead of deciding again.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from veilleuse.core.errors import TransitionError
from veilleuse.core.models import GroupedBidStatus

S = GroupedBidStatus

#: status → statuses it may change to; abandoning is possible from every open status
TRANSITIONS: Mapping[GroupedBidStatus, frozenset[GroupedBidStatus]] = MappingProxyType(
    {
        S.SUGGESTED: frozenset({S.AGREED, S.ABANDONED}),
        S.AGREED: frozenset({S.SUBMITTED, S.ABANDONED}),
        S.SUBMITTED: frozenset({S.WON, S.LOST, S.ABANDONED}),
        S.WON: frozenset(),
        S.LOST: frozenset(),
        S.ABANDONED: frozenset(),
    }
)

#: French wording of each status (feminine: « une candidature groupée »)
LABELS: Mapping[GroupedBidStatus, str] = MappingProxyType(
    {
        S.SUGGESTED: "suggérée",
        S.AGREED: "acceptée",
        S.SUBMITTED: "déposée",
        S.WON: "gagnée",
        S.LOST: "perdue",
        S.ABANDONED: "abandonnée",
    }
)


def allowed_from(status: GroupedBidStatus) -> tuple[GroupedBidStatus, ...]:
    """The statuses `status` may change to, in the enum's order (empty when terminal)."""
    allowed = TRANSITIONS[status]
    return tuple(s for s in GroupedBidStatus if s in allowed)


def is_terminal(status: GroupedBidStatus) -> bool:
    """True when no change is allowed from `status` (an outcome or an abandon)."""
    return not TRANSITIONS[status]


def label(status: GroupedBidStatus) -> str:
    return LABELS[status]


def check_transition(current: GroupedBidStatus, new: GroupedBidStatus) -> None:
    """Raise `TransitionError` unless a grouped bid may move from `current` to `new`."""
    allowed = allowed_from(current)
    if new in allowed:
        return
    refused = f"Changement de statut refusé : « {label(current)} » → « {label(new)} »."
    if new is current:
        why = f"La candidature groupée est déjà « {label(current)} »."
    elif not allowed:
        why = f"« {label(current)} » est un statut final : aucun changement n'est possible."
    else:
        choices = ", ".join(f"« {label(s)} »" for s in allowed)
        why = f"Depuis « {label(current)} », changements possibles : {choices}."
    raise TransitionError(
        current.value, new.value, tuple(s.value for s in allowed), f"{refused} {why}"
    )
