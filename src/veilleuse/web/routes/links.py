"""The pages behind the signed links of the digest (`app.digest_links`): no login, the token of
the e-mail is the credential, for one actor and one action.

- `GET /lien/{token}` opens the page of the token's action: « ça nous intéresse » records the
  interest at once (twice counts once) and confirms it; « pas pour nous » asks the reason;
  « chercher des partenaires » shows the grouped bid of the notice, or who could join, with a
  button; « mes préférences » is the preferences form; « me désabonner » asks a confirmation
  (a mail scanner opening the link stops nothing); « me réabonner » restarts the digest.
- `POST /lien/{token}` is the RFC 8058 one-click unsubscribe (body `List-Unsubscribe=One-Click`,
  sent by the mail client without a session, so exempt from CSRF: `web.deps.TOKEN_PATHS`) and
  the confirmation button of the unsubscribe page. Any other action's token is refused.
- The other forms post under `/veille/…` with the session's CSRF token, which the GET page gave.

A tampered, expired or misused link (another action's token) gets a French page (400, 410 for
an expired one) and changes nothing; so does a link whose actor or notice is gone (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from veilleuse.app import link_actions, link_preferences
from veilleuse.app.cpv_search import search_cpv
from veilleuse.app.digest_links import link_path, open_link
from veilleuse.app.link_preferences import PreferencesForm, PreferencesPage
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.signed_links import LinkAction, LinkError, WrongActionLinkError
from veilleuse.web.deps import Ctx
from veilleuse.web.templating import flash, render

router = APIRouter(include_in_schema=False)

T = TypeVar("T")
ONE_CLICK = "One-Click"
#: robots and mail scanners: these pages are personal
NO_INDEX = {"X-Robots-Tag": "noindex, nofollow"}


TITLES = {
    400: "Lien inutilisable",
    404: "Lien sans objet",
    409: "Action impossible",
    410: "Lien expiré",
}


def refused(request: Request, status: int, message: str, title: str | None = None) -> Response:
    """The French page of a link that cannot be used (nothing was changed)."""
    heading = title or TITLES.get(status, "Lien inutilisable")
    response = render(
        request, "links/refused.html", status, message=message, status=status, title=heading
    )
    response.headers.update(NO_INDEX)
    return response


def page(request: Request, template: str, status: int = 200, **values: object) -> Response:
    response = render(request, template, status, **values)
    response.headers.update(NO_INDEX)
    return response


def attempt(request: Request, call: Callable[[], T]) -> T | Response:
    """`call()`, or the French page of the link error (or missing actor or notice) it raised."""
    try:
        return call()
    except LinkError as exc:
        return refused(request, exc.status, str(exc))
    except link_actions.ClosedNoticeError as exc:
        return refused(request, 410, str(exc), "Avis clos")
    except NotFoundError as exc:
        return refused(request, 404, str(exc))


# --------------------------------------------------------------------------- one link, one page


@router.get("/lien/{token}")
def follow(request: Request, ctx: Ctx, token: str) -> Response:
    target = attempt(request, lambda: open_link(ctx, token))
    if isinstance(target, Response):
        return target
    shows: dict[LinkAction, Callable[[Request, Ctx, str], Response]] = {
        LinkAction.INTERESTED: _interested,
        LinkAction.NOT_FOR_US: _not_for_us,
        LinkAction.PARTNERS: _partners,
        LinkAction.PREFERENCES: _preferences,
        LinkAction.UNSUBSCRIBE: _unsubscribe,
        LinkAction.RESUBSCRIBE: _resubscribe,
    }
    show = shows.get(target.action)
    if show is None:  # an action whose page lives elsewhere (e.g. an introduction)
        return refused(request, 400, str(WrongActionLinkError(target.action)))
    return show(request, ctx, token)


def _interested(request: Request, ctx: Ctx, token: str) -> Response:
    outcome = attempt(request, lambda: link_actions.follow_interest(ctx, token))
    if isinstance(outcome, Response):
        return outcome
    return page(request, "links/interest.html", outcome=outcome, notice=outcome.target.notice)


def _not_for_us(request: Request, ctx: Ctx, token: str, **values: object) -> Response:
    state = attempt(request, lambda: link_actions.not_for_us_state(ctx, token))
    if isinstance(state, Response):
        return state
    status = 400 if values.get("error") else 200
    defaults: dict[str, object] = {"error": None, "reason": "", "detail": ""}
    return page(
        request,
        "links/not_for_us.html",
        status,
        state=state,
        notice=state.target.notice,
        deadline=effective_deadline(state.target.notice) if state.target.notice else None,
        token=token,
        reasons=link_actions.REASONS,
        max_detail=link_actions.MAX_DETAIL,
        **{**defaults, **values},
    )


def _partners(request: Request, ctx: Ctx, token: str) -> Response:
    state = attempt(request, lambda: link_actions.partners_state(ctx, token))
    if isinstance(state, Response):
        return state
    notice = state.target.notice
    assert notice is not None
    return page(
        request,
        "links/partners.html",
        state=state,
        notice=notice,
        deadline=effective_deadline(notice),
        token=token,
        officer=ctx.settings.mail.reply_to,
    )


def _preferences_page(request: Request, view: PreferencesPage, status: int = 200) -> Response:
    return page(
        request,
        "links/preferences.html",
        status,
        view=view,
        form=view.form,
        errors=view.errors,
        token=view.target.token,
        found=None,
        search="",
    )


def _preferences(request: Request, ctx: Ctx, token: str) -> Response:
    view = attempt(request, lambda: link_preferences.preferences_page(ctx, token))
    return view if isinstance(view, Response) else _preferences_page(request, view)


def _unsubscribe(request: Request, ctx: Ctx, token: str) -> Response:
    state = attempt(request, lambda: link_actions.subscription_state(ctx, token))
    if isinstance(state, Response):
        return state
    return page(request, "links/subscription.html", state=state, token=token, confirm=True)


def _resubscribe(request: Request, ctx: Ctx, token: str) -> Response:
    state = attempt(request, lambda: link_actions.resubscribe(ctx, token))
    if isinstance(state, Response):
        return state
    return page(request, "links/subscription.html", state=state, token=token, confirm=False)


@router.post("/lien/{token}")
def one_click(
    request: Request,
    ctx: Ctx,
    token: str,
    list_unsubscribe: Annotated[str, Form(alias="List-Unsubscribe", max_length=40)] = "",
) -> Response:
    """RFC 8058: `List-Unsubscribe=One-Click` posted to the unsubscribe link pauses the digest
    (200, no session needed); the unsubscribe page's button posts the same."""
    target = attempt(request, lambda: open_link(ctx, token))
    if isinstance(target, Response):
        return target
    if target.action is not LinkAction.UNSUBSCRIBE:
        return refused(request, 400, str(WrongActionLinkError(target.action)))
    if list_unsubscribe != ONE_CLICK:
        return refused(request, 400, "Demande de désabonnement incomplète : rien n'a été changé.")
    state = attempt(request, lambda: link_actions.unsubscribe(ctx, token))
    if isinstance(state, Response):
        return state
    return page(request, "links/subscription.html", state=state, token=token, confirm=False)


# --------------------------------------------------------------------------- forms (CSRF)


@router.post("/veille/raison/{token}")
def not_for_us(
    request: Request,
    ctx: Ctx,
    token: str,
    reason: Annotated[str, Form(max_length=40)] = "",
    detail: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        outcome = attempt(
            request, lambda: link_actions.record_not_for_us(ctx, token, reason, detail)
        )
    except ValidationError as exc:
        return _not_for_us(request, ctx, token, error=str(exc), reason=reason, detail=detail)
    if isinstance(outcome, Response):
        return outcome
    if outcome.created:
        flash(request, "C'est noté : cet avis ne vous sera plus proposé.", "success")
    return RedirectResponse(link_path(token), status_code=303)


@router.post("/veille/partenaires/{token}")
def seek_partners(request: Request, ctx: Ctx, token: str) -> Response:
    try:
        state = attempt(request, lambda: link_actions.seek_partners(ctx, token))
    except ValidationError as exc:
        return refused(request, 409, str(exc))
    if isinstance(state, Response):
        return state
    if state.created:
        flash(
            request,
            "Le groupement est ouvert : votre chargé·e de veille en est prévenu·e.",
            "success",
        )
    elif state.joined:
        flash(request, "Vous avez rejoint le groupement en préparation.", "success")
    return RedirectResponse(link_path(token), status_code=303)


def _posted(
    frequency: str, kinds: list[str] | None, departments: str, radius_km: str, cpv: str,
    cpv_add: list[str] | None, min_amount: str, max_items: str, addresses: str,
) -> PreferencesForm:  # fmt: skip
    return PreferencesForm(
        frequency=frequency,
        kinds=kinds or [],
        departments=departments,
        radius_km=radius_km,
        cpv=" ".join([cpv, *(cpv_add or [])]).strip(),
        min_amount=min_amount,
        max_items=max_items,
        addresses=addresses,
    )


@router.post("/veille/preferences/{token}")
def save_preferences(
    request: Request,
    ctx: Ctx,
    token: str,
    frequency: Annotated[str, Form(max_length=20)] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    departments: Annotated[str, Form(max_length=300)] = "",
    radius_km: Annotated[str, Form(max_length=20)] = "",
    cpv: Annotated[str, Form(max_length=2000)] = "",
    cpv_add: Annotated[list[str] | None, Form()] = None,
    cpv_search: Annotated[str, Form(max_length=100)] = "",
    min_amount: Annotated[str, Form(max_length=40)] = "",
    max_items: Annotated[str, Form(max_length=10)] = "",
    addresses: Annotated[str, Form(max_length=2000)] = "",
    introductions: Annotated[str | None, Form(max_length=5)] = None,
    action: Annotated[str, Form(max_length=20)] = "save",
) -> Response:
    form = _posted(
        frequency, kinds, departments, radius_km, cpv, cpv_add, min_amount, max_items, addresses
    )
    form.introductions = introductions is not None
    if action == "cpv":  # the search button, without JavaScript: nothing saved
        view = attempt(request, lambda: link_preferences.same_page(ctx, token, form))
        if isinstance(view, Response):
            return view
        return page(
            request, "links/preferences.html", view=view, form=form, errors={},
            token=token, found=search_cpv(cpv_search), search=cpv_search,
        )  # fmt: skip
    saved = attempt(request, lambda: link_preferences.save_preferences(ctx, token, form))
    if isinstance(saved, Response):
        return saved
    if saved.errors:
        return _preferences_page(request, saved, 400)
    flash(request, "Vos préférences sont enregistrées.", "success")
    return RedirectResponse(link_path(token), status_code=303)


@router.get("/veille/cpv/{token}")
def cpv_search_json(request: Request, ctx: Ctx, token: str, q: str = "") -> Response:
    """CPV codes for the preferences page's search box: [{"code", "label"}], at most 20."""
    checked = attempt(request, lambda: link_preferences.check_token(ctx, token))
    if isinstance(checked, Response):
        return JSONResponse([], status_code=checked.status_code)
    found = search_cpv(q[:100])
    return JSONResponse([{"code": code, "label": label} for code, label in found])
