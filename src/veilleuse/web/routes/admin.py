"""Administration of accounts (admin role only): list, create, disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app import accounts, territories
from veilleuse.app.passwords import MAX_PASSWORD_LENGTH
from veilleuse.core.accounts import Permission, Role, User
from veilleuse.core.errors import ValidationError
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Comptes", "/admin/utilisateurs", Permission.USERS_MANAGE, order=90)]

Admin = Annotated[User, Depends(require(Permission.USERS_MANAGE))]
EMPTY_FORM = {"email": "", "name": "", "role": Role.OFFICER.value, "territory": "", "actor": ""}


def _page(
    request: Request, ctx: Ctx, status: int = 200, error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    return render(
        request,
        "admin/users.html",
        status,
        users=accounts.list_users(ctx),
        territories={t.id: t.name for t in territories.list_territories(ctx)},
        roles=list(Role),
        error=error,
        form=form or EMPTY_FORM,
    )


@router.get("/admin/utilisateurs")
def users(request: Request, ctx: Ctx, admin: Admin) -> Response:
    return _page(request, ctx)


@router.post("/admin/utilisateurs")
def create_user(
    request: Request,
    ctx: Ctx,
    admin: Admin,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    territory: Annotated[str, Form(max_length=64)] = "",
    actor: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
) -> Response:
    form = {"email": email, "name": name, "role": role, "territory": territory, "actor": actor}
    try:
        created = accounts.create_user(
            ctx, email, name, role, password, territory or None, actor.strip() or None
        )
    except ValidationError as exc:
        return _page(request, ctx, 422, str(exc), form)
    flash(request, f"Compte créé : {created.email} ({created.role.label}).", "success")
    return RedirectResponse("/admin/utilisateurs", status_code=303)


@router.post("/admin/utilisateurs/{user_id}/desactiver")
def disable_user(request: Request, ctx: Ctx, admin: Admin, user_id: int) -> Response:
    disabled = accounts.disable_user(ctx, user_id, by=admin)
    flash(request, f"Compte désactivé : {disabled.email}.", "success")
    return RedirectResponse("/admin/utilisateurs", status_code=303)
