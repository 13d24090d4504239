"""The digest stage against the send log: nothing sent twice, nothing lost after a failure.

Notices, actors and matches are constructed for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from veilleuse.app.digest import send_digests
from veilleuse.config.settings import Settings
from veilleuse.core.errors import MailError
from veilleuse.core.models import Actor, Contact, Match, Notice, NoticeKind, Reason
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records.db import Records

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)


class FlakyMailer:
    """Fails the first `failures` sends, then delivers into an outbox folder."""

    def __init__(self, folder: Path, failures: int) -> None:
        self.inner = OutboxMailer(folder)
        self.failures = failures
        self.sent: list[str] = []

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise MailError("SMTP 127.0.0.1:25: connection refused")
        self.inner.send(message)
        self.sent.append(str(message["Message-ID"]))


def notice(uid: str, title: str) -> Notice:
    return Notice(
        uid=uid,
        source="boamp",
        native_id=uid.split(":")[1],
        kind=NoticeKind.TENDER,
        title=title,
        deadline=NOW.date() + timedelta(days=20),
    ).with_hash()


@pytest.fixture
def env(tmp_path: Path) -> tuple[Settings, Records]:
    settings = Settings(data_dir=tmp_path)
    records = Records(settings.records_url())
    actor_records.upsert_actors(
        records,
        [
            Actor(
                id="a1",
                name="Régie de quartier",
                family="association",  # type: ignore[arg-type]
                contacts=[Contact(email="contact@example.org")],
            )
        ],
    )
    return settings, records


def match(uid: str, score: float = 70.0) -> Match:
    return Match(
        actor_id="a1",
        notice_uid=uid,
        score=score,
        reasons=[Reason(code="topic", text="Activité proche", weight=1.0)],
    )


def test_rerun_sends_nothing_twice(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    notices = {n.uid: n for n in [notice("boamp:1", "Nettoyage"), notice("boamp:2", "Vitrerie")]}
    mailer = FlakyMailer(tmp_path / "out", failures=0)
    first = send_digests(
        records, notices, [match("boamp:1"), match("boamp:2")], {}, mailer, settings, now=NOW
    )
    assert first.sent == ["a1:2026-11-23"] and first.items == 2
    again = send_digests(
        records, notices, [match("boamp:1"), match("boamp:2")], {}, mailer, settings, now=NOW
    )
    assert again.sent == [] and again.too_soon == ["a1"]
    notices["boamp:3"] = notice("boamp:3", "Espaces verts")
    notices["boamp:3"] = notices["boamp:3"].model_copy(
        update={"deadline": NOW.date() + timedelta(days=30)}
    )
    same_week = send_digests(
        records,
        notices,
        [match("boamp:1"), match("boamp:3")],
        {},
        mailer,
        settings,
        now=NOW + timedelta(days=2),
    )
    assert same_week.sent == [] and same_week.too_soon == ["a1"]
    next_week = NOW + timedelta(days=7)
    third = send_digests(
        records, notices, [match("boamp:1"), match("boamp:3")], {}, mailer, settings, now=next_week
    )
    assert third.sent == ["a1:2026-11-30"] and third.items == 1
    assert len(list((tmp_path / "out").glob("*.eml"))) == 2
    assert digest_log.sent_uids(records, "a1") == {"boamp:1", "boamp:2", "boamp:3"}


def test_failed_send_is_resent_identically_next_run(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    notices = {"boamp:1": notice("boamp:1", "Nettoyage")}
    mailer = FlakyMailer(tmp_path / "out", failures=1)
    first = send_digests(records, notices, [match("boamp:1")], {}, mailer, settings, now=NOW)
    assert [d for d, _ in first.failed] == ["a1:2026-11-23"]
    assert "127.0.0.1:25" in first.failed[0][1]
    logged = digest_log.unsent_digests(records)[0].message
    # next week: the pending digest goes out as it was, and nothing is composed twice
    later = NOW + timedelta(days=7)
    second = send_digests(records, notices, [match("boamp:1")], {}, mailer, settings, now=later)
    assert second.resent == ["a1:2026-11-23"] and second.sent == []
    (eml,) = (tmp_path / "out").glob("*.eml")
    assert digest_log.unsent_digests(records) == []
    assert mailer.sent and logged.split("Message-ID: ")[1].split("\n")[0].strip() == mailer.sent[0]
    assert "Nettoyage" in eml.read_text(encoding="utf-8") or eml.stat().st_size > 0
