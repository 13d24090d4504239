"""The saved search « Acheteurs du territoire » of a served territory: the notices whose buyer is
its EPCI or one of its member communes, newest first — the territory's own purchases, which
the Valenciennes plan asks the network to answer first (« au titre de l'achat public de la
CAVM … favoriser les réponses groupées »)."""

from __future__ import annotations

from urllib.parse import urlencode

from veilleuse.app import saved_searches
from veilleuse.app.context import Context
from veilleuse.core.accounts import PlanTerritory, User

BUYERS_SEARCH = "Acheteurs du territoire"


def buyers_query(territory: PlanTerritory) -> str:
    """The search page's query string of the territory's buyers (its EPCI and listed communes;
    a territory given by départements only gets its départements' notices)."""
    areas = [*territory.epcis, *territory.communes]
    pairs = [("buyer_area", a) for a in areas] or [("dep", d) for d in territory.departments]
    return urlencode([*pairs, ("sort", "-published")])


def search_name(territory: PlanTerritory) -> str:
    return f"{BUYERS_SEARCH} – {territory.name}"


def ensure_buyers_search(ctx: Context, user: User, territory: PlanTerritory) -> bool:
    """Give `user` the territory's buyers search unless they have one of that name; True when
    it was created (no alert: the user switches one on)."""
    name = search_name(territory)
    if any(s.name == name for s in saved_searches.list_searches(ctx, user.id)):
        return False
    saved_searches.save_search(
        ctx,
        user_id=user.id,
        name=name,
        query=buyers_query(territory),
        frequency=saved_searches.AlertFrequency.NONE,
        territory_id=territory.id,
    )
    return True
