"""The web application: `create_app(settings)` assembles the shell every page plugs into.

- One long-lived `Context` in `app.state.ctx` (records opened at startup, closed at shutdown).
- Routes: every module of `veilleuse.web.routes` (and of `veilleuse.api.routes`, when that
  package exists) that defines `router` is included, in name order; a module's `NAVIGATION`
  list adds links to the navigation bar. Adding a page never means editing this file.
- `/static` serves `web/static/`; session cookies are signed (SessionMiddleware); security
  headers on every response; CSRF checked on every unsafe method outside `/api/`.
- Errors: French pages, or problem+json under `/api/` (see `web/errors.py`).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from veilleuse.app.context import Context
from veilleuse.app.web_server import open_records, session_secret
from veilleuse.config.settings import Settings, get_settings
from veilleuse.web.deps import csrf_guard
from veilleuse.web.errors import install_error_handlers
from veilleuse.web.middleware import SecurityHeadersMiddleware
from veilleuse.web.templating import STATIC, NavItem

log = logging.getLogger(__name__)

SESSION_COOKIE = "veilleuse_session"
ROUTE_PACKAGES = ("veilleuse.web.routes", "veilleuse.api.routes")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    ctx: Context = app.state.ctx
    await run_in_threadpool(open_records, ctx)  # migrate now, not on the first request
    try:
        yield
    finally:
        ctx.close()


def include_routes(app: FastAPI, package_name: str) -> list[str]:
    """Include the `router` of every module of `package_name`; returns the module names.

    A package that does not exist (yet) is skipped; an import error inside one is not.
    """
    try:
        package = importlib.import_module(package_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and package_name.startswith(exc.name):
            return []
        raise
    included = []
    navigation: list[NavItem] = app.state.navigation
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package_name}.{info.name}")
        router = getattr(module, "router", None)
        if not isinstance(router, APIRouter):
            continue
        app.include_router(router)
        navigation.extend(getattr(module, "NAVIGATION", ()))
        included.append(module.__name__)
    navigation.sort(key=lambda item: (item.order, item.label))
    return included


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    https = settings.web.base_url.startswith("https://")
    app = FastAPI(
        title="Veilleuse",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN: not served
        redoc_url=None,
        openapi_url="/api/openapi.json",
        dependencies=[Depends(csrf_guard)],
    )
    app.state.settings = settings
    app.state.ctx = Context(settings)
    app.state.navigation = []
    install_error_handlers(app)
    for package_name in ROUTE_PACKAGES:
        for name in include_routes(app, package_name):
            log.debug("routes included from %s", name)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie=SESSION_COOKIE,
        max_age=settings.web.session_max_age,
        same_site="lax",
        https_only=https,
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=https)  # outermost: every response
    return app
