"""Pages: one Jinja2 environment (autoescaped), `render`, flash messages and the navigation.

A route module adds its pages to the navigation by defining `NAVIGATION = [NavItem(...)]`
beside its `router`; `create_app` collects them, and each page shows the items the signed-in
user's role allows (`core.accounts.can`). Templates live in `web/templates/`; every page
extends `base.html` and fills `title` and `content`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from veilleuse.app.wording import (
    format_amount_fr,
    format_date_fr,
    format_datetime_fr,
    format_deadline_fr,
)
from veilleuse.core.accounts import Permission, User, can

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
FLASH_LEVELS = ("info", "success", "warning", "error")


@dataclass(frozen=True)
class NavItem:
    """A link of the main navigation, shown to users allowed `permission` (None: everyone
    signed in). `order` sorts the bar; the item is marked current under `path`."""

    label: str
    path: str
    permission: Permission | None = None
    order: int = 50


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "htm", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date_fr=lambda v: format_date_fr(v) if v else "",
        datetime_fr=format_datetime_fr,
        deadline_fr=format_deadline_fr,
        amount_fr=format_amount_fr,
    )
    env.globals.update(static=static_url, can=can)
    return env


@lru_cache(maxsize=64)
def static_url(name: str) -> str:
    """'/static/<name>?v=<content hash>', so a new version is never read from a stale cache."""
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file():
        raise ValueError(f"no static file {name!r} in {STATIC}")
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={version}"


# --------------------------------------------------------------------------- session helpers


def session_of(request: Request) -> dict[str, Any]:
    """The request's session, or an empty dict where no session middleware ran (500 pages)."""
    session = request.scope.get("session")
    return session if isinstance(session, dict) else {}


def csrf_token(request: Request) -> str:
    """This session's CSRF token, created on first use."""
    session = session_of(request)
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        if "session" in request.scope:
            session["csrf"] = token
    return token


def flash(request: Request, message: str, level: str = "info") -> None:
    """A message shown once, on the next page rendered for this session."""
    if level not in FLASH_LEVELS:
        raise ValueError(f"flash level {level!r} not in {FLASH_LEVELS}")
    session = session_of(request)
    session["flash"] = [*session.get("flash", []), [level, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    session = session_of(request)
    messages = session.pop("flash", None) or []
    return [(str(level), str(text)) for level, text in messages]


# --------------------------------------------------------------------------- rendering


def request_user(request: Request) -> User | None:
    """The signed-in user when a dependency (`current_user`, `optional_user`) loaded one."""
    user = getattr(request.state, "user", None)
    return user if isinstance(user, User) else None


def navigation_for(request: Request, user: User | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    items: list[NavItem] = getattr(request.app.state, "navigation", [])
    path = request.url.path
    return [
        {
            "label": item.label,
            "path": item.path,
            "current": path == item.path or path.startswith(item.path.rstrip("/") + "/"),
        }
        for item in items
        if item.permission is None or can(user, item.permission)
    ]


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """Render a page; adds `request`, `user`, `csrf_token`, `navigation` and `flashes`."""
    user = values.pop("user", None) or request_user(request)
    context = {
        "request": request,
        "user": user,
        "csrf_token": csrf_token(request),
        "navigation": navigation_for(request, user),
        "flashes": pop_flashes(request),
        "Permission": Permission,
        **values,
    }
    html = environment().get_template(template).render(context)
    return HTMLResponse(html, status_code=status_code)
