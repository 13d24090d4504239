"""`/api/v1/me`: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from veilleuse.api.convert import territory_out
from veilleuse.api.deps import Ctx, TokenUser
from veilleuse.api.problems import ProblemRoute, problem_responses
from veilleuse.api.schemas import MeOut
from veilleuse.app.territories import get_territory
from veilleuse.core.accounts import ROLE_PERMISSIONS, Permission, can
from veilleuse.core.errors import NotFoundError

router = APIRouter(prefix="/api/v1", tags=["compte"], route_class=ProblemRoute)


@router.get(
    "/me",
    response_model=MeOut,
    summary="Le compte du jeton : rôle, territoire, permissions",
    responses=problem_responses(401),
)
def me(ctx: Ctx, user: TokenUser) -> MeOut:
    territory = None
    if user.territory_id:
        try:
            territory = get_territory(ctx, user.territory_id)
        except NotFoundError:  # a territory removed since: the account still answers
            territory = None
    granted = [p.value for p in Permission if p in ROLE_PERMISSIONS[user.role] and can(user, p)]
    return MeOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role.value,
        role_label=user.role.label,
        territory=territory_out(territory),
        actor_id=user.actor_id,
        permissions=sorted(granted),
    )
