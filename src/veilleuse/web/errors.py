"""Errors as French pages, or as problem details (RFC 9457) under `/api/`.

The error tree says what went wrong; this table says which HTTP status it is. A page gets
`error.html`; a path under `/api/` gets `application/problem+json` with `type`, `title`,
`status` and `detail` (plus `errors` for invalid input, `retry_after` when throttled).
An unexpected exception is logged with a reference shown to the user, never a traceback.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from veilleuse.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    StoreUnavailableError,
    ThrottledError,
    ValidationError,
    VeilleuseError,
)
from veilleuse.web.deps import LoginRequired, is_api, login_url, optional_user
from veilleuse.web.middleware import SECURITY_HEADERS
from veilleuse.web.templating import render

log = logging.getLogger(__name__)

#: most specific class first
STATUS: tuple[tuple[type[VeilleuseError], int, str], ...] = (
    (ThrottledError, 429, "throttled"),
    (AuthenticationError, 401, "authentication"),
    (PermissionDeniedError, 403, "permission-denied"),
    (NotFoundError, 404, "not-found"),
    (ValidationError, 422, "validation"),
    (StoreUnavailableError, 503, "unavailable"),
)

TITLES = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    413: "Envoi trop volumineux",
    422: "Données invalides",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service indisponible",
}
SLUGS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 500: "internal"}
PROBLEM_TYPE = "urn:veilleuse:problem:"
INTERNAL = (
    "Une erreur inattendue s'est produite. Elle a été enregistrée ; réessayez plus tard "
    "ou signalez-la avec la référence {ref}."
)


def problem(
    status: int, detail: str, slug: str | None = None, headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:  # fmt: skip
    body = {
        "type": PROBLEM_TYPE + (slug or SLUGS.get(status, str(status))),
        "title": TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
        **extra,
    }
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


def error_page(
    request: Request, status: int, detail: str, headers: dict[str, str] | None = None
) -> Response:
    try:
        response: Response = render(
            request, "error.html", status, title=TITLES.get(status, "Erreur"), status=status,
            detail=detail,
        )  # fmt: skip
    except Exception:  # the error page itself failed: a bare page, never a traceback
        log.exception("error page could not be rendered")
        response = HTMLResponse(
            "<!doctype html><html lang='fr'><meta charset='utf-8'><title>Erreur</title>"
            f"<h1>Erreur {status}</h1><p>Réessayez plus tard.</p></html>",
            status_code=status,
        )
    if headers:
        response.headers.update(headers)
    return response


def answer(
    request: Request, status: int, detail: str, slug: str | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> Response:  # fmt: skip
    if is_api(request):
        return problem(status, detail, slug, headers, **extra)
    return error_page(request, status, detail, headers)


def status_of(exc: VeilleuseError) -> tuple[int, str]:
    for kind, status, slug in STATUS:
        if isinstance(exc, kind):
            return status, slug
    return 500, "internal"


async def on_veilleuse_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VeilleuseError)
    status, slug = status_of(exc)
    if status == 500:  # a records or store failure: the message may name internals
        return internal(request, exc)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if isinstance(exc, ThrottledError):
        headers = {"Retry-After": str(exc.retry_after)}
        extra = {"retry_after": exc.retry_after}
    if status == 401 and is_api(request):
        headers = {**headers, "WWW-Authenticate": 'Bearer realm="veilleuse"'}
    return answer(request, status, str(exc), slug, headers, **extra)


async def on_login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    if is_api(request):
        return problem(
            401, "Connexion requise : envoyez un jeton d'API (Authorization: Bearer vl_…).",
            "authentication", {"WWW-Authenticate": 'Bearer realm="veilleuse"'},
        )  # fmt: skip
    return RedirectResponse(login_url(exc.next_path), status_code=303)


async def _load_user(request: Request) -> None:
    """Load the signed-in user for the page's header when no route dependency did (an unknown
    path); a failure here only costs the header."""
    if is_api(request) or hasattr(request.state, "user") or "session" not in request.scope:
        return
    try:
        await run_in_threadpool(optional_user, request)
    except Exception:
        log.exception("user of an error page could not be loaded")


async def on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    await _load_user(request)
    detail = {
        404: "Cette page n'existe pas ou n'existe plus.",
        405: "Cette adresse n'accepte pas cette méthode.",
    }.get(exc.status_code)
    if detail is None:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
    return answer(request, exc.status_code, detail, headers=dict(exc.headers or {}))


async def on_invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "message": e["msg"]}
        for e in exc.errors()
    ]
    if is_api(request):
        return problem(422, "Paramètres invalides.", "validation", errors=errors)
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
    detail = "Le formulaire ou l'adresse est incomplet ou invalide" + (
        f" (champs : {fields})." if fields else "."
    )
    return error_page(request, 422, detail)


def internal(request: Request, exc: BaseException) -> Response:
    ref = secrets.token_hex(4)
    log.error("internal error %s on %s %s", ref, request.method, request.url.path, exc_info=exc)
    response = answer(request, 500, INTERNAL.format(ref=ref), "internal", reference=ref)
    response.headers.update(SECURITY_HEADERS)  # sent outside the security middleware
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    return internal(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(VeilleuseError, on_veilleuse_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(Exception, on_unexpected)
