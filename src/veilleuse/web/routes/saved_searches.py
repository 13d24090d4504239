"""Saved searches: `/recherches` (the user's own, with their alerts) and the public
unsubscribe link of an alert e-mail, `/alertes/desabonner/{token}`.

A saved search is the search page's query string under a name, with an alert frequency. Each
page only reads or changes the signed-in user's searches: another user's id is "not found".
Unsubscribing needs no login (the token of the e-mail is the credential); the link shows the
search and asks for a confirmation, so a mail scanner fetching it stops nothing.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.saved_search_pages import search_for_token
from veilleuse.app.saved_searches import (
    FREQUENCY_LABELS,
    MAX_NAME,
    AlertFrequency,
    SavedSearch,
    delete_search,
    get_search,
    list_searches,
    parse_frequency,
    rename_search,
    save_search,
    set_frequency,
    unsubscribe,
)
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.web.deps import Ctx, optional_user, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)

NAVIGATION = [NavItem("Mes recherches", "/recherches", Permission.SAVED_SEARCHES, order=20)]

Saver = Annotated[User, Depends(require(Permission.SAVED_SEARCHES))]
Visitor = Annotated[User | None, Depends(optional_user)]

#: the choices of the frequency select, in this order
FREQUENCIES = [(f.value, FREQUENCY_LABELS[f]) for f in AlertFrequency]
MAX_QUERY = 4000


def list_path(search_id: int | None = None) -> str:
    return "/recherches" + (f"#recherche-{search_id}" if search_id is not None else "")


def search_path(query_string: str) -> str:
    """The search page of a query string (kept under /recherche whatever it holds)."""
    return "/recherche" + (f"?{quote(query_string, safe='=&+%,:-._~')}" if query_string else "")


@router.post("/recherches")
def save(
    request: Request,
    ctx: Ctx,
    user: Saver,
    name: Annotated[str, Form(max_length=1000)] = "",
    query: Annotated[str, Form(max_length=MAX_QUERY)] = "",
    frequency: Annotated[str, Form(max_length=20)] = AlertFrequency.NONE.value,
) -> Response:
    try:
        saved = save_search(
            ctx,
            user_id=user.id,
            name=name,
            query=query,
            frequency=frequency,
            territory_id=user.territory_id,
        )
    except ValidationError as exc:
        flash(request, f"La recherche n'a pas été enregistrée. {exc}", "error")
        return RedirectResponse(search_path(query), status_code=303)
    flash(request, f"Recherche « {saved.name} » enregistrée ({saved.frequency_label}).", "success")
    return RedirectResponse(list_path(saved.id), status_code=303)


@router.get("/recherches")
def saved_list(request: Request, ctx: Ctx, user: Saver) -> Response:
    return render(request, "saved_searches/list.html", searches=list_searches(ctx, user.id))


def _edit_page(
    request: Request,
    search: SavedSearch,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "saved_searches/edit.html",
        status_code,
        search=search,
        frequencies=FREQUENCIES,
        errors=errors or {},
        values=values or {"name": search.name, "frequency": search.frequency.value},
        max_name=MAX_NAME,
        search_path=search_path,
    )


def _typed(name: str, frequency: str) -> dict[str, str]:
    return {"name": name, "frequency": frequency}


@router.get("/recherches/{search_id:int}")
def edit_form(request: Request, ctx: Ctx, user: Saver, search_id: int) -> Response:
    return _edit_page(request, get_search(ctx, search_id, user.id))


@router.post("/recherches/{search_id:int}")
def edit(
    request: Request,
    ctx: Ctx,
    user: Saver,
    search_id: int,
    name: Annotated[str, Form(max_length=1000)] = "",
    frequency: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    search = get_search(ctx, search_id, user.id)  # another user's: 404 before anything
    try:  # the frequency is checked first, so a refused form changes nothing
        chosen = parse_frequency(frequency)
    except ValidationError as exc:
        return _edit_page(request, search, 400, {"frequency": str(exc)}, _typed(name, frequency))
    try:
        search = rename_search(ctx, search_id, user.id, name)
    except ValidationError as exc:
        return _edit_page(request, search, 400, {"name": str(exc)}, _typed(name, frequency))
    if chosen is not search.frequency:
        search = set_frequency(ctx, search_id, user.id, chosen)
    flash(request, f"Recherche « {search.name} » modifiée ({search.frequency_label}).", "success")
    return RedirectResponse(list_path(search.id), status_code=303)


@router.post("/recherches/{search_id:int}/supprimer")
def delete(request: Request, ctx: Ctx, user: Saver, search_id: int) -> Response:
    search = get_search(ctx, search_id, user.id)
    delete_search(ctx, search_id, user.id)
    flash(request, f"Recherche « {search.name} » supprimée : ses alertes s'arrêtent.", "success")
    return RedirectResponse(list_path(), status_code=303)


# --------------------------------------------------------------------------- unsubscribe


def _unknown_token(request: Request, user: User | None) -> Response:
    return render(
        request, "saved_searches/unsubscribe.html", 404, user=user, search=None, done=False
    )


@router.get("/alertes/desabonner/{token}")
def unsubscribe_form(request: Request, ctx: Ctx, visitor: Visitor, token: str) -> Response:
    try:
        search = search_for_token(ctx, token)
    except NotFoundError:
        return _unknown_token(request, visitor)
    return render(
        request,
        "saved_searches/unsubscribe.html",
        user=visitor,
        search=search,
        token=token,
        done=False,
    )


@router.post("/alertes/desabonner/{token}")
def unsubscribe_confirm(request: Request, ctx: Ctx, visitor: Visitor, token: str) -> Response:
    try:
        search = unsubscribe(ctx, token)
    except NotFoundError:
        return _unknown_token(request, visitor)
    return render(
        request,
        "saved_searches/unsubscribe.html",
        user=visitor,
        search=search,
        token=token,
        done=True,
    )
