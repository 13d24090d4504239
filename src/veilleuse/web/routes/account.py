"""The signed-in user's account: password change, personal API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app import api_tokens, sign_in
from veilleuse.app.passwords import MAX_PASSWORD_LENGTH
from veilleuse.core.accounts import ApiToken, Permission, User
from veilleuse.core.errors import AuthenticationError, ThrottledError, ValidationError
from veilleuse.web.deps import Ctx, CurrentUser, client_address, require, start_session
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)

TokenUser = Annotated[User, Depends(require(Permission.API_TOKENS))]
MAX = MAX_PASSWORD_LENGTH


@router.get("/compte/mot-de-passe")
def password_form(request: Request, user: CurrentUser) -> Response:
    return render(request, "account/password.html", error=None)


@router.post("/compte/mot-de-passe")
def change_password(
    request: Request,
    ctx: Ctx,
    user: CurrentUser,
    current: Annotated[str, Form(max_length=MAX)] = "",
    new: Annotated[str, Form(max_length=MAX)] = "",
    confirm: Annotated[str, Form(max_length=MAX)] = "",
) -> Response:
    try:
        if new != confirm:
            raise ValidationError("Les deux saisies du nouveau mot de passe diffèrent.")
        changed = sign_in.change_password(ctx, user.id, current, new, client_address(request))
    except ThrottledError as exc:
        response = render(request, "account/password.html", 429, error=str(exc))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except AuthenticationError as exc:
        return render(request, "account/password.html", 400, error=str(exc))
    except ValidationError as exc:
        return render(request, "account/password.html", 422, error=str(exc))
    start_session(request, changed)  # this session stays; every other one ends
    flash(request, "Mot de passe changé. Vos autres sessions ont été fermées.", "success")
    return RedirectResponse("/compte/mot-de-passe", status_code=303)


def _tokens_page(
    request: Request, ctx: Ctx, user: User, status: int = 200, **values: object
) -> Response:
    tokens: list[ApiToken] = api_tokens.list_tokens(ctx, user)
    values.setdefault("new_token", None)
    values.setdefault("error", None)
    return render(request, "account/tokens.html", status, tokens=tokens, **values)


@router.get("/compte/jetons")
def tokens(request: Request, ctx: Ctx, user: TokenUser) -> Response:
    return _tokens_page(request, ctx, user)


@router.post("/compte/jetons")
def create_token(
    request: Request, ctx: Ctx, user: TokenUser, name: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    try:
        token, clear = api_tokens.create_token(ctx, user, name)
    except ValidationError as exc:
        return _tokens_page(request, ctx, user, 422, error=str(exc))
    # shown once, in this response only: never put in a redirect, a flash or a log
    return _tokens_page(request, ctx, user, 201, new_token={"name": token.name, "value": clear})


@router.post("/compte/jetons/{token_id}/revoquer")
def revoke_token(request: Request, ctx: Ctx, user: TokenUser, token_id: int) -> Response:
    api_tokens.revoke_token(ctx, user, token_id)
    flash(request, "Jeton révoqué : il ne donne plus accès à l'API.", "success")
    return RedirectResponse("/compte/jetons", status_code=303)
