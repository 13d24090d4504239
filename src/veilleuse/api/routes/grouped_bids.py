"""`/api/v1/grouped-bids`: the grouped-bid register — list (filters, cursor paging), one bid
with its history, create (by hand or from the notice's suggested team), change of stage,
details, and the outcome proposed from an award notice (confirm / dismiss).

Reading needs `grouped_bids.view`, every change `grouped_bids.edit`. A bid of another
territory answers 404, like an unknown one. A change of stage the rules refuse (or decided on
a stale view: `expected_stage`) is a 409 whose `detail` is the French message naming the
refused change and the ones allowed; a change lacking what it requires (a reason, the amount
and shares) is a 422.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from veilleuse.api.bid_schemas import (
    BidCreateIn,
    BidEventOut,
    BidList,
    BidMemberOut,
    BidOut,
    BidPatchIn,
    BidSummaryOut,
    ConfirmIn,
    ProposalOut,
    TransitionIn,
)
from veilleuse.api.cursors import decode_cursor, encode_cursor, fingerprint
from veilleuse.api.deps import Ctx, CursorKey, require
from veilleuse.api.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_SCHEMA,
    PROBLEM_TYPE,
    BadParameters,
    ProblemRoute,
    problem_responses,
)
from veilleuse.app import bid_edits, bid_outcomes
from veilleuse.app.grouped_bids import BidLine, bid_lines, count_bids, get_bid, list_bids
from veilleuse.core.accounts import Permission, User
from veilleuse.core.bids import (
    BidFilters,
    BidKind,
    BidMember,
    BidStage,
    BidUpdate,
    GroupedBid,
)
from veilleuse.core.errors import TransitionError

router = APIRouter(prefix="/api/v1", tags=["groupements"], route_class=ProblemRoute)

Viewer = Annotated[User, Depends(require(Permission.GROUPED_BIDS_VIEW))]
Editor = Annotated[User, Depends(require(Permission.GROUPED_BIDS_EDIT))]
PATH = "/api/v1/grouped-bids"
KIND = "grouped-bids"
MAX_PER_PAGE = 100

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Changement d'étape refusé (règles des étapes, ou le groupement a "
        "changé d'étape depuis `expected_stage`) : `detail` le dit en français.",
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}
        },
    }
}  # fmt: skip


def conflict(exc: TransitionError) -> JSONResponse:
    """409 problem details with the refusal's French message, the stage and the allowed ones."""
    body = {
        "type": PROBLEM_TYPE + "transition-refused",
        "title": "Conflit",
        "status": 409,
        "detail": str(exc),
        "current_stage": exc.current,
        "allowed_stages": list(exc.allowed),
    }
    return JSONResponse(body, status_code=409, media_type=PROBLEM_MEDIA_TYPE)


# --------------------------------------------------------------------------- conversion


def _members(bid: GroupedBid, names: dict[str, str]) -> list[BidMemberOut]:
    return [
        BidMemberOut(
            actor_id=m.actor_id,
            actor_name=names.get(m.actor_id, m.actor_id),
            role=m.role,
            role_label=m.role.label,
            lots=m.lots,
            share_percent=m.share_percent,
        )
        for m in bid.members
    ]


def _summary_fields(line: BidLine) -> dict[str, Any]:
    bid = line.bid
    assert bid.id is not None
    proposal = None
    if bid.proposal is not None:
        p = bid.proposal
        proposal = ProposalOut(
            **p.model_dump(exclude={"outcome"}), outcome=p.outcome, outcome_label=p.outcome.label
        )
    return {
        "id": bid.id,
        "kind": bid.kind,
        "kind_label": bid.kind.label,
        "notice_uid": bid.notice_uid,
        "notice_title": line.notice_title,
        "deadline": line.deadline,
        "territory_id": bid.territory_id,
        "title": bid.title,
        "stage": bid.stage,
        "stage_label": bid.stage.label,
        "next_stages": list(line.next_stages),
        "members": _members(bid, line.names),
        "form": bid.form,
        "form_label": bid.form.label if bid.form else None,
        "contact_name": bid.contact_name,
        "contact_email": bid.contact_email,
        "documents": bid.documents,
        "notes": bid.notes,
        "amount_won": bid.amount_won,
        "loss_reason": bid.loss_reason,
        "loss_reason_label": bid.loss_reason.label if bid.loss_reason else None,
        "loss_detail": bid.loss_detail,
        "from_suggestion": bid.from_suggestion,
        "created_at": bid.created_at,
        "updated_at": bid.updated_at,
        "proposal": proposal,
    }


def bid_out(ctx: Ctx, user: User, bid_id: int) -> BidOut:
    """The stored bid as the user sees it, with its history."""
    view = get_bid(ctx, user, bid_id)
    bid = view.bid
    line = BidLine(bid, view.names, view.notice_title, view.deadline, view.next_stages)
    history = [
        BidEventOut(
            at=e.at,
            by=e.by,
            from_stage=e.from_stage,
            from_label=e.from_stage.label if e.from_stage else None,
            to_stage=e.to_stage,
            to_label=e.to_stage.label,
            note=e.note,
            reason=e.reason,
            reason_label=e.reason.label if e.reason else None,
        )
        for e in bid.history
    ]
    return BidOut(**_summary_fields(line), history=history)


# --------------------------------------------------------------------------- list


def _enums(kind: type[Any], values: list[str], name: str) -> list[Any]:
    out = []
    for raw in values:
        for value in raw.split(","):
            if not value.strip():
                continue
            try:
                out.append(kind(value.strip()))
            except ValueError:
                choices = ", ".join(v.value for v in kind)
                raise BadParameters(
                    {name: f"Paramètre {name} : « {value} » inconnu (valeurs : {choices})."}
                ) from None
    return list(dict.fromkeys(out))


def _day(name: str, value: str | None) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadParameters(
            {name: f"Paramètre {name} : « {value} » n'est pas une date (AAAA-MM-JJ)."}
        ) from None


def _flag(name: str, value: str | None) -> bool:
    folded = (value or "").strip().lower()
    if folded in ("", "false", "0", "non", "no"):
        return False
    if folded in ("true", "1", "oui", "yes"):
        return True
    raise BadParameters({name: f"Paramètre {name} : « {value} » n'est ni true ni false."})


def _size(value: str | None) -> int:
    text = (value or "").strip()
    if not text:
        return 50
    if not text.isdigit() or not 1 <= int(text) <= MAX_PER_PAGE:
        raise BadParameters(
            {"per_page": f"Paramètre per_page : « {value} » doit être entre 1 et {MAX_PER_PAGE}."}
        )
    return int(text)


@router.get(
    "/grouped-bids",
    response_model=BidList,
    summary="Lister les groupements de vos territoires",
    description="Les filtres se combinent (ET) ; `stage` et `kind` sont répétables. Le plus "
    "ancien d'abord ; paginé par `cursor` (la réponse donne `next_cursor`).",
    responses=problem_responses(400, 401, 403, 422),
)
def grouped_bids(
    ctx: Ctx,
    user: Viewer,
    key: CursorKey,
    stage: Annotated[list[str] | None, Query(description="Étape (spotted, interest…)")] = None,
    kind: Annotated[list[str] | None, Query(description="tender ou funding")] = None,
    actor_id: Annotated[str | None, Query(description="Une structure membre")] = None,
    territory: Annotated[str | None, Query(description="Territoire servi")] = None,
    notice_uid: Annotated[str | None, Query(description="L'avis du groupement")] = None,
    created_from: Annotated[str | None, Query(description="Créé ce jour ou après")] = None,
    created_to: Annotated[str | None, Query(description="Créé ce jour ou avant")] = None,
    open_only: Annotated[
        str | None, Query(description="true : seulement les groupements en cours")
    ] = None,
    per_page: Annotated[str | None, Query(description=f"Par page (1 à {MAX_PER_PAGE}, 50)")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` de la page précédente")] = None,
) -> BidList:
    only_open = _flag("open_only", open_only)
    size = _size(per_page)
    filters = BidFilters(
        stages=_enums(BidStage, stage or [], "stage"),
        kinds=_enums(BidKind, kind or [], "kind"),
        actor_ids=[actor_id.strip()] if actor_id and actor_id.strip() else [],
        territories=[territory.strip()] if territory and territory.strip() else None,
        notice_uids=[notice_uid.strip()] if notice_uid and notice_uid.strip() else [],
        created_from=_day("created_from", created_from),
        created_to=_day("created_to", created_to),
        open_only=only_open,
    )
    named = (
        ("actor_id", actor_id),
        ("territory", territory),
        ("notice_uid", notice_uid),
        ("created_from", str(filters.created_from or "")),
        ("created_to", str(filters.created_to or "")),
        ("open_only", "true" if only_open else ""),
    )
    canonical = urlencode(
        [("stage", s.value) for s in filters.stages]
        + [("kind", k.value) for k in filters.kinds]
        + [(n, v.strip()) for n, v in named if v and v.strip()]
    )
    offset = 0
    if cursor is not None:
        position = decode_cursor(key, KIND, fingerprint(KIND, canonical), cursor)
        found = position.get("o")
        if not isinstance(found, int) or found < 0:
            raise BadParameters({"cursor": "Paramètre cursor : curseur invalide ou altéré."})
        offset = found
    total = count_bids(ctx, user, filters)
    bids = list_bids(ctx, user, filters.model_copy(update={"limit": size, "offset": offset}))
    end = offset + len(bids)
    next_cursor = None
    if bids and end < total:
        next_cursor = encode_cursor(key, KIND, fingerprint(KIND, canonical), {"o": end})
    return BidList(
        items=[BidSummaryOut(**_summary_fields(line)) for line in bid_lines(ctx, user, bids)],
        total=total,
        next_cursor=next_cursor,
        query=canonical,
    )


# --------------------------------------------------------------------------- one bid


@router.get(
    "/grouped-bids/{bid_id}",
    response_model=BidOut,
    summary="Lire un groupement, avec son historique",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def grouped_bid(ctx: Ctx, user: Viewer, bid_id: int) -> BidOut:
    return bid_out(ctx, user, bid_id)


@router.post(
    "/grouped-bids",
    response_model=BidOut,
    status_code=201,
    summary="Créer un groupement sur un avis",
    description="À la main (`members`, `stage`…) pour tout avis, ou depuis l'équipe suggérée "
    "de l'avis (`from_suggestion: true`) : le mandataire suggéré, les autres en cotraitants, "
    "chacun avec ses lots ; à l'étape « intérêt » si un membre l'a déjà dit, sinon « repérée ».",
    responses={
        **problem_responses(400, 401, 403, 404, 422),
        201: {"description": "Créé", "headers": {"Location": {"schema": {"type": "string"}}}},
    },
)
def create_grouped_bid(ctx: Ctx, user: Editor, body: BidCreateIn, response: Response) -> BidOut:
    if body.from_suggestion:
        bid = bid_edits.create_from_suggestion(ctx, user, body.notice_uid)
    else:
        bid = bid_edits.create_bid(
            ctx,
            user,
            body.notice_uid,
            [BidMember(**m.model_dump()) for m in body.members],
            kind=body.kind,
            title=body.title,
            stage=body.stage,
            form=body.form,
            contact_name=body.contact_name,
            contact_email=body.contact_email,
            documents=body.documents,
            notes=body.notes,
            territory_id=body.territory_id,
        )
    assert bid.id is not None
    response.headers["Location"] = f"{PATH}/{bid.id}"
    return bid_out(ctx, user, bid.id)


@router.post(
    "/grouped-bids/{bid_id}/transitions",
    response_model=BidOut,
    summary="Changer l'étape d'un groupement",
    description="Les étapes permises depuis l'étape actuelle sont dans `next_stages`. « perdue » "
    "et « abandonnée » demandent `reason` (et `detail` pour `other`) ; « gagnée » demande "
    "`amount_won` et la part de chaque membre (`shares`, 100 % en tout).",
    responses={**problem_responses(400, 401, 403, 404, 422), **_CONFLICT},
)
def move_grouped_bid(
    ctx: Ctx, user: Editor, bid_id: int, body: TransitionIn
) -> BidOut | JSONResponse:
    try:
        bid_edits.move_bid(
            ctx,
            user,
            bid_id,
            body.to_stage,
            note=body.note,
            reason=body.reason,
            detail=body.detail,
            amount_won=body.amount_won,
            shares=body.shares,
            expected_stage=body.expected_stage,
        )
    except TransitionError as exc:
        return conflict(exc)
    return bid_out(ctx, user, bid_id)


@router.patch(
    "/grouped-bids/{bid_id}",
    response_model=BidOut,
    summary="Modifier l'équipe ou les détails d'un groupement",
    description="Seuls les champs envoyés changent (`null` efface) ; `members` est l'équipe "
    "entière. L'étape se change par `/transitions`.",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def patch_grouped_bid(ctx: Ctx, user: Editor, bid_id: int, body: BidPatchIn) -> BidOut:
    fields: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if "members" in fields and fields["members"] is not None:
        fields["members"] = [BidMember(**m.model_dump()) for m in body.members or []]
    bid_edits.update_bid(ctx, user, bid_id, BidUpdate(**fields))
    return bid_out(ctx, user, bid_id)


@router.post(
    "/grouped-bids/{bid_id}/proposal/confirm",
    response_model=BidOut,
    summary="Confirmer le résultat proposé d'après un avis d'attribution",
    description="Le groupement passe à « gagnée » (montant de l'avis sauf `amount_won`, et la "
    "part de chaque membre) ou « perdue » (avec `reason`), par les étapes intermédiaires si "
    "besoin. 422 quand rien n'est proposé ou qu'il manque une donnée.",
    responses={**problem_responses(400, 401, 403, 404, 422), **_CONFLICT},
)
def confirm_proposal(
    ctx: Ctx, user: Editor, bid_id: int, body: ConfirmIn | None = None
) -> BidOut | JSONResponse:
    body = body or ConfirmIn()
    try:
        bid_outcomes.confirm_proposal(
            ctx,
            user,
            bid_id,
            reason=body.reason,
            detail=body.detail,
            amount_won=body.amount_won,
            shares=body.shares,
            note=body.note,
        )
    except TransitionError as exc:
        return conflict(exc)
    return bid_out(ctx, user, bid_id)


@router.post(
    "/grouped-bids/{bid_id}/proposal/dismiss",
    response_model=BidOut,
    summary="Écarter le résultat proposé (cet avis d'attribution n'est pas ce groupement)",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def dismiss_proposal(ctx: Ctx, user: Editor, bid_id: int) -> BidOut:
    bid_outcomes.dismiss_proposal(ctx, user, bid_id)
    return bid_out(ctx, user, bid_id)
