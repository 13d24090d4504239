"""One actor never stops the digest stage, and a hostile profile changes nothing for the others.

The hostile actor is stored as actors were before the import refused control characters: a
CR/LF and a `Bcc:` in its id and name. Its digest goes out with one-line headers (no injected
header, one recipient), and the other actors get byte-for-byte the same digests as in a run
without it. An actor whose digest raises is reported (actor + reason) and the others are sent.
Notices, actors and matches are constructed for these tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest

from veilleuse.app import digest as digest_module
from veilleuse.app.digest import DigestReport, send_digests
from veilleuse.config.settings import Settings
from veilleuse.core.errors import MailError
from veilleuse.core.models import Actor, Contact, Match, Notice, NoticeKind, Reason
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import actors as actor_records
from veilleuse.records.db import Records

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
HOSTILE_ID = "b\r\nBcc: victime@exemple.fr"


def _actor(actor_id: str, name: str, email: str) -> Actor:
    return Actor(
        id=actor_id,
        name=name,
        family="association",
        contacts=[Contact(email=email)],
    )


ACTORS = [
    _actor("a1", "Régie Nord", "a1@example.org"),
    _actor(HOSTILE_ID, "Nom\r\nBcc: victime@exemple.fr\x00", "b@example.org"),
    _actor("c3", "Jardins du Sud", "c3@example.org"),
]
NOTICES = [
    Notice(
        uid=f"boamp:{i}",
        source="boamp",
        native_id=str(i),
        kind=NoticeKind.TENDER,
        title=title,
        deadline=NOW.date() + timedelta(days=20),
    ).with_hash()
    for i, title in enumerate(("Entretien d'espaces verts", "Nettoyage de locaux"), start=1)
]


def _run(folder: Path, actors: list[Actor]) -> tuple[DigestReport, dict[str, EmailMessage]]:
    settings = Settings(data_dir=folder, mail={"link_secret": "test-secret-of-both-runs"})
    records = Records(settings.records_url())
    actor_records.upsert_actors(records, actors)
    matches = [
        Match(
            actor_id=a.id,
            notice_uid=n.uid,
            score=70.0,
            reasons=[Reason(code="topic", text="Activité proche", weight=1.0)],
        )
        for a in actors
        for n in NOTICES
    ]
    notices = {n.uid: n for n in NOTICES}
    report = send_digests(
        records, notices, matches, {}, OutboxMailer(folder / "out"), settings, now=NOW
    )
    sent = {}
    for path in sorted((folder / "out").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        sent[str(message["To"])] = message
    records.dispose()
    return report, sent


def _raw_headers(message: EmailMessage) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in message.items()]


def test_a_stored_crlf_actor_gets_a_safe_digest_and_the_others_theirs(tmp_path: Path) -> None:
    report, sent = _run(tmp_path, ACTORS)
    assert report.failed == []
    assert len(report.sent) == 3
    for message in sent.values():
        for name, value in _raw_headers(message):
            assert "\r" not in value and "\n" not in value, (name, value)
            assert name.lower() != "bcc"
        assert len(message.get_all("To", [])) == 1
    hostile = next(m for to, m in sent.items() if "b@example.org" in to)
    assert hostile["To"].addresses[0].addr_spec == "b@example.org"
    assert hostile["X-Veilleuse-Digest"] == "b%0D%0ABcc: victime@exemple.fr:2026-11-23"


def _comparable(message: EmailMessage) -> tuple[str, str, str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(message["To"]), str(message["Subject"]), text.get_content(), html.get_content()


def test_the_hostile_actor_changes_nothing_for_the_others(tmp_path: Path) -> None:
    _, with_it = _run(tmp_path / "with", ACTORS)
    _, without = _run(tmp_path / "without", [ACTORS[0], ACTORS[2]])
    others = [to for to in with_it if "b@example.org" not in to]
    assert sorted(others) == sorted(without)
    for to in others:
        assert _comparable(with_it[to]) == _comparable(without[to])
        assert with_it[to]["Message-ID"] == without[to]["Message-ID"]


def test_an_actor_whose_digest_raises_is_reported_and_the_others_are_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = digest_module._compose

    def broken(actor: Actor, *args: Any, **kwargs: Any) -> Any:
        if actor.id == "a1":
            raise RuntimeError("profil illisible")
        return compose(actor, *args, **kwargs)

    monkeypatch.setattr(digest_module, "_compose", broken)
    report, sent = _run(tmp_path, [ACTORS[0], ACTORS[2]])
    assert report.failed == [("acteur a1", "RuntimeError: profil illisible")]
    assert report.sent == ["c3:2026-11-23"]
    assert list(sent) == ["Jardins du Sud <c3@example.org>"]


class _Picky:
    """Delivers into an outbox, but fails for one address: with MailError, or with a bug."""

    def __init__(self, folder: Path, address: str, error: Exception) -> None:
        self.inner, self.address, self.error = OutboxMailer(folder), address, error

    def send(self, message: EmailMessage) -> None:
        if self.address in str(message["To"]):
            raise self.error
        self.inner.send(message)


def test_a_resend_that_raises_is_reported_and_the_other_resends_go_out(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mail={"link_secret": "test-secret-of-both-runs"})
    records = Records(settings.records_url())
    actor_records.upsert_actors(records, [ACTORS[0], ACTORS[2]])
    notices = {n.uid: n for n in NOTICES}
    matches = [Match(actor_id=a.id, notice_uid=NOTICES[0].uid, score=70.0) for a in ACTORS[::2]]
    down = MailError("SMTP 127.0.0.1:25: connection refused")
    first = send_digests(
        records, notices, matches, {}, _Picky(tmp_path, "@example.org", down), settings, now=NOW
    )
    assert len(first.failed) == 2  # both left pending for the next run
    bug = _Picky(tmp_path / "out", "a1@example.org", RuntimeError("bogue"))
    later = NOW + timedelta(days=7)
    second = send_digests(records, notices, matches, {}, bug, settings, now=later)
    assert second.resent == ["c3:2026-11-23"]
    assert second.failed == [("a1:2026-11-23", "RuntimeError: bogue")]
    records.dispose()
