"""The preferences page of a digest link: how often, what and where the actor receives.

What the digest stage honours (`DigestPreferences`): frequency (weekly, every two weeks, or
paused), kinds of notices, minimum amount, maximum of items, the addresses it goes to. What the
matching uses (the actor's profile, shared with the watch officer, who sees the change): the
départements and the distance around the actor's commune, the CPV codes of its activities —
they count from the next matching run.

`save_preferences` validates the whole form (French errors by field, nothing stored when one is
wrong) through the same rules as the officer's actor form (`core.actor_fields.build_actor`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.cpv_search import cpv_labels_of
from veilleuse.app.digest_links import LinkTarget, open_link, page_links
from veilleuse.app.my_space import KINDS
from veilleuse.core.actor_fields import build_actor
from veilleuse.core.models import Actor, DigestPreferences, NoticeKind
from veilleuse.core.normalise import parse_money
from veilleuse.core.signed_links import LinkAction
from veilleuse.records import actors as actor_records

PAUSED = "paused"
FREQUENCIES = {
    "weekly": "chaque semaine",
    "biweekly": "toutes les deux semaines",
    PAUSED: "en pause : aucun envoi",
}
#: offered only to an actor whose officer set it (not chosen from the link)
DAILY = {"daily": "chaque jour"}
MAX_ITEMS = (1, 50)
MAX_ADDRESSES = 5
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
#: a problem of `build_actor` (its field) → the field of this form
_FIELDS = {
    "territory": "departments",
    "departments": "departments",
    "radius_km": "radius_km",
    "cpv_interests": "cpv",
    "cpv": "cpv",
}


@dataclass
class PreferencesForm:
    """The form as posted (text as typed)."""

    frequency: str = "weekly"
    kinds: list[str] = field(default_factory=list)
    departments: str = ""
    radius_km: str = ""
    cpv: str = ""
    min_amount: str = ""
    max_items: str = "15"
    addresses: str = ""
    #: partners the network suggests may receive an introduction naming this actor
    introductions: bool = True


@dataclass
class PreferencesPage:
    target: LinkTarget
    form: PreferencesForm
    errors: dict[str, str] = field(default_factory=dict)
    #: the CPV codes of the form with their French labels (None: unknown code)
    cpv_labels: list[tuple[str, str | None]] = field(default_factory=list)
    resubscribe_path: str = ""
    unsubscribe_path: str = ""
    #: True once the form was stored
    saved: bool = False

    @property
    def actor(self) -> Actor:
        return self.target.actor

    @property
    def paused(self) -> bool:
        return not self.target.actor.digest.enabled

    @property
    def frequencies(self) -> dict[str, str]:
        if self.form.frequency == "daily":
            return {**DAILY, **FREQUENCIES}
        return FREQUENCIES

    @property
    def kinds(self) -> dict[NoticeKind, str]:
        return KINDS

    @property
    def contact_email(self) -> str | None:
        return self.target.actor.email()


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def form_of(actor: Actor) -> PreferencesForm:
    d = actor.digest
    return PreferencesForm(
        frequency=d.frequency if d.enabled else PAUSED,
        kinds=[k.value for k in d.kinds],
        departments=" ".join(actor.territory.departments),
        radius_km=_number(actor.territory.radius_km),
        cpv=" ".join(actor.cpv_codes()),
        min_amount=_number(d.min_amount),
        max_items=str(d.max_items),
        addresses="\n".join(d.addresses),
        introductions=d.introductions,
    )


def _page(ctx: Context, target: LinkTarget, form: PreferencesForm, **more: Any) -> PreferencesPage:
    links = page_links(ctx)
    return PreferencesPage(
        target,
        form,
        cpv_labels=cpv_labels_of(form.cpv),
        resubscribe_path=links.path(target.actor.id, LinkAction.RESUBSCRIBE),
        unsubscribe_path=links.path(target.actor.id, LinkAction.UNSUBSCRIBE),
        **more,
    )


def preferences_page(ctx: Context, token: str) -> PreferencesPage:
    """The form filled from the stored profile. Changes nothing."""
    target = open_link(ctx, token, LinkAction.PREFERENCES)
    return _page(ctx, target, form_of(target.actor))


def check_token(ctx: Context, token: str) -> None:
    """Raise the `LinkError` of a token that is not a usable preferences link."""
    open_link(ctx, token, LinkAction.PREFERENCES)


def same_page(ctx: Context, token: str, form: PreferencesForm) -> PreferencesPage:
    """The page with the form as typed (its CPV search, without saving)."""
    return _page(ctx, open_link(ctx, token, LinkAction.PREFERENCES), form)


def _addresses(text: str, error: dict[str, str]) -> list[str]:
    found = list(dict.fromkeys(a.strip().lower() for a in re.split(r"[\s,;]+", text) if a.strip()))
    bad = [a for a in found if not _EMAIL.fullmatch(a)]
    if bad:
        error["addresses"] = f"Adresse e-mail invalide : {bad[0]}"
    elif len(found) > MAX_ADDRESSES:
        error["addresses"] = f"{MAX_ADDRESSES} adresses au plus."
    return found


def _digest(
    stored: DigestPreferences, form: PreferencesForm, errors: dict[str, str]
) -> DigestPreferences:
    """The digest preferences of the form over the stored ones; errors by field."""
    paused = form.frequency == PAUSED
    allowed = {**FREQUENCIES, **(DAILY if stored.frequency == "daily" else {})}
    if form.frequency not in allowed:
        errors["frequency"] = "Choisissez une fréquence proposée."
    kinds = [k for k in KINDS if k.value in form.kinds]
    if len(kinds) != len(set(form.kinds)):
        errors["kinds"] = "Type d'avis inconnu."
    elif not kinds and not paused:
        errors["kinds"] = "Cochez au moins un type d'avis, ou choisissez « en pause »."
    minimum: float | None = None
    if form.min_amount.strip():
        try:
            minimum = parse_money(form.min_amount)
        except ValueError:
            minimum = None
        if minimum is None or minimum < 0:
            errors["min_amount"] = "Un montant en euros, par exemple 20 000 (ou rien)."
    max_items = 0
    text = form.max_items.strip()
    if text.isdigit() and MAX_ITEMS[0] <= int(text) <= MAX_ITEMS[1]:
        max_items = int(text)
    else:
        errors["max_items"] = f"Un nombre entier entre {MAX_ITEMS[0]} et {MAX_ITEMS[1]}."
    addresses = _addresses(form.addresses, errors)
    if errors:
        return stored
    # choosing a frequency again after unsubscribing is subscribing again
    keep_stamp = stored.enabled or paused
    return stored.model_copy(
        update={
            "enabled": not paused,
            "frequency": stored.frequency if paused else form.frequency,
            "kinds": kinds or stored.kinds,
            "min_amount": minimum,
            "max_items": max_items,
            "addresses": addresses,
            "introductions": form.introductions,
            "unsubscribed_at": stored.unsubscribed_at if keep_stamp else None,
        }
    )


def save_preferences(ctx: Context, token: str, form: PreferencesForm) -> PreferencesPage:
    """Validate the form and store it over the profile, or return it with its errors (French,
    by field) and nothing stored."""
    target = open_link(ctx, token, LinkAction.PREFERENCES)
    stored = target.actor
    errors: dict[str, str] = {}
    digest = _digest(stored.digest, form, errors)
    item = stored.model_dump(mode="json", exclude={"cpv_interests"})
    item["cpv"] = form.cpv
    item["territory"] = {
        **item["territory"],
        "departments": form.departments,
        "radius_km": form.radius_km.strip(),
    }
    item["digest"] = digest.model_dump(mode="json")
    actor, problems = build_actor(item)
    for problem in problems:
        errors.setdefault(_FIELDS.get(problem.field or "", "form"), problem.message)
    if errors or actor is None:
        return _page(ctx, target, form, errors=errors or {"form": "Profil invalide."})
    actor_records.upsert_actors(ctx.records, [actor])
    saved = LinkTarget(target.token, target.link, actor, target.notice)
    return _page(ctx, saved, form_of(actor), saved=True)
