"""`/avis/{uid}`: one notice with its lots, evidence, duplicates, matched actors and team;
`POST /avis/{uid}/pousser`: the watch officer pushes it to actors for their next digest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.notice_page import notice_detail
from veilleuse.app.notice_pushes import MAX_NOTE, PushOutcome, push_notice
from veilleuse.app.notices import LABELS
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import ValidationError
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)

Reader = Annotated[User, Depends(require(Permission.SEARCH))]
Pusher = Annotated[User, Depends(require(Permission.NOTICE_PUSH))]


def notice_path(uid: str) -> str:
    return f"/avis/{uid}"


@router.post("/avis/{uid:path}/pousser")
def push(
    request: Request,
    ctx: Ctx,
    user: Pusher,
    uid: str,
    actors: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    note: Annotated[str, Form(max_length=MAX_NOTE)] = "",
) -> Response:
    try:
        report = push_notice(ctx, uid, actors, user, note)
    except ValidationError as exc:
        flash(request, f"Rien n'a été poussé : {exc}.", "error")
        return RedirectResponse(notice_path(uid) + "#pousser", status_code=303)
    for result in report.results:
        level = "success" if result.outcome is PushOutcome.PUSHED else "info"
        flash(request, f"{result.actor_name} : {result.outcome.label}.", level)
    return RedirectResponse(notice_path(uid) + "#poussees", status_code=303)


@router.get("/avis/{uid:path}")
def notice_page(request: Request, ctx: Ctx, user: Reader, uid: str) -> Response:
    detail = notice_detail(ctx, uid, user)
    return render(
        request,
        "notice.html",
        detail=detail,
        notice=detail.notice,
        labels=LABELS,
        max_note=MAX_NOTE,
    )
