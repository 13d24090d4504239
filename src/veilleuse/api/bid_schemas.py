"""What the grouped-bid register's endpoints read and answer (`/api/v1/grouped-bids`).

Field names follow the domain (`core.bids`), which is part of the public contract; every coded
value (stage, kind, role, form, reason) comes with its French label beside it. Instants are
ISO 8601 with an offset; amounts are `Money` (`amount`, `currency`).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from veilleuse.core.bids import BidForm, BidKind, BidStage, LossReason, MemberRole
from veilleuse.core.models import DateOrDateTime, Money

# --------------------------------------------------------------------------- answers


class BidMemberOut(BaseModel):
    actor_id: str
    actor_name: str = Field(description="The actor's name (its id when no longer stored)")
    role: MemberRole = Field(description="lead (mandataire), cotraitant, sous_traitant")
    role_label: str
    lots: list[str] = Field(description="Lot ids of the notice this member takes")
    share_percent: float | None = Field(None, description="Its share of the amount won (%)")


class BidEventOut(BaseModel):
    """One change of stage (the creation has no `from_stage`), as it was made."""

    at: datetime
    by: str | None = Field(None, description="Who made it (the account's name)")
    from_stage: BidStage | None
    from_label: str | None
    to_stage: BidStage
    to_label: str
    note: str | None = None
    reason: LossReason | None = Field(None, description="Coded reason of a loss or an abandon")
    reason_label: str | None = None


class ProposalOut(BaseModel):
    """An outcome read from an award notice, waiting for staff to confirm or dismiss it."""

    award_uid: str = Field(description="The award notice")
    outcome: BidStage = Field(description="won or lost")
    outcome_label: str
    awardees: list[str]
    amount: Money | None = None
    matched_by: str = Field(description="The key that tied the award to the bid's notice")
    proposed_at: datetime
    members_awarded: list[str] = Field(description="Members recognised among the awardees")


class BidSummaryOut(BaseModel):
    """A grouped bid as lists show it (without its history)."""

    id: int
    kind: BidKind = Field(description="tender (marché public) or funding (appel à projets)")
    kind_label: str
    notice_uid: str
    notice_title: str | None = Field(None, description="None when the notice is not stored")
    deadline: DateOrDateTime = Field(None, description="The notice's effective deadline")
    territory_id: str | None
    title: str
    stage: BidStage
    stage_label: str
    next_stages: list[BidStage] = Field(
        description="Stages it may move to now (empty when terminal or for a read-only role)"
    )
    members: list[BidMemberOut] = Field(description="The lead (mandataire) first")
    form: BidForm | None = Field(None, description="conjoint or solidaire")
    form_label: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    documents: list[str] = Field(description="http(s) links")
    notes: str | None = None
    amount_won: Money | None = None
    loss_reason: LossReason | None = None
    loss_reason_label: str | None = None
    loss_detail: str | None = None
    from_suggestion: bool
    created_at: datetime | None
    updated_at: datetime | None
    proposal: ProposalOut | None = None


class BidOut(BidSummaryOut):
    """One grouped bid with its audited history, oldest change first."""

    history: list[BidEventOut]


class BidList(BaseModel):
    items: list[BidSummaryOut]
    total: int = Field(description="Bids matching the filters")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` (with the same filters) for the next page"
    )
    query: str = Field(description="The filters as a canonical query string (no paging)")


# --------------------------------------------------------------------------- bodies


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BidMemberIn(_In):
    actor_id: str = Field(min_length=1, max_length=64)
    role: MemberRole = MemberRole.COTRAITANT
    lots: list[str] = Field(default_factory=list, max_length=200)
    share_percent: float | None = Field(None, ge=0, le=100)


class BidCreateIn(_In):
    """A new bid on a notice: its stored suggested team (`from_suggestion: true`, nothing else
    needed), or a team given by hand."""

    notice_uid: str = Field(min_length=1, max_length=300)
    from_suggestion: bool = Field(
        False, description="Take the notice's suggested team (the other fields are ignored)"
    )
    members: list[BidMemberIn] = Field(default_factory=list, max_length=50)
    kind: BidKind | None = Field(None, description="Default: from the notice")
    title: str | None = Field(None, max_length=500, description="Default: the notice's title")
    stage: BidStage = Field(
        BidStage.SPOTTED, description="spotted, interest, team_formed or submitted"
    )
    form: BidForm | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=320)
    documents: list[str] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(None, max_length=5000)
    territory_id: str | None = Field(
        None, description="Only for an administrator (others: their own territory)"
    )


class TransitionIn(_In):
    """A change of stage: `reason` (and `detail` for `other`) for lost / abandoned; the amount
    won and each member's share (actor id → %, 100 in all) for won."""

    to_stage: BidStage
    note: str | None = Field(None, max_length=2000)
    reason: LossReason | None = None
    detail: str | None = Field(None, max_length=500)
    amount_won: float | None = Field(None, gt=0, description="In euros")
    shares: dict[str, float] | None = None
    expected_stage: BidStage | None = Field(
        None, description="The stage you saw: refused (409) if the bid has moved since"
    )


class BidPatchIn(_In):
    """The details to change; a field left out is kept, `null` clears it. `members` is the
    whole new team."""

    title: str | None = Field(None, max_length=500)
    members: list[BidMemberIn] | None = Field(None, max_length=50)
    form: BidForm | None = None
    contact_name: str | None = Field(None, max_length=200)
    contact_email: str | None = Field(None, max_length=320)
    documents: list[str] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=5000)


class ConfirmIn(_In):
    """What confirming a proposed outcome needs: for a win, each member's share (and the
    amount when the award gave none); for a loss, its reason."""

    reason: LossReason | None = None
    detail: str | None = Field(None, max_length=500)
    amount_won: float | None = Field(None, gt=0)
    shares: dict[str, float] | None = None
    note: str | None = Field(None, max_length=2000)
