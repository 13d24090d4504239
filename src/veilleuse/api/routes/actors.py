"""`/api/v1/actors`: the actors of the caller's territories, one actor, an actor's matches.

An actor outside the caller's territories answers 404, exactly like an unknown one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from veilleuse.api.convert import actor_out, match_out
from veilleuse.api.deps import Ctx, TokenUser, require
from veilleuse.api.problems import BadParameters, ProblemRoute, problem_responses
from veilleuse.api.schemas import ActorList, ActorOut, MatchList
from veilleuse.app.actor_admin import ActorFilters, actor_profile, list_actors
from veilleuse.app.actor_matches import actor_matches
from veilleuse.core.accounts import Permission, User
from veilleuse.core.models import EssFamily

router = APIRouter(prefix="/api/v1", tags=["structures"], route_class=ProblemRoute)

Viewer = Annotated[User, Depends(require(Permission.ACTORS_VIEW))]
_TRUE = {"true", "1", "oui", "yes"}
_FALSE = {"false", "0", "non", "no"}
MAX_MATCHES = 500


def _flag(name: str, value: str | None) -> bool | None:
    if value is None or not value.strip():
        return None
    folded = value.strip().lower()
    if folded in _TRUE | _FALSE:
        return folded in _TRUE
    raise BadParameters({name: f"Paramètre {name} : « {value} » n'est ni true ni false."})


def _filters(
    family: str | None, territory: str | None, cpv: str | None, active: str | None, q: str | None
) -> ActorFilters:
    problems: dict[str, str] = {}
    chosen = None
    if family and family.strip():
        try:
            chosen = EssFamily(family.strip().lower())
        except ValueError:
            choices = ", ".join(f.value for f in EssFamily)
            problems["family"] = (
                f"Paramètre family : « {family} » n'est pas une famille de l'ESS ({choices})."
            )
    prefix = (cpv or "").strip().split("-")[0]
    if prefix and not (prefix.isdigit() and len(prefix) <= 8):
        problems["cpv"] = f"Paramètre cpv : « {cpv} » n'est pas un code CPV (2 à 8 chiffres)."
    try:
        flag = _flag("active", active)
    except BadParameters as exc:
        problems |= exc.problems
        flag = None
    if problems:
        raise BadParameters(problems)
    return ActorFilters(
        family=chosen,
        territory=(territory or "").strip() or None,
        cpv=prefix.rstrip("0") or None,
        active=flag,
        text=(q or "").strip() or None,
    )


@router.get(
    "/actors",
    response_model=ActorList,
    summary="Lister les structures de vos territoires",
    responses=problem_responses(400, 401, 403, 422),
)
def actors(
    ctx: Ctx,
    user: Viewer,
    family: Annotated[str | None, Query(description="Famille de l'ESS (esat, scop…)")] = None,
    territory: Annotated[str | None, Query(description="Territoire servi (valenciennes…)")] = None,
    cpv: Annotated[str | None, Query(description="Préfixe de code CPV (7731)")] = None,
    active: Annotated[str | None, Query(description="true : actives ; false : en pause")] = None,
    q: Annotated[str | None, Query(description="Mots du nom (accents ignorés)")] = None,
) -> ActorList:
    lines = list_actors(ctx, user, _filters(family, territory, cpv, active, q))
    return ActorList(
        items=[actor_out(line.actor, line.active, line.territory) for line in lines],
        total=len(lines),
    )


@router.get(
    "/actors/{actor_id}",
    response_model=ActorOut,
    summary="Lire une structure",
    responses=problem_responses(401, 403, 404, 422),
)
def actor(ctx: Ctx, user: Viewer, actor_id: str) -> ActorOut:
    profile = actor_profile(ctx, actor_id, user, matches=0)
    return actor_out(profile.actor, profile.active, profile.territory)


@router.get(
    "/actors/{actor_id}/matches",
    response_model=MatchList,
    summary="Les avis qui correspondent à une structure, avec leurs raisons",
    description="Les correspondances du dernier calcul, la meilleure d'abord ; chaque raison "
    "donne son code, ses données et sa phrase en français. Permis aux rôles qui voient les "
    "correspondances (`notice.view_matches`) et au compte de la structure elle-même.",
    responses=problem_responses(400, 401, 403, 404, 422),
)
def matches(
    ctx: Ctx,
    user: TokenUser,
    actor_id: str,
    open_only: Annotated[
        str | None, Query(description="true : seulement les avis encore ouverts")
    ] = None,
    limit: Annotated[str | None, Query(description=f"Au plus (1 à {MAX_MATCHES})")] = None,
) -> MatchList:
    only_open = _flag("open_only", open_only) or False
    most = None
    if limit is not None and limit.strip():
        text = limit.strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_MATCHES:
            raise BadParameters(
                {
                    "limit": f"Paramètre limit : « {limit} » doit être compris entre 1 et {MAX_MATCHES}."
                }
            )
        most = int(text)
    found = actor_matches(ctx, actor_id, user, open_only=only_open, limit=most)
    return MatchList(actor_id=found.actor.id, items=[match_out(line) for line in found.matches])
