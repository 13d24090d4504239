"""The front door (`/` sends each role to its first page) and the health check (`/sante`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, RedirectResponse, Response

from veilleuse.core.accounts import Role
from veilleuse.web.deps import CurrentUser

router = APIRouter(include_in_schema=False)

#: first page of each role
HOME = {
    Role.ADMIN: "/recherche",
    Role.OFFICER: "/recherche",
    Role.STAFF: "/recherche",
    Role.COMMITTEE: "/recherche",
    Role.ACTOR: "/mon-espace",
}


@router.get("/")
def home(user: CurrentUser) -> Response:
    return RedirectResponse(HOME[user.role], status_code=303)


@router.get("/sante")
def health() -> Response:
    """Liveness for a reverse proxy or a supervisor: no login, no database call."""
    return JSONResponse({"status": "ok"})
