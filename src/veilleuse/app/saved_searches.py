"""Saved searches: keep the current search under a name, with an alert frequency, per user.

A saved search stores the canonical query string of the search page (`app.search_params`,
paging left out), so opening it, exporting it, the API and its alerts all read the same view.
Every function takes the acting user's id and only touches that user's searches: another
user's search is "not found" (its existence is not revealed). Unsubscribing needs no login:
the token in the alert e-mail is enough, and doing it twice is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from veilleuse.app.context import Context
from veilleuse.app.search import SearchQuery
from veilleuse.app.search_params import parse_query_string, search_page_url, to_query_string
from veilleuse.app.search_wording import describe_filters
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.records import saved_searches as saved
from veilleuse.records.saved_searches import SavedSearchRecord

MAX_NAME = 200


class AlertFrequency(StrEnum):
    NONE = "none"
    DAILY = "daily"
    WEEKLY = "weekly"


FREQUENCY_LABELS = {
    AlertFrequency.NONE: "pas d'alerte",
    AlertFrequency.DAILY: "chaque jour",
    AlertFrequency.WEEKLY: "chaque semaine",
}


@dataclass(frozen=True)
class SavedSearch:
    """A saved search as pages and the API show it."""

    id: int
    user_id: int
    territory_id: str | None
    name: str
    query_string: str
    query: SearchQuery
    frequency: AlertFrequency
    sent_up_to: datetime | None
    created_at: datetime
    criteria: list[str]  # the filters in French (describe_filters)
    search_url: str  # <base_url>/recherche?<query string>
    unsubscribe_url: str  # <base_url>/alertes/desabonner/<token>
    problem: str | None = None  # the stored query no longer reads (shown, never raised)

    @property
    def frequency_label(self) -> str:
        return FREQUENCY_LABELS[self.frequency]


def base_url(ctx: Context) -> str:
    """Where the web app is published (`web.base_url`), for links in e-mails and files."""
    return ctx.settings.web.base_url.rstrip("/")


def unsubscribe_url(ctx: Context, token: str) -> str:
    return f"{base_url(ctx)}/alertes/desabonner/{token}"


def _view(ctx: Context, record: SavedSearchRecord) -> SavedSearch:
    problem = None
    try:
        query = parse_query_string(record.query)
    except ValidationError as exc:
        query, problem = SearchQuery(), f"Recherche enregistrée illisible : {exc}"
    try:
        frequency = AlertFrequency(record.frequency)
    except ValueError:
        frequency = AlertFrequency.NONE
    return SavedSearch(
        id=record.id,
        user_id=record.user_id,
        territory_id=record.territory_id,
        name=record.name,
        query_string=record.query,
        query=query,
        frequency=frequency,
        sent_up_to=record.sent_up_to,
        created_at=record.created_at,
        criteria=describe_filters(query),
        search_url=search_page_url(base_url(ctx), query),
        unsubscribe_url=unsubscribe_url(ctx, record.unsubscribe_token),
        problem=problem,
    )


def _name(name: str) -> str:
    clean = " ".join(name.split())
    if not clean:
        raise ValidationError("Nom de la recherche : il est obligatoire.")
    if len(clean) > MAX_NAME:
        raise ValidationError(f"Nom de la recherche : {MAX_NAME} caractères au plus.")
    return clean


def parse_frequency(value: AlertFrequency | str) -> AlertFrequency:
    try:
        return AlertFrequency(value)
    except ValueError:
        raise ValidationError(
            f"Fréquence : « {value} » n'est pas une fréquence d'alerte (none, daily, weekly)."
        ) from None


def _query_string(query: SearchQuery | str) -> str:
    """The canonical stored form; a string is checked strictly (unknown names refused)."""
    parsed = parse_query_string(query, strict=True) if isinstance(query, str) else query
    return to_query_string(parsed, page=False)


def _owned(ctx: Context, search_id: int, user_id: int) -> SavedSearchRecord:
    record = saved.get_saved_search(ctx.records, search_id)
    if record is None or record.user_id != user_id:
        raise NotFoundError(f"Recherche enregistrée introuvable : n° {search_id}.")
    return record


def save_search(
    ctx: Context,
    *,
    user_id: int,
    name: str,
    query: SearchQuery | str,
    frequency: AlertFrequency | str = AlertFrequency.NONE,
    territory_id: str | None = None,
    now: datetime | None = None,
) -> SavedSearch:
    """Save a search (a `SearchQuery` or the page's query string). Alerts, if any, carry the
    notices that arrive from now on. Raises ValidationError on a bad name, frequency or query."""
    record = saved.create_saved_search(
        ctx.records,
        user_id=user_id,
        name=_name(name),
        query=_query_string(query),
        frequency=parse_frequency(frequency).value,
        territory_id=territory_id,
        now=now or ctx.now(),
    )
    return _view(ctx, record)


def list_searches(ctx: Context, user_id: int) -> list[SavedSearch]:
    """The user's saved searches, oldest first."""
    return [_view(ctx, r) for r in saved.list_saved_searches(ctx.records, user_id)]


def get_search(ctx: Context, search_id: int, user_id: int) -> SavedSearch:
    """One of the user's saved searches; NotFoundError otherwise."""
    return _view(ctx, _owned(ctx, search_id, user_id))


def _update(ctx: Context, search_id: int, user_id: int, **changes: str) -> SavedSearch:
    _owned(ctx, search_id, user_id)
    record = saved.update_saved_search(ctx.records, search_id, **changes)
    if record is None:  # deleted in between
        raise NotFoundError(f"Recherche enregistrée introuvable : n° {search_id}.")
    return _view(ctx, record)


def rename_search(ctx: Context, search_id: int, user_id: int, name: str) -> SavedSearch:
    return _update(ctx, search_id, user_id, name=_name(name))


def set_frequency(
    ctx: Context, search_id: int, user_id: int, frequency: AlertFrequency | str
) -> SavedSearch:
    """Change how often the search alerts (`none` stops its alerts)."""
    return _update(ctx, search_id, user_id, frequency=parse_frequency(frequency).value)


def replace_query(
    ctx: Context, search_id: int, user_id: int, query: SearchQuery | str
) -> SavedSearch:
    """Save the current view over an existing search (its alerts go on from where they were)."""
    return _update(ctx, search_id, user_id, query=_query_string(query))


def delete_search(ctx: Context, search_id: int, user_id: int) -> None:
    _owned(ctx, search_id, user_id)
    saved.delete_saved_search(ctx.records, search_id)


def unsubscribe(ctx: Context, token: str) -> SavedSearch:
    """Stop a search's alerts from the link in an alert e-mail (no login needed).

    Raises NotFoundError for an unknown token (e.g. the search was deleted)."""
    record = saved.saved_search_by_token(ctx.records, token.strip()) if token.strip() else None
    if record is None:
        raise NotFoundError(
            "Lien de désabonnement inconnu : la recherche a peut-être été supprimée."
        )
    if record.frequency != AlertFrequency.NONE.value:
        record = (
            saved.update_saved_search(ctx.records, record.id, frequency=AlertFrequency.NONE.value)
            or record
        )
    return _view(ctx, record)
