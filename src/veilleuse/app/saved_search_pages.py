"""What the saved-search pages need beyond `app.saved_searches`: reading a search by the token
of its alert e-mail without changing it.

The unsubscribe link of an alert is opened by GET (a mail client or a security scanner may
fetch it on its own), so the page first shows which search it is about and asks for a
confirmation; only the confirmation (`saved_searches.unsubscribe`) stops the alerts.
"""

from __future__ import annotations

from veilleuse.app.context import Context
from veilleuse.app.saved_searches import SavedSearch, get_search
from veilleuse.core.errors import NotFoundError
from veilleuse.records import saved_searches as saved

UNKNOWN_TOKEN = "Lien de désabonnement inconnu : la recherche a peut-être été supprimée."


def search_for_token(ctx: Context, token: str) -> SavedSearch:
    """The saved search an unsubscribe token belongs to, unchanged; NotFoundError otherwise."""
    clean = token.strip()
    record = saved.saved_search_by_token(ctx.records, clean) if clean else None
    if record is None:
        raise NotFoundError(UNKNOWN_TOKEN)
    return get_search(ctx, record.id, record.user_id)
