"""A constructed world for the e-mails to actors (reminders, the network's digest,
introductions, delivery): a context over a real records database, the embedded store and a
recording mailer. Actors, notices and interests are invented for the tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.errors import MailError
from veilleuse.core.models import Actor, Contact, Notice, NoticeKind
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import actors as actor_records
from veilleuse.records import interests as interest_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

#: Tuesday 1 December 2026, 9:00 in Paris
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)


class RecordingMailer:
    """Delivers into an outbox folder and keeps every message; `fail` makes the next sends
    raise (a MailError, or any exception given: a crash between logging and sending)."""

    def __init__(self, folder: Path) -> None:
        self.outbox = OutboxMailer(folder)
        self.messages: list[EmailMessage] = []
        self.fail: list[BaseException] = []

    def send(self, message: EmailMessage) -> None:
        if self.fail:
            raise self.fail.pop(0)
        self.outbox.send(message)
        self.messages.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def text(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]

    def html(self, message: EmailMessage) -> str:
        part = message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())  # type: ignore[attr-defined]


def mail_error(text: str = "SMTP 127.0.0.1:25: connection refused") -> MailError:
    return MailError(text)


def make_ctx(tmp_path: Path, mailer: Any = None, **settings: Any) -> Context:
    values: dict[str, Any] = {"data_dir": tmp_path, "territory_name": "Valenciennes Métropole"}
    values.update(settings)
    return Context(
        Settings(**values),
        store=EmbeddedStore(tmp_path / "notices.sqlite3"),
        mailer=mailer or RecordingMailer(tmp_path / "outbox"),
    )


def actor(actor_id: str, name: str | None = None, **fields: Any) -> Actor:
    values: dict[str, Any] = {
        "id": actor_id,
        "name": name or actor_id.replace("-", " ").title(),
        "family": "association",
        "contacts": [Contact(name=f"Contact {actor_id}", email=f"{actor_id}@example.org")],
    }
    values.update(fields)
    return Actor.model_validate(values)


def notice(uid: str, title: str, days: int | None = 20, **fields: Any) -> Notice:
    """A tender whose deadline is `days` days after TODAY (a bare day), hashed."""
    values: dict[str, Any] = {
        "uid": uid,
        "source": uid.split(":")[0],
        "native_id": uid.split(":")[1],
        "kind": NoticeKind.TENDER,
        "title": title,
        "deadline": TODAY + timedelta(days=days) if days is not None else None,
    }
    values.update(fields)
    return Notice.model_validate(values).with_hash()


def seed(
    ctx: Context,
    actors: Iterable[Actor] = (),
    notices: Iterable[Notice] = (),
    territory: str | None = "valenciennes",
) -> None:
    actors = list(actors)
    actor_records.upsert_actors(ctx.records, actors)
    if territory:
        territory_records.upsert_territory(
            ctx.records, PlanTerritory(id=territory, name=territory.title())
        )
        territory_records.set_actor_territories(ctx.records, {a.id: territory for a in actors})
    notices = list(notices)
    if notices:
        ctx.store.write(notices)


def interest(
    ctx: Context, actor_id: str, uid: str, content_hash: str | None = None, days_ago: int = 10
) -> None:
    at = NOW - timedelta(days=days_ago)
    interest_records.add_interest(ctx.records, actor_id, uid, None, at, content_hash=content_hash)
