"""Grouped-bid stage rules (veilleuse.core.grouped_bids): allowed and refused changes, what each
change requires, and the labels of every value (veilleuse.core.bids)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError as PydanticValidationError

from veilleuse.core.bids import (
    FORM_LABELS,
    KIND_LABELS,
    LOSS_REASON_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    BidForm,
    BidKind,
    BidMember,
    BidStage,
    GroupedBid,
    LossReason,
    MemberRole,
    OutcomeProposal,
)
from veilleuse.core.errors import TransitionError, ValidationError
from veilleuse.core.grouped_bids import (
    INITIAL_STAGES,
    LABELS,
    TRANSITIONS,
    StageChange,
    allowed_from,
    apply_change,
    apply_changes,
    changed_meanwhile,
    check_new_bid,
    check_transition,
    is_terminal,
    open_stages,
    path_to,
    resolve_shares,
)
from veilleuse.core.models import Money

S = BidStage
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)

ALLOWED = [
    (S.SPOTTED, S.INTEREST),
    (S.SPOTTED, S.ABANDONED),
    (S.INTEREST, S.TEAM_FORMED),
    (S.INTEREST, S.ABANDONED),
    (S.TEAM_FORMED, S.SUBMITTED),
    (S.TEAM_FORMED, S.ABANDONED),
    (S.SUBMITTED, S.WON),
    (S.SUBMITTED, S.LOST),
    (S.SUBMITTED, S.UNSUCCESSFUL),
    (S.SUBMITTED, S.ABANDONED),
]
REFUSED = [(a, b) for a in S for b in S if (a, b) not in ALLOWED]
TERMINAL = [S.WON, S.LOST, S.UNSUCCESSFUL, S.ABANDONED]


def team() -> list[BidMember]:
    return [
        BidMember(actor_id="regie", role=MemberRole.LEAD, lots=["1"]),
        BidMember(actor_id="esat", role=MemberRole.COTRAITANT, lots=["2"]),
    ]


def bid(stage: BidStage = S.SUBMITTED, **fields: object) -> GroupedBid:
    values: dict[str, object] = {"notice_uid": "boamp:1", "stage": stage, "members": team()}
    return GroupedBid.model_validate(values | fields)


def change(stage: BidStage) -> StageChange:
    """A change carrying whatever `stage` requires."""
    return StageChange(
        stage,
        reason=LossReason.PRICE,
        amount_won=Money(amount=10_000),
        shares={"regie": 60, "esat": 40},
    )


# --------------------------------------------------------------------------- the table


def test_the_table_covers_every_stage_and_only_stages() -> None:
    assert set(TRANSITIONS) == set(S)
    assert set(LABELS) == set(S)
    assert all(targets <= set(S) for targets in TRANSITIONS.values())


def test_the_table_is_exactly_the_allowed_list() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == set(ALLOWED)


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed_transitions_pass(current: BidStage, new: BidStage) -> None:
    check_transition(current, new)
    after = apply_change(bid(current), change(new), AT, by="staff")
    assert after.stage is new
    assert (after.history[-1].from_stage, after.history[-1].to_stage) == (current, new)


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_every_other_pair_is_refused(current: BidStage, new: BidStage) -> None:
    assert len(REFUSED) == len(S) ** 2 - len(ALLOWED)
    with pytest.raises(TransitionError) as caught:
        check_transition(current, new)
    assert caught.value.allowed == tuple(s.value for s in allowed_from(current))
    before = bid(current)
    with pytest.raises(TransitionError):
        apply_change(before, change(new), AT)


def test_terminal_stages_allow_nothing() -> None:
    assert [s for s in S if is_terminal(s)] == TERMINAL
    assert open_stages() == (S.SPOTTED, S.INTEREST, S.TEAM_FORMED, S.SUBMITTED)
    for stage in TERMINAL:
        assert allowed_from(stage) == ()
        assert not bid(stage, **_terminal_fields(stage)).is_open()
    assert bid(S.SPOTTED).is_open()


def _terminal_fields(stage: BidStage) -> dict[str, object]:
    return {"loss_reason": LossReason.PRICE} if stage in (S.LOST, S.ABANDONED) else {}


def test_abandon_is_possible_from_every_open_stage() -> None:
    for stage in open_stages():
        assert S.ABANDONED in allowed_from(stage)


def test_refusal_from_a_terminal_stage_says_nothing_is_allowed() -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(S.WON, S.SPOTTED)
    assert str(caught.value) == (
        "Changement d'étape refusé : « gagnée » → « repérée ». "
        "« gagnée » est une étape finale : aucun changement n'est possible."
    )
    assert (caught.value.current, caught.value.new, caught.value.allowed) == (
        "won",
        "spotted",
        (),
    )
    assert isinstance(caught.value, ValidationError)


def test_refusal_names_the_changes_allowed_instead() -> None:
    with pytest.raises(TransitionError) as caught:
        check_transition(S.SPOTTED, S.SUBMITTED)
    assert str(caught.value) == (
        "Changement d'étape refusé : « repérée » → « candidature déposée ». "
        "Depuis « repérée », changements possibles : « intérêt », « abandonnée »."
    )
    assert caught.value.allowed == ("interest", "abandoned")


def test_going_back_is_refused() -> None:
    with pytest.raises(
        TransitionError,
        match="changements possibles : « gagnée », « perdue », « infructueuse », « abandonnée »",
    ):
        check_transition(S.SUBMITTED, S.TEAM_FORMED)


def test_a_change_to_the_same_stage_is_refused() -> None:
    with pytest.raises(TransitionError, match="déjà « équipe formée »"):
        check_transition(S.TEAM_FORMED, S.TEAM_FORMED)


def test_a_change_made_meanwhile_is_named_in_the_refusal() -> None:
    error = changed_meanwhile(S.SUBMITTED, S.WON, S.LOST)
    assert str(error) == (
        "Changement d'étape refusé : « candidature déposée » → « perdue ». "
        "La candidature groupée vient de passer à « gagnée » ; "
        "depuis « gagnée », aucun changement n'est possible."
    )
    assert (error.current, error.new, error.allowed) == ("won", "lost", ())


def test_the_path_to_an_outcome_follows_the_table() -> None:
    assert path_to(S.SUBMITTED, S.WON) == (S.WON,)
    assert path_to(S.SPOTTED, S.WON) == (S.INTEREST, S.TEAM_FORMED, S.SUBMITTED, S.WON)
    assert path_to(S.TEAM_FORMED, S.LOST) == (S.SUBMITTED, S.LOST)
    assert path_to(S.LOST, S.LOST) == ()
    with pytest.raises(TransitionError, match="« perdue » → « gagnée »"):
        path_to(S.LOST, S.WON)


# --------------------------------------------------------------------------- requirements


@pytest.mark.parametrize("stage", [S.LOST, S.ABANDONED])
def test_lost_and_abandoned_need_a_coded_reason(stage: BidStage) -> None:
    current = S.SUBMITTED
    with pytest.raises(ValidationError, match="indiquez la raison : « prix », « note technique »"):
        apply_change(bid(current), StageChange(stage), AT)
    with pytest.raises(ValidationError, match="raison « autre » : précisez-la"):
        apply_change(bid(current), StageChange(stage, reason=LossReason.OTHER, detail=" "), AT)
    after = apply_change(
        bid(current), StageChange(stage, reason=LossReason.OTHER, detail=" Marché annulé "), AT
    )
    assert (after.loss_reason, after.loss_detail) == (LossReason.OTHER, "Marché annulé")
    assert after.history[-1].reason is LossReason.OTHER


def test_won_needs_the_amount_and_every_members_share() -> None:
    submitted = bid(S.SUBMITTED)
    with pytest.raises(ValidationError, match="indiquez le montant gagné"):
        apply_change(submitted, StageChange(S.WON, shares={"regie": 50, "esat": 50}), AT)
    with pytest.raises(ValidationError, match="montant positif"):
        apply_change(submitted, StageChange(S.WON, amount_won=Money(amount=0)), AT)
    amount = Money(amount=120_000)
    with pytest.raises(ValidationError, match="manque esat"):
        apply_change(submitted, StageChange(S.WON, amount_won=amount, shares={"regie": 100}), AT)
    with pytest.raises(ValidationError, match="n'est pas membre : autre"):
        apply_change(
            submitted,
            StageChange(S.WON, amount_won=amount, shares={"regie": 50, "esat": 40, "autre": 10}),
            AT,
        )
    with pytest.raises(ValidationError, match="font 99,0 % au lieu de 100 %"):
        apply_change(
            submitted, StageChange(S.WON, amount_won=amount, shares={"regie": 60, "esat": 39}), AT
        )
    won = apply_change(
        submitted, StageChange(S.WON, amount_won=amount, shares={"regie": 60, "esat": 39.6}), AT
    )
    assert won.amount_won == amount
    assert [(m.actor_id, m.share_percent) for m in won.members] == [("regie", 60), ("esat", 39.6)]
    assert won.loss_reason is None


def test_stored_shares_count_when_none_are_given() -> None:
    members = [
        BidMember(actor_id="regie", role=MemberRole.LEAD, share_percent=70),
        BidMember(actor_id="esat", share_percent=30),
    ]
    assert resolve_shares(members, None) == {"regie": 70, "esat": 30}
    assert resolve_shares(members, {"esat": 29.8, "regie": 70}) == {"regie": 70, "esat": 29.8}


def test_a_team_needs_two_members_and_a_lead_from_team_formed_on() -> None:
    alone = [BidMember(actor_id="regie", role=MemberRole.LEAD)]
    with pytest.raises(ValidationError, match="au moins deux structures"):
        apply_change(bid(S.INTEREST, members=alone), StageChange(S.TEAM_FORMED), AT)
    no_lead = [BidMember(actor_id="regie"), BidMember(actor_id="esat")]
    with pytest.raises(ValidationError, match="l'équipe a un mandataire"):
        apply_change(bid(S.INTEREST, members=no_lead), StageChange(S.TEAM_FORMED), AT)
    # abandoning needs no team
    gone = apply_change(
        bid(S.INTEREST, members=alone), StageChange(S.ABANDONED, reason=LossReason.CAPACITY), AT
    )
    assert gone.stage is S.ABANDONED


def test_a_terminal_change_clears_the_pending_proposal() -> None:
    proposal = OutcomeProposal(
        award_uid="boamp:2", outcome=S.WON, matched_by="boamp:1", proposed_at=AT
    )
    after = apply_change(bid(S.SUBMITTED, proposal=proposal), change(S.UNSUCCESSFUL), AT)
    assert after.proposal is None
    kept = apply_change(bid(S.SPOTTED, proposal=proposal), change(S.INTEREST), AT)
    assert kept.proposal == proposal


def test_a_chain_of_changes_applies_all_or_raises() -> None:
    after = apply_changes(bid(S.TEAM_FORMED), [StageChange(S.SUBMITTED), change(S.WON)], AT, "x")
    assert [e.to_stage for e in after.history] == [S.SUBMITTED, S.WON]
    with pytest.raises(ValidationError):
        apply_changes(bid(S.TEAM_FORMED), [StageChange(S.SUBMITTED), StageChange(S.LOST)], AT)


def test_a_new_bid_starts_at_an_initial_stage_with_a_valid_team() -> None:
    assert S.SUBMITTED in INITIAL_STAGES and S.WON not in INITIAL_STAGES
    check_new_bid(bid(S.SPOTTED, members=[BidMember(actor_id="regie")]))
    with pytest.raises(ValidationError, match="créée à l'étape « gagnée »"):
        check_new_bid(bid(S.WON))
    with pytest.raises(ValidationError, match="au moins une structure"):
        check_new_bid(bid(S.SPOTTED, members=[]))


# --------------------------------------------------------------------------- the model


def test_every_value_has_a_french_label() -> None:
    tables: list[tuple[Any, Mapping[Any, str]]] = [
        (BidStage, STAGE_LABELS),
        (BidKind, KIND_LABELS),
        (LossReason, LOSS_REASON_LABELS),
        (MemberRole, ROLE_LABELS),
        (BidForm, FORM_LABELS),
    ]
    for enum, labels in tables:
        assert set(labels) == set(enum)
        assert all(value.label == labels[value] for value in enum)
    assert S.TEAM_FORMED.label == "équipe formée"
    assert MemberRole.LEAD.label == "mandataire"
    assert LossReason.PARTNER_WITHDREW.label == "retrait d'un partenaire"


def test_the_lead_and_the_lots_of_a_bid() -> None:
    grouped = bid(S.TEAM_FORMED)
    lead = grouped.lead()
    assert lead is not None and lead.actor_id == "regie"
    assert grouped.member_ids() == ["regie", "esat"]
    assert grouped.lots() == ["1", "2"]
    assert bid(S.SPOTTED, members=[BidMember(actor_id="a")]).lead() is None


def test_the_model_refuses_two_leads_and_an_actor_twice() -> None:
    with pytest.raises(PydanticValidationError, match="one lead at most"):
        bid(members=[BidMember(actor_id=a, role=MemberRole.LEAD) for a in ("a", "b")])
    with pytest.raises(PydanticValidationError, match="appears twice"):
        bid(members=[BidMember(actor_id="a"), BidMember(actor_id="a")])
    with pytest.raises(PydanticValidationError, match="won or lost"):
        OutcomeProposal(award_uid="x", outcome=S.ABANDONED, matched_by="k", proposed_at=AT)
