"""The domain model shared by every stage: notices, lots, actors, matches, grouped-bid suggestions.

Pydantic models so that parsers, stores, the CLI (JSON lines) and the web layer all speak the
same validated shapes. Field names are part of the public contract (exports, API): do not rename.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

# re-exported for the stores, which import it from here; the rule lives in core.deadlines
from veilleuse.core.deadlines import deadline_instant as deadline_instant


def _date_or_datetime(value: Any) -> Any:
    """Keep a bare date as a date and anything with a time as an aware datetime.

    Sources give either a day ("2024-03-01") or an instant with an offset; collapsing both into
    one type would invent a time (or drop the offset), so both are kept as given.
    """
    if value is None or isinstance(value, datetime):
        if isinstance(value, datetime) and value.tzinfo is None:
            raise ValueError("deadline datetimes must be timezone-aware")
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError(f"datetime without offset: {value!r}")
        return parsed
    raise ValueError(f"not a date or datetime: {value!r}")


DateOrDateTime = Annotated[
    date | datetime | None,
    BeforeValidator(_date_or_datetime),
    PlainSerializer(lambda v: v.isoformat() if v is not None else None, return_type=str | None),
]


class NoticeKind(StrEnum):
    TENDER = "tender"
    AWARD = "award"
    PIN = "pin"
    FUNDING_CALL = "funding_call"
    OTHER = "other"


class NoticeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    CORRECTED = "corrected"


class ContractNature(StrEnum):
    WORKS = "works"
    SUPPLIES = "supplies"
    SERVICES = "services"


class ReservedKind(StrEnum):
    SHELTERED_WORKSHOP = "sheltered_workshop"  # art. 20 / L2113-12 (ESAT, EA)
    INSERTION = "insertion"  # L2113-13 (SIAE)
    ESS = "ess"  # L2113-15 (ESS companies, social/health/cultural services)
    PUBLIC_SERVICE_MISSION = "public_service_mission"  # art. 77 / res-pub-ser


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Buyer(_Model):
    """The buyer of a tender, or the funder of a funding call."""

    name: str | None = None
    siret: str | None = None
    city: str | None = None
    postcode: str | None = None
    department: str | None = None


class Awardee(_Model):
    """A winner of an awarded contract (award notices, DECP)."""

    name: str | None = None
    siret: str | None = None


class Money(_Model):
    amount: float
    currency: str = "EUR"


class Places(_Model):
    departments: list[str] = Field(default_factory=list)
    nuts: list[str] = Field(default_factory=list)


class Evidence(_Model):
    """Why a flag was set: the structured field or the sentence that decided it."""

    reserved: list[str] = Field(default_factory=list)
    social_clause: list[str] = Field(default_factory=list)


class Lot(_Model):
    id: str
    title: str | None = None
    description: str | None = None
    cpv: list[str] = Field(default_factory=list)
    deadline: DateOrDateTime = None
    estimated_value: Money | None = None
    reserved: bool | None = None
    reserved_kinds: list[ReservedKind] = Field(default_factory=list)
    social_clause: bool | None = None
    places: Places = Field(default_factory=Places)


class Notice(_Model):
    """One opportunity (tender, award, prior information, funding call) as one source gives it."""

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
    identifiers: list[str] = Field(
        default_factory=list,
        description="Cross-source identifiers (procedure id, TED publication number, canonical URL)",
    )
    also_in: list[str] = Field(
        default_factory=list, description="uids of the same opportunity seen in other sources"
    )
    content_hash: str = ""
    raw: Any = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    status: NoticeStatus = NoticeStatus.OPEN

    def with_hash(self) -> Notice:
        """Return a copy whose content_hash covers every field a source can change."""
        return self.model_copy(update={"content_hash": compute_content_hash(self)})

    def text_for_embedding(self, max_chars: int = 700) -> str:
        """Title first, then the start of the description: the model truncates at 256 tokens."""
        parts = [self.title, self.description or ""]
        return " — ".join(p for p in parts if p).strip()[:max_chars]

    def all_cpv(self) -> list[str]:
        seen: dict[str, None] = dict.fromkeys(self.cpv)
        for lot in self.lots:
            seen.update(dict.fromkeys(lot.cpv))
        return list(seen)

    def all_departments(self) -> list[str]:
        seen: dict[str, None] = dict.fromkeys(self.places.departments)
        if self.buyer.department:
            seen.setdefault(self.buyer.department)
        for lot in self.lots:
            seen.update(dict.fromkeys(lot.places.departments))
        return list(seen)


# `also_in` is part of the hash: a new cross-source link is a change the store must persist
_HASH_EXCLUDED = {"content_hash", "raw", "first_seen", "last_seen"}


def compute_content_hash(notice: Notice) -> str:
    """SHA-256 of the normalised content (not the bookkeeping fields), stable across runs."""
    payload = notice.model_dump(mode="json", exclude=_HASH_EXCLUDED)
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- actors


class EssFamily(StrEnum):
    ASSOCIATION = "association"
    SCOP = "scop"
    SCIC = "scic"
    COOPERATIVE = "cooperative"
    MUTUAL = "mutual"
    FOUNDATION = "foundation"
    ESUS = "esus"
    SIAE_EI = "siae_ei"
    SIAE_ACI = "siae_aci"
    SIAE_AI = "siae_ai"
    SIAE_ETTI = "siae_etti"
    GEIQ = "geiq"
    ESAT = "esat"
    EA = "ea"


SIAE_FAMILIES = frozenset(
    {EssFamily.SIAE_EI, EssFamily.SIAE_ACI, EssFamily.SIAE_AI, EssFamily.SIAE_ETTI}
)
SHELTERED_FAMILIES = frozenset({EssFamily.ESAT, EssFamily.EA})


def eligible_reserved_kinds(family: EssFamily) -> set[ReservedKind]:
    """Which reservations an actor of this family can answer (L2113-12, -13, -15)."""
    kinds = {ReservedKind.ESS}  # every ESS company qualifies for L2113-15 services
    if family in SHELTERED_FAMILIES:
        kinds.add(ReservedKind.SHELTERED_WORKSHOP)
    if family in SIAE_FAMILIES or family == EssFamily.GEIQ:
        kinds |= {ReservedKind.INSERTION, ReservedKind.SHELTERED_WORKSHOP}
    return kinds


class Territory(_Model):
    departments: list[str] = Field(default_factory=list)
    commune: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None


class Capacity(_Model):
    staff: int | None = None
    turnover: float | None = None


class Contact(_Model):
    name: str | None = None
    email: str | None = None
    phone: str | None = None


#: the digest frequencies (`DigestPreferences.frequency`); a paused digest is `enabled=False`
DIGEST_FREQUENCIES = ("daily", "weekly", "biweekly")


class DigestPreferences(_Model):
    """How and what an actor receives. Every field has a default, so a profile stored before a
    field existed still loads."""

    enabled: bool = True
    #: one of `DIGEST_FREQUENCIES`
    frequency: str = "weekly"
    max_items: int = 15
    kinds: list[NoticeKind] = Field(
        default_factory=lambda: [NoticeKind.TENDER, NoticeKind.FUNDING_CALL, NoticeKind.PIN]
    )
    #: may be introduced to other actors who look for partners (`app.introductions`)
    introductions: bool = True
    #: a notice whose estimated amount (in euros) is known and below this is left out
    min_amount: float | None = Field(default=None, ge=0)
    #: where the digest goes; empty = the first contact that has an e-mail address
    addresses: list[str] = Field(default_factory=list)
    #: when the actor stopped its digest from an unsubscribe link (None once it resubscribes)
    unsubscribed_at: datetime | None = None


class CpvInterest(_Model):
    code: str
    declared: bool = True  # False: suggested from the description or past contracts


class Actor(_Model):
    """An ESS actor's profile, as the network keeps it."""

    id: str
    name: str
    siret: str | None = None
    legal_form: str | None = None
    family: EssFamily
    description: str = ""
    cpv_interests: list[CpvInterest] = Field(default_factory=list)
    territory: Territory = Field(default_factory=Territory)
    capacity: Capacity = Field(default_factory=Capacity)
    contacts: list[Contact] = Field(default_factory=list)
    digest: DigestPreferences = Field(default_factory=DigestPreferences)
    provenance: str | None = None

    def cpv_codes(self) -> list[str]:
        return [c.code for c in self.cpv_interests]

    def email(self) -> str | None:
        return next((c.email for c in self.contacts if c.email), None)

    def digest_recipients(self) -> list[str]:
        """Where its digest goes: the addresses of its preferences, else its first e-mail."""
        if self.digest.addresses:
            return list(self.digest.addresses)
        first = self.email()
        return [first] if first else []


# --------------------------------------------------------------------------- matches


class Reason(_Model):
    """Why part of a score (or of a grouped bid) holds, as data: a code and its parameters.

    The French sentence is written at display time by `matching.reasons.reason_text`, so a
    stored match carries no frozen prose, e.g. `Reason(code="cpv", params={"code": "90911000",
    "closeness": 0.8}, weight=12.5)`. `weight` is the part of the score it explains.
    """

    code: str
    params: dict[str, Any] = Field(default_factory=dict)
    weight: float = 0.0
    text: str | None = Field(
        default=None,
        exclude=True,
        description="Prose stored by versions before reasons were data: read and shown as "
        "given, never written",
    )


class Match(_Model):
    actor_id: str
    notice_uid: str
    score: float = Field(ge=0, le=100)
    lot_ids: list[str] = Field(default_factory=list)
    components: dict[str, float] = Field(default_factory=dict)
    reasons: list[Reason] = Field(default_factory=list)


def _prose_reason(code: str) -> Any:
    """Before-validator of a reason field that held French prose in older stored payloads: the
    prose becomes a `Reason` of `code` carrying it in `text`, shown as given."""

    def convert(value: Any) -> Any:
        return Reason(code=code, text=value) if isinstance(value, str) else value

    return BeforeValidator(convert)


class LotAssignment(_Model):
    """One member's part of a grouped bid: a lot (or CPV work unit) and how well it fits it."""

    lot_id: str
    actor_id: str
    fit: float
    #: why this member takes this lot, `Reason(code="assignment", …)`, worded at display time by
    #: `matching.reasons.reason_text`; a suggestion stored before it was data holds prose here
    why: Annotated[Reason, _prose_reason("assignment")]


class GroupedBidSuggestion(_Model):
    """A team of 2–4 actors that together cover a tender better than any one of them."""

    notice_uid: str
    members: list[str]
    lead: str
    assignments: list[LotAssignment]
    coverage: float
    score: float
    best_single_actor: str | None = None
    best_single_score: float = 0.0
    reasons: list[Reason] = Field(default_factory=list)


# The grouped-bid register (a bid, its members, stages and history) lives in `core.bids`;
# its stage rules in `core.grouped_bids`.
