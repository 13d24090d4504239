"""`/diffusion`: the network's digest — the officer picks notices (those pushed lately to the
territory's actors, or any by identifier), writes a short editorial, chooses the audience (a
territory, optionally ESS families and CPV divisions), previews who gets what, then sends
(`app.network_digest`). `/diffusion/{id}` shows a sending and resumes it when it was cut short.
`/diffusion/adresses` lists the addresses a mail server refused for good (skipped by every
mailing) and lets the officer restore one (`app.delivery`).

Permission `notice.push`; every form carries the CSRF token; the preview changes nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from veilleuse.app.delivery import clear_undeliverable, undeliverable_for
from veilleuse.app.network_digest import (
    MAX_NOTICES,
    SKIPPED_LABELS,
    NetworkDigestForm,
    candidates,
    get_network_digest,
    list_network_digests,
    preview_network_digest,
    resume_network_digest,
    send_network_digest,
)
from veilleuse.app.territories import list_territories
from veilleuse.core.accounts import Permission, User, visible_territories
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import EssFamily
from veilleuse.digests.curated import MAX_EDITORIAL
from veilleuse.records import curated as curated_records
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, flash, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Diffusion", "/diffusion", Permission.NOTICE_PUSH, order=65)]

Officer = Annotated[User, Depends(require(Permission.NOTICE_PUSH))]

#: the ESS families as the form shows them
FAMILY_LABELS = {
    EssFamily.ASSOCIATION: "association",
    EssFamily.SCOP: "SCOP",
    EssFamily.SCIC: "SCIC",
    EssFamily.COOPERATIVE: "coopérative",
    EssFamily.MUTUAL: "mutuelle",
    EssFamily.FOUNDATION: "fondation",
    EssFamily.ESUS: "entreprise ESUS",
    EssFamily.SIAE_EI: "SIAE — entreprise d'insertion",
    EssFamily.SIAE_ACI: "SIAE — atelier et chantier d'insertion",
    EssFamily.SIAE_AI: "SIAE — association intermédiaire",
    EssFamily.SIAE_ETTI: "SIAE — entreprise de travail temporaire d'insertion",
    EssFamily.GEIQ: "GEIQ",
    EssFamily.ESAT: "ESAT",
    EssFamily.EA: "entreprise adaptée",
}


def _territories(ctx: Ctx, user: User) -> list[tuple[str, str]]:
    allowed = visible_territories(user)
    return [(t.id, t.name) for t in list_territories(ctx) if allowed is None or t.id in allowed]


def _form(
    territory: str, notices: list[str], other: str, editorial: str, families: list[str], cpv: str
) -> NetworkDigestForm:
    typed = [u for u in other.replace(",", " ").split() if u]
    return NetworkDigestForm(
        territory_id=territory,
        notice_uids=[*notices, *typed],
        editorial=editorial,
        families=families,
        cpv_divisions=[d for d in cpv.replace(",", " ").split() if d],
    )


def _form_page(
    request: Request, ctx: Ctx, user: User, form: NetworkDigestForm | None, error: str | None
) -> Response:
    territories = _territories(ctx, user)
    chosen = form.territory_id if form else (territories[0][0] if territories else "")
    picks = candidates(ctx, user, chosen) if chosen else []
    return render(
        request,
        "network_digest/form.html",
        status_code=400 if error else 200,
        territories=territories,
        chosen=chosen,
        candidates=picks,
        form=form,
        error=error,
        families=FAMILY_LABELS,
        history=list_network_digests(ctx, user),
        refused=len(undeliverable_for(ctx, user)),
        max_notices=MAX_NOTICES,
        max_editorial=MAX_EDITORIAL,
    )


@router.get("/diffusion")
def network_digest_page(
    request: Request, ctx: Ctx, user: Officer, territoire: str = ""
) -> Response:
    form = NetworkDigestForm(territoire, [], "") if territoire else None
    return _form_page(request, ctx, user, form, None)


Notices = Annotated[list[str], Form()]
Families = Annotated[list[str], Form()]


@router.post("/diffusion/apercu")
def preview(
    request: Request,
    ctx: Ctx,
    user: Officer,
    territoire: Annotated[str, Form()] = "",
    avis: Notices = [],  # noqa: B006 (FastAPI copies defaults)
    autres: Annotated[str, Form()] = "",
    editorial: Annotated[str, Form(max_length=MAX_EDITORIAL * 2)] = "",
    familles: Families = [],  # noqa: B006
    cpv: Annotated[str, Form()] = "",
) -> Response:
    form = _form(territoire, avis, autres, editorial, familles, cpv)
    try:
        view = preview_network_digest(ctx, user, form)
    except ValidationError as exc:
        return _form_page(request, ctx, user, form, str(exc))
    return render(
        request,
        "network_digest/preview.html",
        view=view,
        skipped=SKIPPED_LABELS,
        families=FAMILY_LABELS,
    )


@router.post("/diffusion/envoyer")
def send(
    request: Request,
    ctx: Ctx,
    user: Officer,
    territoire: Annotated[str, Form()] = "",
    avis: Notices = [],  # noqa: B006
    editorial: Annotated[str, Form(max_length=MAX_EDITORIAL * 2)] = "",
    familles: Families = [],  # noqa: B006
    cpv: Annotated[str, Form()] = "",
) -> Response:
    form = _form(territoire, avis, "", editorial, familles, cpv)
    try:
        report = send_network_digest(ctx, user, form)
    except ValidationError as exc:
        return _form_page(request, ctx, user, form, str(exc))
    _flash_report(request, report.sent, report.failed)
    return RedirectResponse(f"/diffusion/{report.curated_id}", status_code=303)


def _flash_report(request: Request, sent: list[str], failed: list[tuple[str, str]]) -> None:
    flash(
        request,
        f"{len(sent)} structure{'s' if len(sent) > 1 else ''} servie{'s' if len(sent) > 1 else ''}.",
        "success",
    )
    if failed:
        flash(
            request,
            f"{len(failed)} envoi{'s' if len(failed) > 1 else ''} en échec : ils seront "
            "renvoyés tels quels (bouton « Reprendre l'envoi » ou prochaine tournée).",
            "warning",
        )


@router.get("/diffusion/{curated_id:int}")
def report_page(request: Request, ctx: Ctx, user: Officer, curated_id: int) -> Response:
    curated = get_network_digest(ctx, user, curated_id)
    copies = curated_records.copies(ctx.records, curated)
    return render(
        request,
        "network_digest/report.html",
        curated=curated,
        copies=copies,
        families=FAMILY_LABELS,
    )


@router.post("/diffusion/{curated_id:int}/reprendre")
def resume(request: Request, ctx: Ctx, user: Officer, curated_id: int) -> Response:
    report = resume_network_digest(ctx, user, curated_id)
    _flash_report(request, [*report.sent, *report.resent], report.failed)
    return RedirectResponse(f"/diffusion/{curated_id}", status_code=303)


# --------------------------------------------------------------------------- refused addresses


@router.get("/diffusion/adresses")
def addresses_page(request: Request, ctx: Ctx, user: Officer) -> Response:
    return render(request, "network_digest/addresses.html", lines=undeliverable_for(ctx, user))


@router.post("/diffusion/adresses/retablir")
def clear(
    request: Request, ctx: Ctx, user: Officer, adresse: Annotated[str, Form()] = ""
) -> Response:
    count = clear_undeliverable(ctx, user, adresse)
    flash(
        request,
        f"{adresse} est rétablie : elle recevra de nouveau les envois"
        + (f", et {count} courriel{'s' if count > 1 else ''} refusé{'s' if count > 1 else ''} "
           "y seront renvoyés à la prochaine tournée." if count else "."),
        "success",
    )  # fmt: skip
    return RedirectResponse("/diffusion/adresses", status_code=303)
