"""An actor account's own space: its matches and its digest preferences.

An actor changes only how and what it receives (on, frequency, kinds, size); its profile stays
with the watch officer, who answers for the territory's data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from veilleuse.app.actor_matches import ActorMatches, actor_matches
from veilleuse.app.context import Context
from veilleuse.core.accounts import User, own_actor
from veilleuse.core.errors import PermissionDeniedError
from veilleuse.core.models import NoticeKind
from veilleuse.records import actors as actor_records

FREQUENCIES = {
    "weekly": "chaque semaine",
    "biweekly": "toutes les deux semaines",
    "daily": "chaque jour",
}
KINDS = {
    NoticeKind.TENDER: "appels d'offres",
    NoticeKind.FUNDING_CALL: "appels à projets et aides",
    NoticeKind.PIN: "avis de pré-information",
}
MAX_ITEMS = (5, 50)


def own_actor_id(user: User) -> str:
    actor_id = own_actor(user)
    if actor_id is None:
        raise PermissionDeniedError("Ce compte n'est rattaché à aucune structure.")
    return actor_id


def my_matches(ctx: Context, user: User) -> ActorMatches:
    """The account's actor and its open matches of the latest run, best first."""
    return actor_matches(ctx, own_actor_id(user), user, open_only=True)


@dataclass
class PreferencesForm:
    enabled: bool
    frequency: str
    kinds: list[str]
    max_items: str
    errors: dict[str, str] = field(default_factory=dict)


def preferences_form(ctx: Context, user: User) -> PreferencesForm:
    actor = actor_matches(ctx, own_actor_id(user), user, limit=0).actor
    d = actor.digest
    return PreferencesForm(d.enabled, d.frequency, [k.value for k in d.kinds], str(d.max_items))


def update_preferences(ctx: Context, user: User, form: PreferencesForm) -> PreferencesForm:
    """Validate and store the digest preferences; errors by field, in French, nothing stored."""
    errors: dict[str, str] = {}
    if form.frequency not in FREQUENCIES:
        errors["frequency"] = "Choisissez une fréquence proposée."
    kinds = [k for k in NoticeKind if k.value in form.kinds]
    if form.enabled and not kinds:
        errors["kinds"] = "Cochez au moins un type d'avis, ou suspendez le digest."
    try:
        max_items = int(form.max_items)
        if not MAX_ITEMS[0] <= max_items <= MAX_ITEMS[1]:
            raise ValueError
    except ValueError:
        errors["max_items"] = f"Un nombre entre {MAX_ITEMS[0]} et {MAX_ITEMS[1]}."
        max_items = 0
    if errors:
        form.errors = errors
        return form
    actor = actor_matches(ctx, own_actor_id(user), user, limit=0).actor
    stored = actor.digest  # what the digest links set (addresses, minimum…) stays
    digest = stored.model_copy(
        update={
            "enabled": form.enabled,
            "frequency": form.frequency,
            "max_items": max_items,
            "kinds": kinds,
            "unsubscribed_at": None if form.enabled else stored.unsubscribed_at,
        }
    )
    actor_records.upsert_actors(ctx.records, [actor.model_copy(update={"digest": digest})])
    return preferences_form(ctx, user)
