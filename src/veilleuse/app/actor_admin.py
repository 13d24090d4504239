"""Actor profiles as the network's staff manage them: list, read, edit, find CPV codes.

Every function takes the signed-in user: an actor outside the user's territories is
`NotFoundError` (a page answers 404, never 403, so its existence does not show), and a role
without the permission is `PermissionDeniedError`. Files are imported by `app.actor_import`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from itertools import islice

from veilleuse.app.context import Context
from veilleuse.app.notices import CpvLine, cpv_lines
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.accounts import Permission, PlanTerritory, User, can, visible_territories
from veilleuse.core.actor_fields import build_actor
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.core.models import Actor, EssFamily, Match, Notice, NoticeKind
from veilleuse.core.normalise import cpv_codes, fold
from veilleuse.matching.cpv import cpv_label, cpv_labels
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.records.actors import ActorEntry

FAMILY_LABELS: dict[EssFamily, str] = {
    EssFamily.ASSOCIATION: "Association",
    EssFamily.SCOP: "SCOP",
    EssFamily.SCIC: "SCIC",
    EssFamily.COOPERATIVE: "Coopérative",
    EssFamily.MUTUAL: "Mutuelle",
    EssFamily.FOUNDATION: "Fondation",
    EssFamily.ESUS: "Entreprise ESUS",
    EssFamily.SIAE_EI: "Entreprise d'insertion (EI)",
    EssFamily.SIAE_ACI: "Atelier et chantier d'insertion (ACI)",
    EssFamily.SIAE_AI: "Association intermédiaire (AI)",
    EssFamily.SIAE_ETTI: "Entreprise de travail temporaire d'insertion (ETTI)",
    EssFamily.GEIQ: "GEIQ",
    EssFamily.ESAT: "ESAT",
    EssFamily.EA: "Entreprise adaptée (EA)",
}
FREQUENCIES = {"weekly": "Chaque semaine", "daily": "Chaque jour"}


def _need(user: User, permission: Permission) -> None:
    if not can(user, permission):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas cette action sur les structures."
        )


def _entry(ctx: Context, user: User, actor_id: str) -> ActorEntry:
    """The stored actor if `user` may see it, else NotFoundError (also for a foreign one)."""
    allowed = visible_actor_ids(ctx, user)
    found = actor_records.actor_entries(ctx.records, [actor_id])
    if not found or (allowed is not None and actor_id not in allowed):
        raise NotFoundError(f"structure inconnue : {actor_id!r}")
    return found[0]


def territories_for(ctx: Context, user: User) -> list[PlanTerritory]:
    """The served territories `user` sees (all of them for an administrator)."""
    everything = territory_records.list_territories(ctx.records)
    seen = visible_territories(user)
    return everything if seen is None else [t for t in everything if t.id in seen]


# --------------------------------------------------------------------------- list


@dataclass
class ActorFilters:
    """The filters of the actor list (all optional, combined with AND)."""

    family: EssFamily | None = None
    territory: str | None = None
    #: CPV code prefix, e.g. "7731" (digits only)
    cpv: str | None = None
    active: bool | None = None
    #: words of the name (accents and case ignored)
    text: str | None = None


@dataclass
class ActorLine:
    actor: Actor
    active: bool
    territory: PlanTerritory | None


def list_actors(ctx: Context, user: User, filters: ActorFilters | None = None) -> list[ActorLine]:
    """The actors of the user's territories that pass `filters`, by name."""
    _need(user, Permission.ACTORS_VIEW)
    filters = filters or ActorFilters()
    allowed = visible_actor_ids(ctx, user)
    entries = actor_records.actor_entries(ctx.records, allowed)
    where = territory_records.territories_of_actors(ctx.records, (e.actor.id for e in entries))
    territories = {t.id: t for t in territory_records.list_territories(ctx.records)}
    words = fold(filters.text or "").split()
    prefix = "".join(c for c in filters.cpv or "" if c.isdigit())
    lines = []
    for entry in entries:
        actor = entry.actor
        if filters.family is not None and actor.family != filters.family:
            continue
        if filters.territory and where.get(actor.id) != filters.territory:
            continue
        if prefix and not any(code.startswith(prefix) for code in actor.cpv_codes()):
            continue
        if filters.active is not None and entry.active != filters.active:
            continue
        name = fold(f"{actor.name} {actor.id}")
        if any(word not in name for word in words):
            continue
        territory = territories.get(where.get(actor.id, ""))
        lines.append(ActorLine(actor, entry.active, territory))
    return sorted(lines, key=lambda line: (fold(line.actor.name), line.actor.id))


# --------------------------------------------------------------------------- profile


@dataclass
class ActorMatch:
    match: Match
    notice: Notice | None
    reasons: list[str]


@dataclass
class ActorProfile:
    actor: Actor
    active: bool
    territory: PlanTerritory | None
    cpv: list[CpvLine]
    #: its latest matches, best first
    matches: list[ActorMatch] = field(default_factory=list)


def actor_profile(ctx: Context, actor_id: str, user: User, matches: int = 20) -> ActorProfile:
    """One actor's profile with its latest matches (NotFoundError outside the user's reach)."""
    _need(user, Permission.ACTORS_VIEW)
    entry = _entry(ctx, user, actor_id)
    actor = entry.actor
    where = territory_records.territories_of_actors(ctx.records, [actor.id]).get(actor.id)
    territory = territory_records.get_territory(ctx.records, where) if where else None
    found = match_records.load_matches(ctx.records, actor.id)[:matches]
    notices = {n.uid: n for n in ctx.store.get_many([m.notice_uid for m in found])}
    return ActorProfile(
        actor,
        entry.active,
        territory,
        cpv_lines(actor.cpv_codes()),
        [
            ActorMatch(
                m,
                notices.get(m.notice_uid),
                [
                    t
                    for t in (reason_text(r) for r in sorted(m.reasons, key=lambda r: -r.weight))
                    if t
                ],
            )
            for m in found
        ],
    )


# --------------------------------------------------------------------------- edit


@dataclass
class ContactForm:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class ActorForm:
    """A profile as the edit form posts it: text as typed, validated by `update_actor`."""

    name: str = ""
    family: str = ""
    siret: str = ""
    legal_form: str = ""
    description: str = ""
    #: CPV codes separated by spaces, commas or semicolons
    cpv: str = ""
    #: département codes separated by spaces or commas
    departments: str = ""
    commune: str = ""
    radius_km: str = ""
    staff: str = ""
    turnover: str = ""
    contacts: list[ContactForm] = field(default_factory=list)
    digest_enabled: bool = True
    digest_frequency: str = "weekly"
    digest_max_items: str = "15"
    digest_kinds: list[str] = field(default_factory=list)
    active: bool = True


def _number(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def actor_form(ctx: Context, actor_id: str, user: User) -> ActorForm:
    """The edit form filled from the stored profile."""
    _need(user, Permission.ACTORS_EDIT)
    entry = _entry(ctx, user, actor_id)
    a = entry.actor
    return ActorForm(
        name=a.name,
        family=a.family.value,
        siret=a.siret or "",
        legal_form=a.legal_form or "",
        description=a.description,
        cpv=" ".join(a.cpv_codes()),
        departments=" ".join(a.territory.departments),
        commune=a.territory.commune or "",
        radius_km=_number(a.territory.radius_km),
        staff=_number(a.capacity.staff),
        turnover=_number(a.capacity.turnover),
        contacts=[ContactForm(c.name or "", c.email or "", c.phone or "") for c in a.contacts],
        digest_enabled=a.digest.enabled,
        digest_frequency=a.digest.frequency,
        digest_max_items=str(a.digest.max_items),
        digest_kinds=[k.value for k in a.digest.kinds],
        active=entry.active,
    )


#: a problem of `build_actor` (its field name) → the form field it belongs to
_FORM_FIELDS = {
    "cpv_interests": "cpv",
    "territory": "departments",
    "latitude": "commune",
    "longitude": "commune",
    "capacity": "staff",
    "digest.max_items": "digest_max_items",
    "digest.kinds": "digest_kinds",
    "digest.frequency": "digest_frequency",
}


@dataclass
class ActorUpdate:
    """The outcome of a form: the saved actor, or French errors by form field (nothing saved)."""

    actor: Actor | None
    errors: dict[str, list[str]] = field(default_factory=dict)


def update_actor(ctx: Context, actor_id: str, form: ActorForm, user: User) -> ActorUpdate:
    """Validate the form and save it over the stored profile (same id), or report every error.

    Coordinates and provenance are kept from the stored profile; CPV codes left in the form are
    confirmed (declared). A SIRET already used by another actor is refused.
    """
    _need(user, Permission.ACTORS_EDIT)
    stored = _entry(ctx, user, actor_id).actor
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(_FORM_FIELDS.get(name, name), []).append(message)

    if form.digest_frequency not in FREQUENCIES:
        error("digest_frequency", "fréquence inconnue : choisissez chaque semaine ou chaque jour")
    max_items = form.digest_max_items.strip()
    if not max_items.isdigit() or not 1 <= int(max_items) <= 100:
        error("digest_max_items", "un nombre entier entre 1 et 100 est attendu")
    kinds = [k for k in form.digest_kinds if k in set(NoticeKind)]
    if len(kinds) != len(form.digest_kinds):
        error("digest_kinds", "type d'avis inconnu")
    contacts = [c for c in form.contacts if c.name.strip() or c.email.strip() or c.phone.strip()]
    item = {
        "id": stored.id,
        "name": form.name.strip(),
        "family": form.family,
        "siret": form.siret.strip() or None,
        "legal_form": form.legal_form.strip() or None,
        "description": form.description.strip(),
        "cpv": form.cpv,
        "territory": {
            "departments": form.departments,
            "commune": form.commune.strip() or None,
            "latitude": stored.territory.latitude,
            "longitude": stored.territory.longitude,
            "radius_km": form.radius_km.strip(),
        },
        "capacity": {"staff": form.staff.strip(), "turnover": form.turnover.strip()},
        "contacts": [
            {
                "name": c.name.strip() or None,
                "email": c.email.strip() or None,
                "phone": c.phone.strip() or None,
            }
            for c in contacts
        ],
        "digest": {
            "enabled": form.digest_enabled,
            "frequency": form.digest_frequency,
            "max_items": max_items if max_items.isdigit() else 15,
            "kinds": kinds,
        },
        "provenance": stored.provenance,
    }
    actor, problems = build_actor(item)
    for problem in problems:
        name = problem.field or "name"
        if name.startswith("contacts."):
            index, _, part = name.removeprefix("contacts.").partition(".")
            name = f"contact-{index}-{part or 'email'}"
        error(name, problem.message)
    if actor is not None and actor.siret:
        owners = actor_records.actors_with_sirets(ctx.records, [actor.siret]).get(actor.siret, [])
        others = [o for o in owners if o != actor.id]
        if others:
            error("siret", siret_taken(ctx, user, others[0]))
    if errors or actor is None:
        return ActorUpdate(None, errors)
    actor_records.upsert_actors(ctx.records, [actor])
    actor_records.set_active(ctx.records, actor.id, form.active)
    return ActorUpdate(actor)


def siret_taken(ctx: Context, user: User, owner_id: str) -> str:
    """'SIRET déjà utilisé par l'acteur « … »', naming it only if the user may see it."""
    allowed = visible_actor_ids(ctx, user)
    owner = actor_records.get_actor(ctx.records, owner_id)
    if owner is not None and (allowed is None or owner_id in allowed):
        return f"SIRET déjà utilisé par l'acteur « {owner.name} » ({owner_id})"
    return "SIRET déjà utilisé par une structure d'un autre territoire"


# --------------------------------------------------------------------------- CPV search


@cache
def _folded_labels() -> list[tuple[str, str, str]]:
    """(code, label, folded label) of every CPV code, general codes first."""
    rows = [(code, label, fold(label)) for code, label in cpv_labels().items()]
    return sorted(rows, key=lambda r: (len(r[0].rstrip("0")), r[0]))


def cpv_labels_of(text: str) -> list[tuple[str, str | None]]:
    """The CPV codes written in a form field ('77310000-6; 45000000') with their labels."""
    return [(code, cpv_label(code)) for code in cpv_codes(re.split(r"[\s;,]+", text))]


def search_cpv(term: str, limit: int = 20) -> list[tuple[str, str]]:
    """CPV codes whose code starts with `term` (digits), or whose French label holds every
    word of `term` (accents and case ignored); general codes first, at most `limit`."""
    text = term.strip()
    digits = text.replace(" ", "").split("-")[0]
    if digits.isdigit():
        return sorted((c, label) for c, label in cpv_labels().items() if c.startswith(digits))[
            :limit
        ]
    words = fold(text).split()
    found = (
        (code, label) for code, label, folded in _folded_labels() if all(w in folded for w in words)
    )
    return list(islice(found, limit)) if words else []
