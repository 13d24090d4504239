"""`/mon-espace`: an actor account's own page: its profile, its open matches with their reasons
(each with a « Ça nous intéresse » button, `POST /mon-espace/interet`), the notices it said it
was interested in, and the preferences of its weekly digest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.bid_board import express_interest
from veilleuse.app.my_interests import my_interests
from veilleuse.app.my_space import (
    FREQUENCIES,
    KINDS,
    PreferencesForm,
    my_matches,
    preferences_form,
    update_preferences,
)
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import ValidationError
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Mon espace", "/mon-espace", Permission.OWN_SPACE, order=5)]

ActorUser = Annotated[User, Depends(require(Permission.OWN_SPACE))]


def page(request: Request, ctx: Ctx, user: User, form: PreferencesForm, status: int) -> Response:
    space = my_matches(ctx, user)
    interested = my_interests(ctx, user)
    return render(
        request,
        "my_space.html",
        status,
        space=space,
        interested=interested,
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


@router.post("/mon-espace/interet")
def interest(
    request: Request,
    ctx: Ctx,
    user: ActorUser,
    avis: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        result = express_interest(ctx, user, avis.strip())
    except ValidationError as exc:
        flash(request, f"Intérêt non enregistré : {exc}.", "error")
        return RedirectResponse("/mon-espace#opportunites", status_code=303)
    if result.created:
        flash(
            request,
            "C'est noté : votre chargé·e de veille sait que cet avis vous intéresse.",
            "success",
        )
    else:
        flash(request, "Vous aviez déjà dit que cet avis vous intéresse.", "info")
    return RedirectResponse("/mon-espace#interets", status_code=303)
