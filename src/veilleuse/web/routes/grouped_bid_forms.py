"""`/groupements`: the forms that create and edit grouped bids.

- `POST /groupements/depuis-suggestion`: one click from the notice page's suggested team
  (`avis`), or from the board's « équipes possibles » (`avis` and the interested `actors`);
- `GET/POST /groupements/nouveau?avis=<uid>`: by hand, for any notice; for a funding call the
  bid is of kind `funding` and partners of a chosen actor are suggested (`structure=<id>`);
- `GET/POST /groupements/{id}/modifier`: members (add or remove an actor of the territory, its
  role and lots), form, contact, documents, notes.

Every POST needs `grouped_bids.edit` (403 otherwise); a refused form is shown again with what
was typed and the French message, status 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from veilleuse.app import actor_admin, bid_edits, bid_partners
from veilleuse.app.grouped_bids import get_bid
from veilleuse.app.notice_page import notice_detail
from veilleuse.core.accounts import Permission, User
from veilleuse.core.bids import BidForm, BidKind, BidMember, BidStage, BidUpdate, MemberRole
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.grouped_bids import INITIAL_STAGES
from veilleuse.core.models import Actor, NoticeKind
from veilleuse.web.deps import Ctx
from veilleuse.web.deps import require as page_require
from veilleuse.web.routes.grouped_bids import Posted, bid_path, text_of
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)

Editor = Annotated[User, Depends(page_require(Permission.GROUPED_BIDS_EDIT))]

MAX_MEMBERS = 12
NEW_ROWS = 4  # empty member rows on the creation form
_ROW = re.compile(r"^member-(\d{1,2})-actor$")


@dataclass
class MemberRow:
    actor_id: str = ""
    role: str = MemberRole.COTRAITANT.value
    lots: list[str] = field(default_factory=list)
    remove: bool = False


@dataclass
class BidFormValues:
    """The creation or edit form as typed (strings), shown again when refused."""

    title: str = ""
    kind: str = ""
    stage: str = BidStage.SPOTTED.value
    form: str = ""
    contact_name: str = ""
    contact_email: str = ""
    documents: str = ""
    notes: str = ""
    members: list[MemberRow] = field(default_factory=list)

    def team(self) -> list[BidMember]:
        """The members kept (a row with an actor, not ticked for removal), in order."""
        team: list[BidMember] = []
        for row in self.members:
            if not row.actor_id or row.remove:
                continue
            try:
                role = MemberRole(row.role)
            except ValueError:
                raise ValidationError(f"rôle inconnu : {row.role!r}") from None
            if any(m.actor_id == row.actor_id for m in team):
                raise ValidationError(f"structure présente deux fois : {row.actor_id}")
            team.append(BidMember(actor_id=row.actor_id, role=role, lots=row.lots))
        team.sort(key=lambda m: m.role is not MemberRole.LEAD)  # the lead first
        return team

    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]


def posted_values(data: FormData) -> BidFormValues:
    rows: dict[int, MemberRow] = {}
    for key in data:
        found = _ROW.match(key)
        if not found or int(found[1]) >= MAX_MEMBERS + NEW_ROWS:
            continue
        i = int(found[1])
        rows[i] = MemberRow(
            actor_id=text_of(data, f"member-{i}-actor", 64),
            role=text_of(data, f"member-{i}-role", 32) or MemberRole.COTRAITANT.value,
            lots=[v[:64] for v in data.getlist(f"member-{i}-lots") if isinstance(v, str) and v],
            remove=data.get(f"member-{i}-remove") == "1",
        )
    added = [v for v in data.getlist("partners") if isinstance(v, str) and v][:MAX_MEMBERS]
    members = [rows[i] for i in sorted(rows)]
    members += [MemberRow(actor_id=a[:64]) for a in added]
    return BidFormValues(
        title=text_of(data, "title", 500),
        kind=text_of(data, "kind", 32),
        stage=text_of(data, "stage", 32) or BidStage.SPOTTED.value,
        form=text_of(data, "form", 32),
        contact_name=text_of(data, "contact_name", 200),
        contact_email=text_of(data, "contact_email", 320),
        documents=text_of(data, "documents", 5000),
        notes=text_of(data, "notes", 6000),
        members=members,
    )


def _sentence(exc: Exception) -> str:
    message = str(exc)
    return message[:1].upper() + message[1:]


def _actor_choices(ctx: Ctx, user: User, first: list[str]) -> list[Actor]:
    """The actors of the user's territories, those in `first` (matched, members) first."""
    actors = [line.actor for line in actor_admin.list_actors(ctx, user)]
    rank = {a: i for i, a in enumerate(first)}
    return sorted(actors, key=lambda a: (rank.get(a.id, len(rank)), a.name.lower()))


# --------------------------------------------------------------------------- from a suggestion


@router.post("/groupements/depuis-suggestion")
def from_suggestion(request: Request, ctx: Ctx, user: Editor, data: Posted) -> Response:
    uid = text_of(data, "avis", 300)
    actors = [v[:64] for v in data.getlist("actors") if isinstance(v, str) and v.strip()]
    try:
        if actors:
            bid = bid_edits.create_from_interests(ctx, user, uid, actors)
        else:
            bid = bid_edits.create_from_suggestion(ctx, user, uid)
    except ValidationError as exc:
        flash(request, f"Groupement non créé : {exc}.", "error")
        back = "/groupements#equipes" if actors else f"/avis/{uid}#groupement"
        return RedirectResponse(back, status_code=303)
    flash(request, f"Groupement créé à l'étape « {bid.stage.label} ».", "success")
    assert bid.id is not None
    return RedirectResponse(bid_path(bid.id), status_code=303)


# --------------------------------------------------------------------------- by hand


def _new_page(
    request: Request,
    ctx: Ctx,
    user: User,
    uid: str,
    values: BidFormValues | None = None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    detail = None
    partners: list[bid_partners.PartnerLine] = []
    structure = request.query_params.get("structure", "").strip()[:64]
    if uid:
        detail = notice_detail(ctx, uid, user)
        notice = detail.notice
        matched = [m.actor.id for m in detail.matches or []]
        funding = notice.kind is NoticeKind.FUNDING_CALL
        if values is None:
            values = BidFormValues(
                title=notice.title, kind=(BidKind.FUNDING if funding else BidKind.TENDER).value
            )
            if structure:
                values.members.append(MemberRow(structure, MemberRole.LEAD.value))
            values.members += [MemberRow() for _ in range(NEW_ROWS - len(values.members))]
        if structure:
            try:
                partners = bid_partners.partner_suggestions(ctx, user, notice.uid, structure)
            except NotFoundError:
                partners = []
    else:
        matched = []
    values = values or BidFormValues(members=[MemberRow() for _ in range(NEW_ROWS)])
    return render(
        request,
        "grouped_bids/new.html",
        status,
        uid=uid,
        detail=detail,
        values=values,
        error=error,
        actors=_actor_choices(ctx, user, matched),
        matched=set(matched),
        structure=structure,
        partners=partners,
        kinds=list(BidKind),
        stages=[s for s in BidStage if s in INITIAL_STAGES],
        forms=list(BidForm),
        roles=list(MemberRole),
        lot_titles={
            lot.lot.id: f"{lot.lot.id} « {lot.lot.title} »" if lot.lot.title else lot.lot.id
            for lot in (detail.lots if detail else [])
        },
    )


@router.get("/groupements/nouveau")
def new_form(request: Request, ctx: Ctx, user: Editor, avis: str = "") -> Response:
    return _new_page(request, ctx, user, avis.strip()[:300])


@router.post("/groupements/nouveau")
def create(request: Request, ctx: Ctx, user: Editor, data: Posted) -> Response:
    uid = text_of(data, "avis", 300)
    values = posted_values(data)
    if not uid:
        return _new_page(request, ctx, user, "", values, 422, "Indiquez l'avis du groupement.")
    try:
        bid = bid_edits.create_bid(
            ctx,
            user,
            uid,
            values.team(),
            kind=values.kind or None,
            title=values.title or None,
            stage=values.stage,
            form=values.form or None,
            contact_name=values.contact_name or None,
            contact_email=values.contact_email or None,
            documents=values.document_list(),
            notes=values.notes or None,
        )
    except ValidationError as exc:
        return _new_page(request, ctx, user, uid, values, 422, _sentence(exc))
    flash(request, "Groupement créé.", "success")
    assert bid.id is not None
    return RedirectResponse(bid_path(bid.id), status_code=303)


# --------------------------------------------------------------------------- edit


def _values_of(view: Any) -> BidFormValues:
    bid = view.bid
    return BidFormValues(
        title=bid.title,
        kind=bid.kind.value,
        stage=bid.stage.value,
        form=bid.form.value if bid.form else "",
        contact_name=bid.contact_name or "",
        contact_email=bid.contact_email or "",
        documents="\n".join(bid.documents),
        notes=bid.notes or "",
        members=[MemberRow(m.actor_id, m.role.value, list(m.lots)) for m in bid.members],
    )


def _edit_page(
    request: Request,
    ctx: Ctx,
    user: User,
    bid_id: int,
    values: BidFormValues | None = None,
    status: int = 200,
    error: str | None = None,
) -> Response:
    view = get_bid(ctx, user, bid_id)
    values = values or _values_of(view)
    rows = [row for row in values.members if row.actor_id]
    rows.append(MemberRow())  # one empty row to add a member
    values.members = rows
    return render(
        request,
        "grouped_bids/edit.html",
        status,
        view=view,
        bid=view.bid,
        values=values,
        error=error,
        actors=_actor_choices(ctx, user, view.bid.member_ids()),
        forms=list(BidForm),
        roles=list(MemberRole),
        lot_titles=view.lot_titles,
        names=view.names,
    )


@router.get("/groupements/{bid_id:int}/modifier")
def edit_form(request: Request, ctx: Ctx, user: Editor, bid_id: int) -> Response:
    return _edit_page(request, ctx, user, bid_id)


@router.post("/groupements/{bid_id:int}/modifier")
def edit(request: Request, ctx: Ctx, user: Editor, bid_id: int, data: Posted) -> Response:
    values = posted_values(data)
    try:
        form = BidForm(values.form) if values.form else None
    except ValueError:
        return _edit_page(request, ctx, user, bid_id, values, 422, "Forme inconnue.")
    try:
        fields: dict[str, Any] = {
            "members": values.team(),
            "form": form,
            "contact_name": values.contact_name or None,
            "contact_email": values.contact_email or None,
            "documents": values.document_list(),
            "notes": values.notes or None,
        }
        if "title" in data:  # a title emptied on purpose is refused; one not sent is kept
            fields["title"] = values.title
        changes = BidUpdate(**fields)
        bid_edits.update_bid(ctx, user, bid_id, changes)
    except ValidationError as exc:
        return _edit_page(request, ctx, user, bid_id, values, 422, _sentence(exc))
    except NotFoundError as exc:  # an actor the user may not see
        return _edit_page(request, ctx, user, bid_id, values, 422, _sentence(exc))
    flash(request, "Groupement enregistré.", "success")
    return RedirectResponse(bid_path(bid_id), status_code=303)
