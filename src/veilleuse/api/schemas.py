"""What the JSON API answers: one pydantic model per response body, and `Problem` for errors.

Field names follow the domain model (`core.models`), which is part of the public contract; a
notice never carries its `raw` source payload. Instants are ISO 8601 with an offset; a
deadline is a day (`YYYY-MM-DD`) or an instant, as the source gave it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from veilleuse.core.models import (
    Awardee,
    Buyer,
    Capacity,
    Contact,
    ContractNature,
    CpvInterest,
    DateOrDateTime,
    EssFamily,
    Evidence,
    Lot,
    Money,
    NoticeKind,
    NoticeStatus,
    Places,
    ReservedKind,
    Territory,
)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --------------------------------------------------------------------------- errors


class Problem(BaseModel):
    """An error as problem details (RFC 9457), served as `application/problem+json`."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="urn:veilleuse:problem:<slug>, e.g. …:invalid-parameter")
    title: str = Field(description="The status in French, e.g. « Requête invalide »")
    status: int
    detail: str = Field(description="What went wrong, in French")
    errors: list[dict[str, str]] | None = Field(
        None,
        description="Invalid input: one {field, message} per parameter or body field (400, 422)",
    )
    retry_after: int | None = Field(None, description="Seconds to wait (429)")
    reference: str | None = Field(None, description="Reference of an internal error (500)")


# --------------------------------------------------------------------------- notices


class NoticeOut(_Out):
    """A stored notice, every field but the source's raw payload."""

    uid: str = Field(description='"<source>:<native id>", stable across runs')
    source: str
    native_id: str
    kind: NoticeKind
    title: str
    description: str | None = None
    url: str | None = None
    language: str | None = None
    buyer: Buyer = Field(default_factory=Buyer)
    published: date | None = None
    deadline: DateOrDateTime = None
    cpv: list[str] = Field(default_factory=list)
    contract_nature: ContractNature | None = None
    procedure: str | None = None
    places: Places = Field(default_factory=Places)
    estimated_value: Money | None = None
    lots: list[Lot] = Field(default_factory=list)
    reserved: bool | None = None
    reserved_kinds: list[ReservedKind] = Field(default_factory=list)
    social_clause: bool | None = None
    evidence: Evidence = Field(default_factory=Evidence)
    awardees: list[Awardee] = Field(default_factory=list)
    audiences: list[str] = Field(default_factory=list)
    aid_types: list[str] = Field(default_factory=list)
    identifiers: list[str] = Field(default_factory=list)
    also_in: list[str] = Field(
        default_factory=list, description="uids of the same opportunity in other sources"
    )
    content_hash: str = Field("", description="Changes when the stored content changes")
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    status: NoticeStatus = NoticeStatus.OPEN


class NoticeHit(NoticeOut):
    """A notice in a result list, with its rank data."""

    score: float | None = Field(None, description="Relevance (meaningful with words only)")
    relevance: int | None = Field(
        None, ge=0, le=100, description="Relevance for people, 0–100 (with words only)"
    )
    relevance_label: str | None = Field(
        None, description="« très pertinent », « pertinent » or « proche » (with words only)"
    )
    reasons: list[str] = Field(
        default_factory=list,
        description="Why it came up, in French: words found, synonyms, CPV labels, meaning",
    )
    highlights: list[str] = Field(
        default_factory=list, description="Passages holding the words (plain text)"
    )
    updated_at: datetime | None = Field(
        None, description="When the stored content appeared or last changed"
    )


class NoticeList(BaseModel):
    """One page of a search."""

    items: list[NoticeHit]
    total: int = Field(description="Notices found (see the search page for hybrid totals)")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` (with the same parameters) for the next page"
    )
    query: str = Field(description="The search as a canonical query string (no paging)")
    facets: dict[str, dict[str, int]] | None = Field(
        None, description="Counts per value of each facet, with `facets=true`"
    )


class FacetsOut(BaseModel):
    total: int
    facets: dict[str, dict[str, int]] = Field(
        description="Facet → value → number of notices (source, kind, department, cpv_division, "
        "reserved, social_clause, status, deadline, audience)"
    )
    query: str


class ChangesPage(BaseModel):
    """One page of the changes feed, oldest change first."""

    items: list[NoticeHit]
    next_cursor: str | None = Field(
        None, description="More changes are stored: pass it as `cursor` to read them now"
    )
    high_water_mark: datetime | None = Field(
        None,
        description="The latest `updated_at` returned (else the instant asked for): pass it "
        "as `updated_since` next time. Inclusive: notices of that very instant come again",
    )


class ReasonOut(BaseModel):
    """Why part of a score holds: its code and data, and the sentence they make in French."""

    code: str = Field(description="lot, semantic, lexical, cpv, territory, reserved, …")
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = Field(description="The part of the score it explains")
    text: str = Field(description="The reason worded in French (empty for an unknown code)")


class CpvLabel(BaseModel):
    code: str
    label: str | None


class DuplicateOut(BaseModel):
    uid: str
    title: str | None = Field(None, description="None when that notice is not stored")


class NoticeMatchOut(BaseModel):
    """An actor of the caller's territories matched with this notice."""

    actor_id: str
    actor_name: str
    score: float
    lot_ids: list[str]
    reasons: list[ReasonOut]


class NoticeDetailOut(NoticeOut):
    """One notice with what its page shows besides its fields."""

    effective_deadline: DateOrDateTime = Field(
        None, description="Its own deadline, else the latest of its lots'"
    )
    closed: bool = Field(description="Closed, cancelled, or its deadline has passed")
    cpv_labels: list[CpvLabel]
    duplicates: list[DuplicateOut]
    matches: list[NoticeMatchOut] | None = Field(
        None, description="Matched actors of your territories; null when your role may not see them"
    )


# --------------------------------------------------------------------------- actors


class PlanTerritoryOut(BaseModel):
    id: str
    name: str


class ActorOut(BaseModel):
    """An actor profile (within your territories)."""

    id: str
    name: str
    siret: str | None = None
    legal_form: str | None = None
    family: EssFamily
    family_label: str
    description: str = ""
    cpv_interests: list[CpvInterest] = Field(default_factory=list)
    territory: Territory = Field(description="Where the actor works")
    capacity: Capacity
    contacts: list[Contact] = Field(default_factory=list)
    active: bool
    plan_territory: PlanTerritoryOut | None = Field(
        None, description="The served territory it is assigned to"
    )


class ActorList(BaseModel):
    items: list[ActorOut]
    total: int


class NoticeSummary(BaseModel):
    uid: str
    title: str
    kind: NoticeKind
    buyer: str | None
    deadline: DateOrDateTime = None
    status: NoticeStatus


class MatchOut(BaseModel):
    """A notice matched with an actor, best first, with its reasons."""

    notice_uid: str
    notice: NoticeSummary | None = Field(None, description="None when no longer stored")
    score: float = Field(ge=0, le=100)
    lot_ids: list[str]
    components: dict[str, float] = Field(description="Score of each signal")
    reasons: list[ReasonOut] = Field(description="Heaviest first")
    closed: bool


class MatchList(BaseModel):
    actor_id: str
    items: list[MatchOut]


# --------------------------------------------------------------------------- accounts


class MeOut(BaseModel):
    """The account the token belongs to."""

    id: int
    email: str
    name: str
    role: str
    role_label: str
    territory: PlanTerritoryOut | None
    actor_id: str | None
    permissions: list[str]


# --------------------------------------------------------------------------- saved searches


class SavedSearchOut(BaseModel):
    """One of your saved searches."""

    id: int
    name: str
    query: str = Field(description="Its canonical query string: the parameters of /notices")
    frequency: str = Field(description="Alerts: none, daily or weekly")
    frequency_label: str
    created_at: datetime
    sent_up_to: datetime | None = Field(None, description="Alerts have covered it up to then")
    criteria: list[str] = Field(description="The criteria in French, one per line")
    search_url: str = Field(description="The search page showing it")
    api_url: str = Field(description="Its results in this API (/api/v1/notices?…)")
    problem: str | None = Field(
        None, description="Why a stored query no longer reads (it then lists every notice)"
    )


class SavedSearchList(BaseModel):
    items: list[SavedSearchOut]


class SavedSearchIn(BaseModel):
    """A search to save: its query string, or its parameters as an object (one of the two)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    query: str | None = Field(
        None,
        max_length=4000,
        description="The search page's query string, e.g. `q=nettoyage&dep=59`",
    )
    params: dict[str, str | list[str]] | None = Field(
        None, description='The same as an object, e.g. {"q": "nettoyage", "dep": ["59", "62"]}'
    )
    frequency: str = Field("none", description="Alerts: none, daily or weekly")
