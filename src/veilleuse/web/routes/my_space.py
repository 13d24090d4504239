"""`/mon-espace`: an actor account's own page: its profile, its open matches with their reasons,
and the preferences of its weekly digest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.my_space import (
    FREQUENCIES,
    KINDS,
    PreferencesForm,
    my_matches,
    preferences_form,
    update_preferences,
)
from veilleuse.core.accounts import Permission, User
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Mon espace", "/mon-espace", Permission.OWN_SPACE, order=5)]

ActorUser = Annotated[User, Depends(require(Permission.OWN_SPACE))]


def page(request: Request, ctx: Ctx, user: User, form: PreferencesForm, status: int) -> Response:
    return render(
        request,
        "my_space.html",
        status,
        space=my_matches(ctx, user),
        form=form,
        frequencies=FREQUENCIES,
        kinds=KINDS,
    )


@router.get("/mon-espace")
def my_space(request: Request, ctx: Ctx, user: ActorUser) -> Response:
    return page(request, ctx, user, preferences_form(ctx, user), 200)


@router.post("/mon-espace/preferences")
def save_preferences(
    request: Request,
    ctx: Ctx,
    user: ActorUser,
    frequency: Annotated[str, Form()] = "weekly",
    max_items: Annotated[str, Form()] = "15",
    kinds: Annotated[list[str] | None, Form()] = None,
    enabled: Annotated[str | None, Form()] = None,
) -> Response:
    form = PreferencesForm(enabled is not None, frequency, kinds or [], max_items)
    saved = update_preferences(ctx, user, form)
    if saved.errors:
        return page(request, ctx, user, saved, 400)
    flash(request, "Vos préférences sont enregistrées.")
    return RedirectResponse("/mon-espace", status_code=303)
