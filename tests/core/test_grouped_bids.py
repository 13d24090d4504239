"""Grouped-bid status rules (veilleuse.core.grouped_bids): allowed and refused changes."""

from __future__ import annotations

import pytest

from veilleuse.core.errors import TransitionError, ValidationError
from veilleuse.core.grouped_bids import (
    LABELS,
    TRANSITIONS,
    allowed_from,
    check_transition,
    is_terminal,
)
from veilleuse.core.models import GroupedBidStatus

S = GroupedBidStatus

ALLOWED = [
    (S.SUGGESTED, S.AGREED),
    (S.SUGGESTED, S.ABANDONED),
    (S.AGREED, S.SUBMITTED),
    (S.AGREED, S.ABANDONED),
    (S.SUBMITTED, S.WON),
    (S.SUBMITTED, S.LOST),
    (S.SUBMITTED, S.ABANDONED),
]


def test_the_table_covers_every_status_and_only_statuses() -> None:
    assert set(TRANSITIONS) == set(S)
    assert set(LABELS) == set(S)
    assert all(targets <= set(S) for targets in TRANSITIONS.values())


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == set(ALLOWED)


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed_transitions_pass(current: GroupedBidStatus, new: GroupedBidStatus) -> None:
    check_transition(current, new)


def test_every_other_pair_is_refused() -> None:
    refused = [(a, b) for a in S for b in S if (a, b) not in ALLOWED]
    assert len(refused) == len(S) ** 2 - len(ALLOWED)
    for current, new in refused:
        with pytest.raises(TransitionError):
            check_transition(current, new)


def test_terminal_statuses_allow_nothing() -> None:
    assert [s for s in S if is_terminal(s)] == [S.WON, S.LOST, S.ABANDONED]
    for status in (S.WON, S.LOST, S.ABANDONED):
        assert allowed_from(status) == ()


def test_abandon_is_possible_from_every_open_status() -> None:
    for status in S:
        if not is_terminal(status):
            assert S.ABANDONED in allowed_from(status)


def test_refusal_from_a_terminal_status_says_nothing_is_allowed() -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(S.WON, S.SUGGESTED)
    assert str(caught.value) == (
        "Changement de statut refusé : « gagnée » → « suggérée ». "
        "« gagnée » est un statut final : aucun changement n'est possible."
    )
    assert (caught.value.current, caught.value.new, caught.value.allowed) == (
        "won",
        "suggested",
        (),
    )
    assert isinstance(caught.value, ValidationError)


def test_refusal_names_the_changes_allowed_instead() -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(S.SUGGESTED, S.SUBMITTED)
    assert str(caught.value) == (
        "Changement de statut refusé : « suggérée » → « déposée ». "
        "Depuis « suggérée », changements possibles : « acceptée », « abandonnée »."
    )
    assert caught.value.allowed == ("agreed", "abandoned")


def test_going_back_is_refused() -> None:
    with pytest.raises(TransitionError, match="changements possibles : « gagnée », « perdue »"):
        check_transition(S.SUBMITTED, S.AGREED)


def test_a_change_to_the_same_status_is_refused() -> None:
    with pytest.raises(TransitionError, match="déjà « acceptée »"):
        check_transition(S.AGREED, S.AGREED)
