"""The digest stage signs the links of every digest: three per line, two in the footer, the
unsubscribe one in `List-Unsubscribe`; a digest resent after a failure carries the very same
links. Notices, actors and matches are constructed for these tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest

from veilleuse.app.digest import send_digests
from veilleuse.app.digest_links import LinkMaker, link_key
from veilleuse.config.settings import Settings
from veilleuse.core.errors import MailError
from veilleuse.core.models import Actor, Contact, Match, Notice, NoticeKind
from veilleuse.core.signed_links import LinkAction, SignedLink, verify_link
from veilleuse.digests.mailer import MESSAGE_POLICY, OutboxMailer
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records.db import Records

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
BASE = "https://veille.example.org"
LINK = re.compile(re.escape(BASE) + r"/lien/([A-Za-z0-9_-]+)")


def notice(uid: str, title: str) -> Notice:
    return Notice(
        uid=uid,
        source="boamp",
        native_id=uid.split(":")[1],
        kind=NoticeKind.TENDER,
        title=title,
        deadline=NOW.date() + timedelta(days=20),
    ).with_hash()


NOTICES = {n.uid: n for n in (notice("boamp:1", "Nettoyage"), notice("boamp:2", "Vitrerie"))}
MATCHES = [Match(actor_id="a1", notice_uid=uid, score=70.0) for uid in NOTICES]


@pytest.fixture
def env(tmp_path: Path) -> tuple[Settings, Records]:
    settings = Settings(
        data_dir=tmp_path,
        web={"base_url": BASE + "/"},
        mail={"reply_to": "Chargée de veille <veille@reseau.example>"},
    )
    records = Records(settings.records_url())
    actor = Actor(
        id="a1",
        name="Régie de quartier",
        family="association",
        contacts=[Contact(email="contact@example.org")],
    )
    actor_records.upsert_actors(records, [actor])
    return settings, records


def sent(folder: Path) -> EmailMessage:
    (eml,) = folder.glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=MESSAGE_POLICY)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, html = message.iter_parts()
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    return text.get_content(), html.get_content()


def read(settings: Settings, token: str) -> SignedLink:
    return verify_link(link_key(settings), token, now=NOW)


def test_every_line_and_the_footer_carry_signed_links(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    report = send_digests(
        records, NOTICES, MATCHES, {}, OutboxMailer(tmp_path / "out"), settings, now=NOW
    )
    assert report.sent == ["a1:2026-11-23"]
    text, html = bodies(sent(tmp_path / "out"))
    for body in (text, html):
        found = [read(settings, t) for t in LINK.findall(body)]
        per_notice = {
            uid: sorted(f.action.value for f in found if f.notice_uid == uid) for uid in NOTICES
        }
        assert per_notice == {uid: ["interested", "not_for_us", "partners"] for uid in NOTICES}
        footer = sorted(f.action.value for f in found if f.notice_uid is None)
        assert footer == ["preferences", "unsubscribe"]
        assert {f.actor_id for f in found} == {"a1"}
    links = {read(settings, t) for t in LINK.findall(text)}
    by_action = {(link.action, link.notice_uid): link for link in links}
    assert by_action[(LinkAction.INTERESTED, "boamp:1")].expires == NOW + timedelta(days=60)
    assert by_action[(LinkAction.UNSUBSCRIBE, None)].expires == NOW + timedelta(days=365)
    assert "Ça nous intéresse : https://veille.example.org/lien/" in text
    assert ">Chercher des partenaires</a>" in html


def test_list_unsubscribe_is_the_actors_signed_link(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    send_digests(records, NOTICES, MATCHES, {}, OutboxMailer(tmp_path / "out"), settings, now=NOW)
    message = sent(tmp_path / "out")
    header = str(message["List-Unsubscribe"])
    url, mailto = re.fullmatch(r"<([^>]+)>, <([^>]+)>", header).groups()  # type: ignore[union-attr]
    (token,) = LINK.fullmatch(url).groups()  # type: ignore[union-attr]
    link = read(settings, token)
    assert (link.actor_id, link.action, link.notice_uid) == ("a1", LinkAction.UNSUBSCRIBE, None)
    assert mailto.startswith("mailto:veille@reseau.example?subject=D%C3%A9sabonnement")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in bodies(message)[0]  # the footer's « me désabonner » is the same link


def test_links_use_the_web_base_url_and_the_link_secret(tmp_path: Path) -> None:
    """`mail.link_secret` signs when set; without it the key comes from the web session key,
    never the session key itself, so the two settings give different links."""
    plain = Settings(data_dir=tmp_path, web={"secret_key": "k" * 40})
    own = Settings(data_dir=tmp_path, web={"secret_key": "k" * 40}, mail={"link_secret": "s" * 40})
    assert link_key(plain) != link_key(own)
    assert link_key(plain) != ("k" * 40).encode()
    maker = LinkMaker.from_settings(plain, NOW)
    assert maker.url("a1", LinkAction.PREFERENCES).startswith("http://127.0.0.1:8000/lien/")
    generated = Settings(data_dir=tmp_path / "other")
    first = link_key(generated)  # creates <data_dir>/web_secret, as the web server would
    assert (tmp_path / "other" / "web_secret").exists()
    assert link_key(generated) == first


class FailOnce:
    def __init__(self, folder: Path) -> None:
        self.inner = OutboxMailer(folder)
        self.failed = False

    def send(self, message: EmailMessage) -> None:
        if not self.failed:
            self.failed = True
            raise MailError("SMTP 127.0.0.1:25: connection refused")
        self.inner.send(message)


def test_a_pending_digest_is_resent_with_the_same_links(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    mailer = FailOnce(tmp_path / "out")
    first = send_digests(records, NOTICES, MATCHES, {}, mailer, settings, now=NOW)
    assert first.failed and not first.sent
    stored = digest_log.unsent_digests(records)[0].message
    later = NOW + timedelta(days=7)
    second = send_digests(records, NOTICES, MATCHES, {}, mailer, settings, now=later)
    assert second.resent == ["a1:2026-11-23"]
    message = sent(tmp_path / "out")
    resent_links = LINK.findall(message.as_string())
    assert resent_links == LINK.findall(stored)
    assert str(message["List-Unsubscribe"]) in stored.replace("\n ", " ")
