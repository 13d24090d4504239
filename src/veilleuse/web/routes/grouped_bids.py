"""`/groupements`: the grouped-bid register — the board by stage with « équipes possibles »,
the filterable list and its exports, one bid's page (timeline, proposed outcome, the change of
stage) and the change of stage itself.

Reading needs `grouped_bids.view` (the committee reads everything but gets no button nor form);
every POST needs `grouped_bids.edit` (403 otherwise). A bid of another territory is 404. A
refused change of stage (a stale page after someone else moved the bid) shows the French
message of `TransitionError` next to the form, with status 409; a change lacking what it needs
(a reason, the amount won, the shares) is a 400 with its message. The forms that create and
edit bids are in `grouped_bid_forms.py`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from veilleuse.app import actor_admin, bid_board, bid_edits, bid_exports, bid_outcomes
from veilleuse.app.exports import ExportFormat
from veilleuse.app.grouped_bids import bid_lines, get_bid, list_bids, need_edit
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.bids import STAGE_LABELS, BidFilters, BidKind, BidStage, LossReason
from veilleuse.core.errors import TransitionError, ValidationError
from veilleuse.core.grouped_bids import REQUIRES_AMOUNT_AND_SHARES, REQUIRES_REASON, open_stages
from veilleuse.web.deps import Ctx, safe_next
from veilleuse.web.deps import require as page_require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Groupements", "/groupements", Permission.GROUPED_BIDS_VIEW, order=40)]

Viewer = Annotated[User, Depends(page_require(Permission.GROUPED_BIDS_VIEW))]
Editor = Annotated[User, Depends(page_require(Permission.GROUPED_BIDS_EDIT))]


async def form_data(request: Request) -> FormData:
    """The posted form (already read and cached by the CSRF check)."""
    return await request.form()


Posted = Annotated[FormData, Depends(form_data)]


def text_of(data: FormData, name: str, size: int = 2000) -> str:
    value = data.get(name)
    return value.strip()[:size] if isinstance(value, str) else ""


def _sentence(exc: Exception) -> str:
    """A use case's message as a sentence of the page (capital first, as it is shown alone)."""
    message = str(exc)
    return message[:1].upper() + message[1:]


def bid_path(bid_id: int) -> str:
    return f"/groupements/{bid_id}"


def safe_document(url: str) -> str | None:
    """The URL as a link target when it is http(s), else None (shown as plain text)."""
    cleaned = url.strip()
    if cleaned.lower().startswith(("https://", "http://")) and not any(
        ord(c) < 33 for c in cleaned
    ):
        return cleaned
    return None


_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


def parse_number(value: str, what: str) -> float | None:
    """A number as people type it in French (« 45 000,50 »); None when blank."""
    cleaned = value.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
    cleaned = cleaned.rstrip("%")
    if not cleaned:
        return None
    if not _NUMBER.match(cleaned):
        raise ValidationError(f"{what} : « {value} » n'est pas un nombre")
    return float(cleaned.replace(",", "."))


# --------------------------------------------------------------------------- board


@router.get("/groupements")
def board_page(request: Request, ctx: Ctx, user: Viewer) -> Response:
    board = bid_board.board(ctx, user)
    opened = set(open_stages())
    columns = board.columns
    return render(
        request,
        "grouped_bids/board.html",
        open_columns=[c for c in columns if c.stage in opened],
        closed_columns=[c for c in columns if c.stage not in opened],
        teams=board.teams,
        editable=can(user, Permission.GROUPED_BIDS_EDIT),
    )


# --------------------------------------------------------------------------- list and exports

LIST_FIELDS = ("etape", "nature", "structure", "territoire", "du", "au", "avis")


def _day(value: str, name: str, problems: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems[name] = f"« {value} » n'est pas une date (AAAA-MM-JJ)."
        return None


def list_filters(request: Request) -> tuple[BidFilters, dict[str, Any], dict[str, str]]:
    """The list's filters from the query string, the values as typed, and the problems."""
    params = request.query_params
    values: dict[str, Any] = {k: params.get(k, "").strip()[:200] for k in LIST_FIELDS}
    values["etape"] = [s for s in params.getlist("etape") if s in set(BidStage)]
    problems: dict[str, str] = {}
    kind = values["nature"] if values["nature"] in set(BidKind) else ""
    values["nature"] = kind
    created_from = _day(values["du"], "du", problems)
    created_to = _day(values["au"], "au", problems)
    filters = BidFilters(
        stages=[BidStage(s) for s in values["etape"]],
        kinds=[BidKind(kind)] if kind else [],
        actor_ids=[values["structure"]] if values["structure"] else [],
        territories=[values["territoire"]] if values["territoire"] else None,
        notice_uids=[values["avis"]] if values["avis"] else [],
        created_from=created_from,
        created_to=created_to,
    )
    return filters, values, problems


@router.get("/groupements/liste")
def list_page(request: Request, ctx: Ctx, user: Viewer) -> Response:
    filters, values, problems = list_filters(request)
    bids = list_bids(ctx, user, filters)
    return render(
        request,
        "grouped_bids/list.html",
        400 if problems else 200,
        lines=bid_lines(ctx, user, bids),
        values=values,
        problems=problems,
        stages=list(BidStage),
        kinds=list(BidKind),
        actors=[line.actor for line in actor_admin.list_actors(ctx, user)]
        if can(user, Permission.ACTORS_VIEW)
        else [],
        territories=actor_admin.territories_for(ctx, user),
        query=request.url.query,
    )


def _export(request: Request, ctx: Ctx, user: User, fmt: ExportFormat) -> Response:
    filters, _, problems = list_filters(request)
    if problems:
        raise ValidationError(" ".join(problems.values()))
    export = bid_exports.export_bids(ctx, user, filters, fmt)
    return Response(
        export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get("/groupements/export.csv")
def export_csv(request: Request, ctx: Ctx, user: Viewer) -> Response:
    return _export(request, ctx, user, ExportFormat.CSV)


@router.get("/groupements/export.xlsx")
def export_xlsx(request: Request, ctx: Ctx, user: Viewer) -> Response:
    return _export(request, ctx, user, ExportFormat.XLSX)


# --------------------------------------------------------------------------- one bid


def _posted_move(data: FormData | None, bid_members: list[str]) -> dict[str, Any]:
    """The move form's values as typed (to show them again after a refusal)."""
    shares = {}
    if data is not None:
        for actor_id in bid_members:
            shares[actor_id] = text_of(data, f"share-{actor_id}", 20)
    fields = ("reason", "detail", "amount_won", "note")
    posted: dict[str, Any] = {k: text_of(data, k) if data is not None else "" for k in fields}
    posted["shares"] = shares
    return posted


def bid_page(
    request: Request,
    ctx: Ctx,
    user: User,
    bid_id: int,
    status: int = 200,
    move_error: str | None = None,
    data: FormData | None = None,
    proposal_error: str | None = None,
) -> Response:
    view = get_bid(ctx, user, bid_id)
    bid = view.bid
    chosen = request.query_params.get("vers", "")
    if data is not None and move_error is not None:
        chosen = text_of(data, "to_stage", 32)
    next_stages = list(view.next_stages)
    return render(
        request,
        "grouped_bids/detail.html",
        status,
        view=view,
        bid=bid,
        editable=view.editable,
        next_stages=next_stages,
        chosen=chosen if chosen in {s.value for s in next_stages} else "",
        needs_reason=[s.value for s in next_stages if s in REQUIRES_REASON],
        needs_amount=[s.value for s in next_stages if s in REQUIRES_AMOUNT_AND_SHARES],
        stage_labels={s.value: label for s, label in STAGE_LABELS.items()},
        reasons=list(LossReason),
        documents=[(url, safe_document(url)) for url in bid.documents],
        move_error=move_error,
        proposal_error=proposal_error,
        posted=_posted_move(data, bid.member_ids()),
    )


@router.get("/groupements/{bid_id:int}")
def detail(request: Request, ctx: Ctx, user: Viewer, bid_id: int) -> Response:
    return bid_page(request, ctx, user, bid_id)


def _shares(data: FormData, members: list[str]) -> dict[str, float] | None:
    """Each member's share as typed; None when none was typed (the stored shares are kept)."""
    shares: dict[str, float] = {}
    for actor_id in members:
        value = parse_number(text_of(data, f"share-{actor_id}", 20), f"Part de {actor_id}")
        if value is not None:
            shares[actor_id] = value
    return shares or None


@router.post("/groupements/{bid_id:int}/etape")
def move(request: Request, ctx: Ctx, user: Editor, bid_id: int, data: Posted) -> Response:
    need_edit(user)
    view = get_bid(ctx, user, bid_id)
    to_stage = text_of(data, "to_stage", 32)
    try:
        if not to_stage:
            raise ValidationError("Choisissez la nouvelle étape.")
        amount = parse_number(text_of(data, "amount_won", 40), "Montant gagné")
        bid = bid_edits.move_bid(
            ctx,
            user,
            bid_id,
            to_stage,
            note=text_of(data, "note") or None,
            reason=text_of(data, "reason", 32) or None,
            detail=text_of(data, "detail", 500) or None,
            amount_won=amount,
            shares=_shares(data, view.bid.member_ids()),
            expected_stage=text_of(data, "from_stage", 32) or None,
        )
    except TransitionError as exc:
        return bid_page(request, ctx, user, bid_id, 409, str(exc), data)
    except ValidationError as exc:
        return bid_page(request, ctx, user, bid_id, 400, _sentence(exc), data)
    flash(request, f"Groupement passé à l'étape « {bid.stage.label} ».", "success")
    back = safe_next(text_of(data, "back", 300)) or bid_path(bid_id)
    return RedirectResponse(back, status_code=303)


# --------------------------------------------------------------------------- proposed outcome


@router.post("/groupements/{bid_id:int}/proposition/confirmer")
def confirm_proposal(
    request: Request, ctx: Ctx, user: Editor, bid_id: int, data: Posted
) -> Response:
    view = get_bid(ctx, user, bid_id)
    try:
        bid = bid_outcomes.confirm_proposal(
            ctx,
            user,
            bid_id,
            reason=text_of(data, "reason", 32) or None,
            detail=text_of(data, "detail", 500) or None,
            amount_won=parse_number(text_of(data, "amount_won", 40), "Montant gagné"),
            shares=_shares(data, view.bid.member_ids()),
            note=text_of(data, "note") or None,
        )
    except TransitionError as exc:
        return bid_page(request, ctx, user, bid_id, 409, proposal_error=str(exc), data=data)
    except ValidationError as exc:
        return bid_page(request, ctx, user, bid_id, 400, proposal_error=_sentence(exc), data=data)
    flash(request, f"Résultat confirmé : « {bid.stage.label} ».", "success")
    return RedirectResponse(bid_path(bid_id), status_code=303)


@router.post("/groupements/{bid_id:int}/proposition/ecarter")
def dismiss_proposal(request: Request, ctx: Ctx, user: Editor, bid_id: int) -> Response:
    try:
        bid_outcomes.dismiss_proposal(ctx, user, bid_id)
    except ValidationError as exc:
        return bid_page(request, ctx, user, bid_id, 400, proposal_error=_sentence(exc))
    flash(request, "Proposition écartée : cet avis d'attribution ne sera plus proposé.", "info")
    return RedirectResponse(bid_path(bid_id), status_code=303)
