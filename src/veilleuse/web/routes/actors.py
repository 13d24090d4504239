"""`/acteurs`: the actors of the user's territories — list and export, profile, edit form with
CPV search, import from CSV/XLSX in two steps (preview, then confirmation).

An actor of another territory answers 404, never 403. Fixed paths are declared before
`/acteurs/{actor_id}` so they are never read as an actor id.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from veilleuse.app import actor_admin, actor_edit, actor_import
from veilleuse.app.actor_admin import FAMILY_LABELS, ActorFilters
from veilleuse.app.actor_edit import FREQUENCIES, ActorForm, ContactForm
from veilleuse.app.cpv_search import cpv_labels_of, search_cpv
from veilleuse.app.exports import ExportFormat, export_actors
from veilleuse.app.notices import LABELS
from veilleuse.core.accounts import Permission, User
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import EssFamily
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Structures", "/acteurs", Permission.ACTORS_VIEW, order=30)]

Viewer = Annotated[User, Depends(require(Permission.ACTORS_VIEW))]
Editor = Annotated[User, Depends(require(Permission.ACTORS_EDIT))]
Importer = Annotated[User, Depends(require(Permission.ACTORS_IMPORT))]
Exporter = Annotated[User, Depends(require(Permission.ACTORS_EXPORT))]

STATES = {"": "toutes", "actives": "actives", "inactives": "inactives"}


async def form_data(request: Request) -> FormData:
    """The posted form (already read and cached by the CSRF check)."""
    return await request.form()


Posted = Annotated[FormData, Depends(form_data)]


# --------------------------------------------------------------------------- list and export


def _filters(request: Request) -> tuple[ActorFilters, dict[str, str]]:
    """The list filters from the query string, and their values as typed (for the form)."""
    values = {
        k: request.query_params.get(k, "").strip()
        for k in ("q", "famille", "territoire", "cpv", "etat")
    }
    family = values["famille"] if values["famille"] in set(EssFamily) else ""
    state = values["etat"] if values["etat"] in STATES else ""
    values.update(famille=family, etat=state)
    filters = ActorFilters(
        family=EssFamily(family) if family else None,
        territory=values["territoire"] or None,
        cpv=values["cpv"] or None,
        active={"actives": True, "inactives": False}.get(state),
        text=values["q"] or None,
    )
    return filters, values


@router.get("/acteurs")
def actors_page(request: Request, ctx: Ctx, user: Viewer) -> Response:
    filters, values = _filters(request)
    return render(
        request,
        "actors/list.html",
        lines=actor_admin.list_actors(ctx, user, filters),
        values=values,
        families=FAMILY_LABELS,
        states=STATES,
        territories=actor_admin.territories_for(ctx, user),
        query=request.url.query,
    )


def _export(request: Request, ctx: Ctx, user: User, fmt: ExportFormat) -> Response:
    filters, _ = _filters(request)
    actors = [line.actor for line in actor_admin.list_actors(ctx, user, filters)]
    export = export_actors(ctx, actors, fmt)
    return Response(
        export.content,
        media_type=export.media_type,
        headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
    )


@router.get("/acteurs/export.csv")
def export_csv(request: Request, ctx: Ctx, user: Exporter) -> Response:
    return _export(request, ctx, user, ExportFormat.CSV)


@router.get("/acteurs/export.xlsx")
def export_xlsx(request: Request, ctx: Ctx, user: Exporter) -> Response:
    return _export(request, ctx, user, ExportFormat.XLSX)


@router.get("/acteurs/cpv")
def cpv_search(user: Editor, q: str = "") -> Response:
    """CPV codes for the editor's search box: [{"code", "label"}], at most 20."""
    found = search_cpv(q[:100])
    return JSONResponse([{"code": code, "label": label} for code, label in found])


# --------------------------------------------------------------------------- import


def _import_page(
    request: Request, ctx: Ctx, user: User, status: int = 200, error: str | None = None
) -> Response:
    return render(
        request,
        "actors/import.html",
        status,
        territories=actor_admin.territories_for(ctx, user),
        columns=actor_import.COLUMNS,
        error=error,
    )


@router.get("/acteurs/importer")
def import_form(request: Request, ctx: Ctx, user: Importer) -> Response:
    return _import_page(request, ctx, user)


@router.post("/acteurs/importer")
def import_preview(
    request: Request,
    ctx: Ctx,
    user: Importer,
    fichier: UploadFile,
    territoire: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    content = fichier.file.read(actor_import.MAX_BYTES + 1)
    name = fichier.filename or "fichier"
    try:
        token, preview = actor_import.stage_import(ctx, name, content, territoire, user)
    except ValidationError as exc:
        return _import_page(request, ctx, user, 422, str(exc))
    territory = next(t for t in actor_admin.territories_for(ctx, user) if t.id == territoire)
    return render(request, "actors/preview.html", preview=preview, token=token, territory=territory)


@router.post("/acteurs/importer/confirmer")
def import_confirm(
    request: Request,
    ctx: Ctx,
    user: Importer,
    token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    outcome = actor_import.confirm_import(ctx, token, user)
    parts = [f"{outcome.created} structure(s) créée(s)", f"{outcome.updated} mise(s) à jour"]
    if outcome.refused:
        lines = ", ".join(str(row.line) for row in outcome.refused)
        parts.append(f"{len(outcome.refused)} ligne(s) écartée(s) (lignes {lines})")
    flash(request, "Import terminé : " + ", ".join(parts) + ".", "success")
    if outcome.suggested:
        flash(
            request,
            f"Codes CPV suggérés pour {len(outcome.suggested)} structure(s) sans code : "
            "à confirmer sur leur fiche.",
            "info",
        )
    return RedirectResponse("/acteurs", status_code=303)


# --------------------------------------------------------------------------- one actor


@router.get("/acteurs/{actor_id}")
def actor_page(request: Request, ctx: Ctx, user: Viewer, actor_id: str) -> Response:
    profile = actor_admin.actor_profile(ctx, actor_id, user)
    return render(
        request,
        "actors/detail.html",
        profile=profile,
        actor=profile.actor,
        families=FAMILY_LABELS,
        kinds=LABELS.kinds,
        frequencies=FREQUENCIES,
    )


def _edit_page(
    request: Request,
    actor_id: str,
    form: ActorForm,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    search: str = "",
    found: list[tuple[str, str]] | None = None,
) -> Response:
    contacts = [*form.contacts, ContactForm()]  # one empty row to add a contact
    return render(
        request,
        "actors/edit.html",
        status,
        actor_id=actor_id,
        form=form,
        contacts=contacts,
        errors=errors or {},
        families=FAMILY_LABELS,
        kinds=LABELS.kinds,
        frequencies=FREQUENCIES,
        search=search,
        found=found,
        cpv_labels=dict(cpv_labels_of(form.cpv)),
    )


@router.get("/acteurs/{actor_id}/modifier")
def edit_form(request: Request, ctx: Ctx, user: Editor, actor_id: str) -> Response:
    return _edit_page(request, actor_id, actor_edit.actor_form(ctx, actor_id, user))


_CONTACT = re.compile(r"^contact-(\d{1,2})-(name|email|phone)$")


def _posted_form(data: FormData) -> ActorForm:
    def text(name: str, size: int = 2000) -> str:
        value = data.get(name)
        return value[:size] if isinstance(value, str) else ""

    contacts: dict[int, ContactForm] = {}
    for key, value in data.multi_items():
        found = _CONTACT.match(key)
        if found and isinstance(value, str):
            setattr(contacts.setdefault(int(found[1]), ContactForm()), found[2], value[:320])
    added = [v for v in data.getlist("cpv_add") if isinstance(v, str)]
    return ActorForm(
        name=text("name", 300),
        family=text("family", 32),
        siret=text("siret", 40),
        legal_form=text("legal_form", 200),
        description=text("description", 10000),
        cpv=" ".join([text("cpv"), *added]).strip(),
        departments=text("departments", 300),
        commune=text("commune", 200),
        radius_km=text("radius_km", 20),
        staff=text("staff", 20),
        turnover=text("turnover", 40),
        contacts=[contacts[i] for i in sorted(contacts)],
        digest_enabled=data.get("digest_enabled") == "1",
        digest_frequency=text("digest_frequency", 16),
        digest_max_items=text("digest_max_items", 10),
        digest_kinds=[v for v in data.getlist("digest_kinds") if isinstance(v, str)],
        active=data.get("active") == "1",
    )


@router.post("/acteurs/{actor_id}/modifier")
def edit(request: Request, ctx: Ctx, user: Editor, actor_id: str, data: Posted) -> Response:
    form = _posted_form(data)
    if data.get("action") == "cpv":  # the search button, without JavaScript: nothing saved
        actor_edit.actor_form(ctx, actor_id, user)  # the actor must exist for this user
        search = str(data.get("cpv_search") or "")[:100]
        return _edit_page(request, actor_id, form, search=search, found=search_cpv(search))
    result = actor_edit.update_actor(ctx, actor_id, form, user)
    if result.actor is None:
        return _edit_page(request, actor_id, form, 422, result.errors)
    flash(request, f"Fiche enregistrée : {result.actor.name}.", "success")
    return RedirectResponse(f"/acteurs/{actor_id}", status_code=303)
