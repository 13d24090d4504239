"""Signing in and out: `/connexion`, `/deconnexion`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app import sign_in
from veilleuse.app.passwords import MAX_PASSWORD_LENGTH
from veilleuse.core.accounts import User
from veilleuse.core.errors import AuthenticationError, ThrottledError
from veilleuse.web.deps import (
    Ctx,
    client_address,
    end_session,
    optional_user,
    safe_next,
    start_session,
)
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _form(
    request: Request, status: int = 200, email: str = "", next_path: str | None = None,
    error: str | None = None,
) -> Response:  # fmt: skip
    return render(
        request,
        "auth/login.html",
        status,
        email=email,
        suivant=next_path or "",
        error=error,
    )


@router.get("/connexion")
def login_form(
    request: Request,
    user: Annotated[User | None, Depends(optional_user)],
    suivant: str | None = None,
) -> Response:
    if user is not None:
        return RedirectResponse(safe_next(suivant) or "/", status_code=303)
    return _form(request, next_path=safe_next(suivant))


@router.post("/connexion")
def login(
    request: Request,
    ctx: Ctx,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)] = "",
    suivant: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_path = safe_next(suivant)
    try:
        user = sign_in.authenticate(ctx, email, password, client_address(request))
    except ThrottledError as exc:
        response = _form(request, 429, email, next_path, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AuthenticationError as exc:
        return _form(request, 401, email, next_path, str(exc))
    start_session(request, user)
    return RedirectResponse(next_path or "/", status_code=303)


@router.post("/deconnexion")
def logout(request: Request) -> Response:
    end_session(request)
    flash(request, "Vous êtes déconnecté·e.", "success")
    return RedirectResponse("/connexion", status_code=303)
