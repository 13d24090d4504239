"""`/mon-espace`: an actor account's own page (its profile; matches and preferences to come)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from veilleuse.app.actors import get_actor
from veilleuse.core.accounts import Permission, User
from veilleuse.web.deps import Ctx, require
from veilleuse.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAVIGATION = [NavItem("Mon espace", "/mon-espace", Permission.OWN_SPACE, order=5)]

ActorUser = Annotated[User, Depends(require(Permission.OWN_SPACE))]


@router.get("/mon-espace")
def my_space(request: Request, ctx: Ctx, user: ActorUser) -> Response:
    assert user.actor_id is not None  # OWN_SPACE needs a linked actor
    return render(request, "my_space.html", actor=get_actor(ctx, user.actor_id))
