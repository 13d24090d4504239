"""The grouped-bid register's domain: a bid, its members, its history and its proposed outcome.

A grouped bid (« candidature groupée ») is what the network's staff track once an opportunity is
worth answering together: a tender answered by a groupement momentané d'entreprises (GME,
cotraitance, one member is mandataire) or a funding call answered by a collectif. Its stage moves
along the table of `core.grouped_bids` (the one place that decides which change is allowed and
what each change requires); every change is kept in `history`.

French wording: every enum value has its label in the `*_LABELS` tables below (and `.label` on
the value), so pages, exports, the API documentation and the statistics say the same words.
Field names are part of the public contract (records, API, exports): do not rename.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from veilleuse.core.models import Money

if TYPE_CHECKING:
    from collections.abc import Mapping


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BidKind(StrEnum):
    """What the bid answers: a public tender or a funding call (appel à projets, aide)."""

    TENDER = "tender"
    FUNDING = "funding"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


class BidStage(StrEnum):
    """Where a grouped bid stands; the allowed changes are the table of `core.grouped_bids`."""

    SPOTTED = "spotted"
    INTEREST = "interest"
    TEAM_FORMED = "team_formed"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"
    UNSUCCESSFUL = "unsuccessful"
    ABANDONED = "abandoned"

    @property
    def label(self) -> str:
        return STAGE_LABELS[self]


class LossReason(StrEnum):
    """Why a bid was lost or abandoned (coded, so the committee can count them)."""

    PRICE = "price"
    TECHNICAL = "technical"
    CAPACITY = "capacity"
    DEADLINE = "deadline"
    PARTNER_WITHDREW = "partner_withdrew"
    OTHER = "other"  # needs a text (`loss_detail`)

    @property
    def label(self) -> str:
        return LOSS_REASON_LABELS[self]


class MemberRole(StrEnum):
    """A member's place in the team: the lead (mandataire), a co-contractor, a subcontractor."""

    LEAD = "lead"
    COTRAITANT = "cotraitant"
    SOUS_TRAITANT = "sous_traitant"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


class BidForm(StrEnum):
    """The legal form of the groupement: joint (each answers for its part) or jointly liable."""

    CONJOINT = "conjoint"
    SOLIDAIRE = "solidaire"

    @property
    def label(self) -> str:
        return FORM_LABELS[self]


# --------------------------------------------------------------------------- French labels

#: « une candidature groupée » is feminine: « repérée », « gagnée »…
STAGE_LABELS: Mapping[BidStage, str] = MappingProxyType(
    {
        BidStage.SPOTTED: "repérée",
        BidStage.INTEREST: "intérêt",
        BidStage.TEAM_FORMED: "équipe formée",
        BidStage.SUBMITTED: "candidature déposée",
        BidStage.WON: "gagnée",
        BidStage.LOST: "perdue",
        BidStage.UNSUCCESSFUL: "infructueuse",
        BidStage.ABANDONED: "abandonnée",
    }
)
KIND_LABELS: Mapping[BidKind, str] = MappingProxyType(
    {BidKind.TENDER: "marché public", BidKind.FUNDING: "appel à projets"}
)
LOSS_REASON_LABELS: Mapping[LossReason, str] = MappingProxyType(
    {
        LossReason.PRICE: "prix",
        LossReason.TECHNICAL: "note technique",
        LossReason.CAPACITY: "capacité",
        LossReason.DEADLINE: "délai trop court",
        LossReason.PARTNER_WITHDREW: "retrait d'un partenaire",
        LossReason.OTHER: "autre",
    }
)
ROLE_LABELS: Mapping[MemberRole, str] = MappingProxyType(
    {
        MemberRole.LEAD: "mandataire",
        MemberRole.COTRAITANT: "cotraitant",
        MemberRole.SOUS_TRAITANT: "sous-traitant",
    }
)
FORM_LABELS: Mapping[BidForm, str] = MappingProxyType(
    {BidForm.CONJOINT: "groupement conjoint", BidForm.SOLIDAIRE: "groupement solidaire"}
)


# --------------------------------------------------------------------------- the record


class BidMember(_Model):
    """One actor of the team: its role, the lots it takes, its share of the amount won (%)."""

    actor_id: str = Field(min_length=1, max_length=64)
    role: MemberRole = MemberRole.COTRAITANT
    lots: list[str] = Field(default_factory=list)
    share_percent: float | None = Field(default=None, ge=0, le=100)


class BidEvent(_Model):
    """One change of stage (or the creation, with `from_stage` None), as it was made."""

    at: datetime
    by: str | None = None
    from_stage: BidStage | None = None
    to_stage: BidStage
    note: str | None = None
    reason: LossReason | None = None


class OutcomeProposal(_Model):
    """An outcome read from an award notice of the bid's procedure, for staff to confirm.

    `outcome` is `won` when a member is among the awardees (by SIRET, else by name), else `lost`;
    `matched_by` is the key that tied the award to the bid's notice (e.g. "ted:475939-2026",
    "boamp:16-119846", "procedure:…"), `awardees` the winners as the award names them
    (« Nom (SIRET) »), `members_awarded` the members recognised among them.
    """

    award_uid: str
    outcome: BidStage
    awardees: list[str] = Field(default_factory=list)
    amount: Money | None = None
    matched_by: str
    proposed_at: datetime
    members_awarded: list[str] = Field(default_factory=list)

    @field_validator("outcome")
    @classmethod
    def _won_or_lost(cls, value: BidStage) -> BidStage:
        if value not in (BidStage.WON, BidStage.LOST):
            raise ValueError(f"an outcome proposal is won or lost, not {value.value}")
        return value


class GroupedBid(_Model):
    """A grouped bid as the network tracks it, from the opportunity spotted to its outcome.

    `members` keep their order (the lead first when there is one); `amount_won` and each
    member's `share_percent` are set when the bid is won; `loss_reason` (and `loss_detail` for
    `other`) when it is lost or abandoned. `proposal` is an outcome read from an award notice,
    waiting for staff; `dismissed_awards` are award notices staff said were not this bid's, never
    proposed again. `id` is None until the bid is stored.
    """

    id: int | None = None
    kind: BidKind = BidKind.TENDER
    notice_uid: str
    territory_id: str | None = None
    title: str = ""
    stage: BidStage = BidStage.SPOTTED
    members: list[BidMember] = Field(default_factory=list)
    form: BidForm | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    documents: list[str] = Field(default_factory=list, description="URLs")
    notes: str | None = None
    amount_won: Money | None = None
    loss_reason: LossReason | None = None
    loss_detail: str | None = None
    from_suggestion: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None
    history: list[BidEvent] = Field(default_factory=list)
    proposal: OutcomeProposal | None = None
    dismissed_awards: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_entry_per_actor(self) -> GroupedBid:
        ids = [m.actor_id for m in self.members]
        if len(set(ids)) != len(ids):
            raise ValueError("an actor appears twice among the members")
        if sum(m.role is MemberRole.LEAD for m in self.members) > 1:
            raise ValueError("a grouped bid has one lead at most")
        return self

    def lead(self) -> BidMember | None:
        """The member that leads the bid (mandataire), if one is named."""
        return next((m for m in self.members if m.role is MemberRole.LEAD), None)

    def is_open(self) -> bool:
        """True until the bid reaches an outcome or is abandoned (a terminal stage)."""
        from veilleuse.core.grouped_bids import is_terminal

        return not is_terminal(self.stage)

    def member_ids(self) -> list[str]:
        """The members' actor ids, in order."""
        return [m.actor_id for m in self.members]

    def lots(self) -> list[str]:
        """Every lot some member takes, in the members' order, once each."""
        return list(dict.fromkeys(lot for m in self.members for lot in m.lots))


# --------------------------------------------------------------------------- queries and edits


class BidFilters(_Model):
    """Which grouped bids to list; every field narrows the list (AND), lists match any value.

    `territories` None means every territory (the app narrows it to what the user sees);
    `actor_ids` keeps bids with any of these actors among their members. Date bounds are
    inclusive: a `date` covers the whole day (Paris time), a `datetime` is an instant.
    `limit` / `offset` page the list, which is ordered by creation (id).
    """

    territories: list[str] | None = None
    stages: list[BidStage] = Field(default_factory=list)
    kinds: list[BidKind] = Field(default_factory=list)
    notice_uids: list[str] = Field(default_factory=list)
    actor_ids: list[str] = Field(default_factory=list)
    created_from: date | datetime | None = None
    created_to: date | datetime | None = None
    updated_from: date | datetime | None = None
    updated_to: date | datetime | None = None
    open_only: bool = False
    from_suggestion: bool | None = None
    limit: int | None = Field(default=None, ge=1)
    offset: int = Field(default=0, ge=0)


class BidUpdate(_Model):
    """A change of a bid's details (not of its stage): only the fields given are changed.

    `BidUpdate(notes=None)` clears the notes; `BidUpdate()` changes nothing. `members` is the
    whole new team (order kept, lead first by convention).
    """

    title: str | None = None
    members: list[BidMember] | None = None
    form: BidForm | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    documents: list[str] | None = None
    notes: str | None = None
