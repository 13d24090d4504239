"""The actor edit form: the stored profile as the form shows it, and a posted form validated
and saved over it, with every error in French by form field.

Access is checked as for reading (`app.actor_admin`), with the edit permission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from veilleuse.app.actor_admin import need_permission, visible_entry
from veilleuse.app.context import Context
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.accounts import Permission, User
from veilleuse.core.actor_fields import build_actor
from veilleuse.core.models import Actor, NoticeKind
from veilleuse.records import actors as actor_records

FREQUENCIES = {
    "weekly": "Chaque semaine",
    "biweekly": "Toutes les deux semaines",
    "daily": "Chaque jour",
}


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
    need_permission(user, Permission.ACTORS_EDIT)
    entry = visible_entry(ctx, user, actor_id)
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
    need_permission(user, Permission.ACTORS_EDIT)
    stored = visible_entry(ctx, user, actor_id).actor
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(_FORM_FIELDS.get(name, name), []).append(message)

    max_items, kinds = _digest_fields(form, error)
    actor, problems = build_actor(_actor_item(stored, form, max_items, kinds))
    for problem in problems:
        error(_form_field(problem.field), problem.message)
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


def _digest_fields(form: ActorForm, error: Callable[[str, str], None]) -> tuple[str, list[str]]:
    """The digest's maximum of items (as typed) and its known kinds; an error for each bad one."""
    if form.digest_frequency not in FREQUENCIES:
        error("digest_frequency", "fréquence inconnue : choisissez une fréquence proposée")
    max_items = form.digest_max_items.strip()
    if not max_items.isdigit() or not 1 <= int(max_items) <= 100:
        error("digest_max_items", "un nombre entier entre 1 et 100 est attendu")
    kinds = [k for k in form.digest_kinds if k in set(NoticeKind)]
    if len(kinds) != len(form.digest_kinds):
        error("digest_kinds", "type d'avis inconnu")
    return max_items, kinds


def _actor_item(stored: Actor, form: ActorForm, max_items: str, kinds: list[str]) -> dict[str, Any]:
    """The form as an item for `build_actor`, over the stored coordinates and provenance."""
    contacts = [c for c in form.contacts if c.name.strip() or c.email.strip() or c.phone.strip()]
    return {
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
        "digest": {  # what the actor set from its digest links (addresses, minimum…) stays
            **stored.digest.model_dump(mode="json"),
            "unsubscribed_at": None if form.digest_enabled else stored.digest.unsubscribed_at,
            "enabled": form.digest_enabled,
            "frequency": form.digest_frequency,
            "max_items": max_items if max_items.isdigit() else 15,
            "kinds": kinds,
        },
        "provenance": stored.provenance,
    }


def _form_field(problem_field: str | None) -> str:
    """The field of a `build_actor` problem, contacts written as the form's `contact-0-email`."""
    name = problem_field or "name"
    if name.startswith("contacts."):
        index, _, part = name.removeprefix("contacts.").partition(".")
        name = f"contact-{index}-{part or 'email'}"
    return name


def siret_taken(ctx: Context, user: User, owner_id: str) -> str:
    """'SIRET déjà utilisé par l'acteur « … »', naming it only if the user may see it."""
    allowed = visible_actor_ids(ctx, user)
    owner = actor_records.get_actor(ctx.records, owner_id)
    if owner is not None and (allowed is None or owner_id in allowed):
        return f"SIRET déjà utilisé par l'acteur « {owner.name} » ({owner_id})"
    return "SIRET déjà utilisé par une structure d'un autre territoire"
