"""An actor account's own interests: the notices its actor said « ça nous intéresse » for.

Read for `/mon-espace` (the register's use cases, in `app.bid_board`, record them and read them
per notice; this one lists them per actor, newest first, with the notices still stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.app.my_space import own_actor_id
from veilleuse.core.accounts import User
from veilleuse.core.models import Notice
from veilleuse.records import interests as interest_records


@dataclass(frozen=True)
class MyInterest:
    notice_uid: str
    #: None when the store no longer holds the notice
    notice: Notice | None
    at: datetime


def my_interests(ctx: Context, user: User) -> list[MyInterest]:
    """The account's actor's interests, newest first (one records query, one store read)."""
    actor_id = own_actor_id(user)
    interests = interest_records.interests_of_actors(ctx.records, [actor_id])
    uids = sorted({i.notice_uid for i in interests})
    notices = {n.uid: n for n in ctx.store.get_many(uids)} if uids else {}
    return [
        MyInterest(i.notice_uid, notices.get(i.notice_uid), i.at)
        for i in sorted(interests, key=lambda i: i.at, reverse=True)
    ]
