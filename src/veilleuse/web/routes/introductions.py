"""`/presentation/{token}`: an actor answers an introduction to partners (`app.introductions`).

No login: the signed token of the introduction e-mail is the credential, for one actor and one
notice. `GET` shows the notice, who asked, the partners and — once both accepted — their
contact details; it changes nothing (a mail scanner opening the link accepts nothing). The
answer is a `POST` of the page's form, with the session's CSRF token the `GET` gave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.introductions import PATH, answer_introduction, open_introduction
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.errors import NotFoundError
from veilleuse.core.signed_links import LinkError
from veilleuse.web.deps import Ctx
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
NO_INDEX = {"X-Robots-Tag": "noindex, nofollow"}


def _page(request: Request, template: str, status: int = 200, **values: object) -> Response:
    response = render(request, template, status, **values)
    response.headers.update(NO_INDEX)
    return response


def _attempt(request: Request, call: Callable[[], T]) -> T | Response:
    try:
        return call()
    except LinkError as exc:
        return _page(request, "introductions/refused.html", exc.status, message=str(exc))
    except NotFoundError as exc:
        return _page(request, "introductions/refused.html", 404, message=str(exc))


@router.get(PATH + "{token}")
def introduction_page(request: Request, ctx: Ctx, token: str) -> Response:
    view = _attempt(request, lambda: open_introduction(ctx, token))
    if isinstance(view, Response):
        return view
    return _page(
        request,
        "introductions/answer.html",
        view=view,
        notice=view.notice,
        deadline=effective_deadline(view.notice),
    )


@router.post(PATH + "{token}")
def answer(
    request: Request, ctx: Ctx, token: str, reponse: Annotated[str, Form()] = ""
) -> Response:
    if reponse not in ("accepter", "refuser"):
        flash(request, "Choisissez « J'accepte » ou « Je refuse ».", "error")
        return RedirectResponse(PATH + token, status_code=303)
    view = _attempt(request, lambda: answer_introduction(ctx, token, reponse == "accepter"))
    if isinstance(view, Response):
        return view
    if view.accepted:
        flash(
            request,
            "C'est noté : vous acceptez la mise en relation. Vos coordonnées sont transmises aux "
            "structures qui ont accepté elles aussi, et les leurs vous sont envoyées.",
            "success",
        )
    else:
        flash(request, "C'est noté : vos coordonnées ne seront pas transmises.", "info")
    return RedirectResponse(PATH + token, status_code=303)
