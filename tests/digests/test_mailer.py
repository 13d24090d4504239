"""Building digest e-mails and delivering them: outbox files and a real SMTP server on loopback.

The SMTP tests run aiosmtpd's Controller on 127.0.0.1 (a real server, started here). The digest
data is invented for the tests.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from email import message_from_bytes, message_from_string, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from veilleuse.config.settings import MailMode, MailSettings, Settings
from veilleuse.core.errors import MailError
from veilleuse.core.models import Actor, Buyer, Contact, EssFamily, Match, Notice, NoticeKind
from veilleuse.digests.alerts import Alert, AlertSection, build_alert_message
from veilleuse.digests.compose import Digest, compose_digest
from veilleuse.digests.mailer import (
    MESSAGE_POLICY,
    OutboxMailer,
    SmtpMailer,
    build_message,
    make_mailer,
    message_id_for,
)
from veilleuse.digests.render import RenderedDigest, render_digest

SENT_AT = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
DIGEST_SHA1 = "fcc9ce8fcf06c7bd13505b50dc705115ef80f8e7"  # sha1("regie-nord:2026-11-23")


def sample_digest(email: str | None = "contact@regie-nord.example") -> Digest:
    actor = Actor(
        id="regie-nord",
        name="Régie de quartier Nord, Nantes",
        family=EssFamily.SIAE_ACI,
        contacts=[Contact(email=email)] if email else [],
    )
    notice = Notice(
        uid="boamp:26-123456",
        source="boamp",
        native_id="26-123456",
        kind=NoticeKind.TENDER,
        title="Nettoyage des bâtiments communaux",
        url="https://www.boamp.fr/pages/avis/?q=idweb:26-123456",
        buyer=Buyer(name="Ville de Nantes"),
        deadline=datetime(2026, 12, 12, 12, 0, tzinfo=timezone(timedelta(hours=1))),
    )
    match = Match(actor_id="regie-nord", notice_uid=notice.uid, score=80)
    return compose_digest(
        actor,
        [match],
        {notice.uid: notice},
        {},
        {},
        set(),
        period_start=date(2026, 11, 16),
        period_end=date(2026, 11, 23),
        degraded_sources=[],
        territory_name="Nantes Métropole",
        today=date(2026, 11, 23),
    )


UNSUBSCRIBE = "https://veille.example/lien/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMn"
MAILTO = (
    "<mailto:chargee-de-veille@reseau-ess.example"
    "?subject=D%C3%A9sabonnement%20de%20la%20veille%20%28regie-nord%29>"
)


def message(
    digest: Digest | None = None,
    unsubscribe: str | None = None,
    reply_to: str | None = "chargee-de-veille@reseau-ess.example",
) -> EmailMessage:
    digest = digest or sample_digest()
    return build_message(
        digest,
        render_digest(digest),
        sender="Veilleuse <veille@veilleuse.example>",
        reply_to=reply_to,
        unsubscribe_url=unsubscribe,
        date=SENT_AT,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    """aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: object
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server_with_auth() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=check_login,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        yield controller, inbox
    finally:
        controller.stop()


def test_build_message_headers_and_parts() -> None:
    msg = message(unsubscribe=UNSUBSCRIBE)
    assert msg["From"] == "Veilleuse <veille@veilleuse.example>"
    assert msg["To"] == '"Régie de quartier Nord, Nantes" <contact@regie-nord.example>'
    assert msg["Reply-To"] == "chargee-de-veille@reseau-ess.example"
    assert msg["Subject"] == (
        "Veilleuse — 1 opportunité pour Régie de quartier Nord, Nantes (semaine du 23 novembre 2026)"
    )
    assert msg["Message-ID"] == f"<{DIGEST_SHA1}@veilleuse>"
    assert msg["Date"] == "Mon, 23 Nov 2026 07:30:00 +0000"
    assert msg["X-Veilleuse-Digest"] == "regie-nord:2026-11-23"
    assert msg["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, {MAILTO}"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert "1. Nettoyage des bâtiments communaux" in text.get_content()
    assert '<html lang="fr">' in html.get_content()
    assert msg.as_string().isascii()  # 7-bit on the wire and in the send log


def test_same_digest_same_message_id_and_no_unsubscribe_headers_without_url() -> None:
    first, second = message(reply_to=None), message(reply_to=None)
    assert first["Message-ID"] == second["Message-ID"]
    assert first["List-Unsubscribe"] is None
    assert first["List-Unsubscribe-Post"] is None
    other = sample_digest()
    other.digest_id = "regie-nord:2026-11-30"
    assert message(other)["Message-ID"] != first["Message-ID"]


def test_unsubscribe_headers_follow_rfc_8058() -> None:
    """One https URL (then mailto:) makes a one-click message; a mailto: alone or an http URL
    is listed without `List-Unsubscribe-Post`, which requires https."""
    mailto_only = message()
    assert mailto_only["List-Unsubscribe"] == MAILTO
    assert mailto_only["List-Unsubscribe-Post"] is None
    plain_http = message(unsubscribe="http://127.0.0.1:8000/lien/abc", reply_to=None)
    assert plain_http["List-Unsubscribe"] == "<http://127.0.0.1:8000/lien/abc>"
    assert plain_http["List-Unsubscribe-Post"] is None
    named = message(unsubscribe=UNSUBSCRIBE, reply_to="Chargée de veille <veille@reseau.example>")
    assert str(named["List-Unsubscribe"]).endswith(
        "<mailto:veille@reseau.example?subject=D%C3%A9sabonnement%20de%20la%20veille%20%28regie-nord%29>"
    )


def test_a_long_unsubscribe_url_is_written_as_it_is(tmp_path: Path) -> None:
    """On the wire and in the stored copy, each URL stays whole between its angle brackets
    (never RFC 2047-encoded, which the default policy does to a word longer than a line)."""
    long_url = UNSUBSCRIBE + "x" * 80
    original = message(unsubscribe=long_url)
    OutboxMailer(tmp_path).send(original)
    wire = next(tmp_path.glob("*.eml")).read_bytes()
    assert f"List-Unsubscribe: <{long_url}>,\r\n {MAILTO}\r\n".encode() in wire
    assert b"=?utf-8?q?=3Chttps" not in wire
    stored = message_from_string(original.as_string(), policy=MESSAGE_POLICY)
    assert f"<{long_url}>" in stored.as_string()
    assert message_from_bytes(wire, policy=policy.default)["List-Unsubscribe"] == (
        f"<{long_url}>, {MAILTO}"
    )


def test_the_digest_goes_to_every_address_of_the_preferences() -> None:
    digest = sample_digest()
    digest.actor = digest.actor.model_copy(
        update={
            "digest": digest.actor.digest.model_copy(
                update={"addresses": ["direction@regie-nord.example", "marches@regie-nord.example"]}
            )
        }
    )
    msg = message(digest)
    assert msg["To"] == (
        '"Régie de quartier Nord, Nantes" <direction@regie-nord.example>, '
        '"Régie de quartier Nord, Nantes" <marches@regie-nord.example>'
    )


def test_actor_without_email_is_a_mail_error() -> None:
    digest = sample_digest(email=None)
    with pytest.raises(MailError, match=r"regie-nord.*no e-mail address"):
        build_message(
            digest,
            RenderedDigest("s", "<p>h</p>", "t"),
            sender="a@b.example",
            reply_to=None,
            unsubscribe_url=None,
        )


def test_outbox_is_idempotent_per_digest(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path / "outbox")
    outbox.send(message())
    resent = message()
    resent.replace_header("Date", "Tue, 24 Nov 2026 07:30:00 +0000")
    outbox.send(resent)
    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == [f"regie-nord_2026-11-23-{DIGEST_SHA1[:8]}.eml"]  # one file, no temp left
    stored = message_from_bytes(
        (tmp_path / "outbox" / files[0]).read_bytes(), policy=policy.default
    )
    assert stored["Date"] == "Tue, 24 Nov 2026 07:30:00 +0000"
    assert stored["X-Veilleuse-Digest"] == "regie-nord:2026-11-23"
    other = sample_digest()
    other.digest_id = "regie-nord:2026-11-30"
    outbox.send(message(other))
    assert len(list((tmp_path / "outbox").iterdir())) == 2


def test_a_stored_message_resent_lands_on_the_same_file(tmp_path: Path) -> None:
    original = message()
    outbox = OutboxMailer(tmp_path)
    outbox.send(original)
    stored = message_from_string(original.as_string(), policy=policy.default)
    assert isinstance(stored, EmailMessage)
    outbox.send(stored)
    assert [p.name for p in tmp_path.iterdir()] == [outbox.path_for(original).name]
    assert stored["Message-ID"] == original["Message-ID"]


def test_outbox_distinct_ids_stay_distinct(tmp_path: Path) -> None:
    outbox = OutboxMailer(tmp_path)
    a, b = sample_digest(), sample_digest()
    a.digest_id, b.digest_id = "x:1", "x_1"
    assert outbox.path_for(message(a)) != outbox.path_for(message(b))
    assert outbox.path_for(message(b)).name == "x_1.eml"


def test_outbox_write_failure_is_a_mail_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(MailError, match=r"not-a-folder.*contact@regie-nord\.example"):
        OutboxMailer(blocker).send(message())


@pytest.mark.integration
def test_smtp_delivers_both_parts(smtp_server: tuple[Controller, Inbox]) -> None:
    controller, inbox = smtp_server
    settings = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_timeout=5)
    digest = sample_digest()
    digest.actor = digest.actor.model_copy(
        update={
            "digest": digest.actor.digest.model_copy(
                update={"addresses": ["contact@regie-nord.example", "marches@regie-nord.example"]}
            )
        }
    )
    SmtpMailer(settings).send(message(digest, unsubscribe=UNSUBSCRIBE))
    assert len(inbox.envelopes) == 1
    envelope = inbox.envelopes[0]
    assert envelope.mail_from == "veille@veilleuse.example"
    assert envelope.rcpt_tos == ["contact@regie-nord.example", "marches@regie-nord.example"]
    assert isinstance(envelope.content, bytes)
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"].startswith("Veilleuse — 1 opportunité pour Régie de quartier Nord")
    assert received["To"].startswith('"Régie de quartier Nord, Nantes" <contact@regie-nord')
    assert received["Message-ID"] == message_id_for("regie-nord:2026-11-23")
    assert received["X-Veilleuse-Digest"] == "regie-nord:2026-11-23"
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>,".encode() in envelope.content
    assert received["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, {MAILTO}"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.iter_parts()
    assert "Date limite : avant le 12 décembre 2026 à 12\u00a0h\u00a000" in text.get_content()
    assert ">Nettoyage des bâtiments communaux</a>" in html.get_content()
    assert "<!DOCTYPE html>" in html.get_content()


@pytest.mark.integration
def test_smtp_login(smtp_server_with_auth: tuple[Controller, Inbox]) -> None:
    controller, inbox = smtp_server_with_auth
    good = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=controller.port,
        smtp_user="veille",
        smtp_password="s3cret",
        smtp_timeout=5,
    )
    SmtpMailer(good).send(message())
    assert len(inbox.envelopes) == 1
    bad = good.model_copy(update={"smtp_password": None})
    with pytest.raises(MailError, match=f"127.0.0.1:{controller.port}.*contact@regie-nord"):
        SmtpMailer(bad).send(message())
    assert len(inbox.envelopes) == 1


@pytest.mark.integration
def test_smtp_starttls_refused_by_server_is_a_mail_error(
    smtp_server: tuple[Controller, Inbox],
) -> None:
    controller, inbox = smtp_server
    settings = MailSettings(
        smtp_host="127.0.0.1", smtp_port=controller.port, smtp_starttls=True, smtp_timeout=5
    )
    with pytest.raises(MailError, match=f"SMTP 127.0.0.1:{controller.port}.*STARTTLS"):
        SmtpMailer(settings).send(message())
    assert inbox.envelopes == []


@pytest.mark.integration
def test_smtp_closed_port_names_host_port_and_recipient() -> None:
    port = free_port()  # nothing listens there any more
    settings = MailSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=5)
    with pytest.raises(MailError) as caught:
        SmtpMailer(settings).send(message())
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "contact@regie-nord.example" in str(caught.value)


def test_make_mailer_follows_the_mode(tmp_path: Path) -> None:
    outbox = make_mailer(Settings(data_dir=tmp_path, mail=MailSettings()))
    assert isinstance(outbox, OutboxMailer)
    assert outbox.folder == tmp_path / "outbox"
    smtp = make_mailer(
        Settings(data_dir=tmp_path, mail=MailSettings(mode=MailMode.SMTP, smtp_port=2525))
    )
    assert isinstance(smtp, SmtpMailer)
    assert smtp.settings.smtp_port == 2525


def alert(*links: str) -> EmailMessage:
    sections = [
        AlertSection(f"Recherche {i}", [], "https://veille.example/recherche", link, [])
        for i, link in enumerate(links, 1)
    ]
    built = Alert("alerte:7:2026-11-23", "Camille", "camille@reseau.example", "", "Nord", sections)
    return build_alert_message(
        built,
        RenderedDigest("s", "<p>h</p>", "t"),
        sender="a@b.example",
        reply_to="Chargée <veille@reseau.example>",
    )


def test_alerts_follow_the_same_unsubscribe_rules(tmp_path: Path) -> None:
    """Every search's link, then mailto: the reply-to address; one-click only with a single
    https link; written whole on the wire."""
    mailto = "<mailto:veille@reseau.example?subject=D%C3%A9sabonnement%20des%20alertes%20%28camille%40reseau.example%29>"
    one = alert(UNSUBSCRIBE)
    assert one["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, {mailto}"
    assert one["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    two = alert(UNSUBSCRIBE, UNSUBSCRIBE + "2")
    assert two["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, <{UNSUBSCRIBE}2>, {mailto}"
    assert two["List-Unsubscribe-Post"] is None
    assert alert("http://127.0.0.1:8000/alertes/desabonner/x")["List-Unsubscribe-Post"] is None
    OutboxMailer(tmp_path).send(one)
    assert (
        f"List-Unsubscribe: <{UNSUBSCRIBE}>,\r\n".encode() in next(tmp_path.iterdir()).read_bytes()
    )
