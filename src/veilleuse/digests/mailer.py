"""Turn a rendered digest into an e-mail and deliver it: to an outbox folder or over SMTP.

`Mailer` is the seam; both implementations are real (files on disk, a real SMTP session).
The Message-ID derives from the digest id, so a digest re-sent after a crash is recognisably
the same message, and the outbox keeps one file per digest id.
"""

from __future__ import annotations

import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from veilleuse.config.settings import MailMode, MailSettings, Settings
from veilleuse.core.errors import MailError
from veilleuse.digests.compose import Digest
from veilleuse.digests.render import RenderedDigest

DIGEST_HEADER = "X-Veilleuse-Digest"
ALERT_HEADER = "X-Veilleuse-Alert"  # saved-search alerts (digests/alerts.py)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def header_text(text: str) -> str:
    """`text` on one line for a header (a display name, a subject): control characters become
    spaces. Actors stored before the import refused them (a CR/LF in a name) must neither break
    a message nor inject a header."""
    return " ".join(_CONTROL.sub(" ", text).split())


def header_token(text: str) -> str:
    """`text` for a header that names something (a digest id): each control character as
    `%XX`, so distinct ids stay distinct and the header stays one line."""
    return _CONTROL.sub(lambda m: f"%{ord(m.group()):02X}", text)


class _UrlListHeader(UnstructuredHeader):  # combined with BaseHeader by the registry
    """`List-Unsubscribe`: folded after its commas only and never encoded, so each URL reaches
    the receiving side as written (RFC 2369: a client reads the URLs between angle brackets;
    the default policy would turn a URL longer than a line into RFC 2047 encoded words)."""

    def fold(self, *, policy: Policy) -> str:
        parts = [p.strip() for p in re.split(r"(?<=>)\s*,", str(self)) if p.strip()]
        name = getattr(self, "name", "List-Unsubscribe")  # set by BaseHeader
        return f"{name}: " + f",{policy.linesep} ".join(parts) + policy.linesep


def _header_registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", _UrlListHeader)  # type: ignore[arg-type]
    return registry


#: the policy of every message Veilleuse builds, stores, parses back and sends (digests and
#: alerts): the default one, with `List-Unsubscribe` written as it is
MESSAGE_POLICY = policy.default.clone(header_factory=_header_registry())
#: the same on the wire and in the outbox (CRLF line ends)
WIRE_POLICY = MESSAGE_POLICY.clone(linesep="\r\n")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def message_id_for(digest_id: str) -> str:
    """'<sha1(digest_id)@veilleuse>': the same digest always has the same Message-ID."""
    return f"<{hashlib.sha1(digest_id.encode('utf-8')).hexdigest()}@veilleuse>"


def unsubscribe_headers(
    message: EmailMessage, urls: Sequence[str], reply_to: str | None, subject: str
) -> None:
    """`List-Unsubscribe` (RFC 2369): the `urls`, then `mailto:` the reply-to address with
    `subject` when there is one; `List-Unsubscribe-Post` (RFC 8058 one-click) only when the
    header holds exactly one URL and it is https, as the RFC requires."""
    links = [f"<{url}>" for url in urls]
    address = parseaddr(reply_to or "")[1]
    if "@" in address and not any(c in address for c in "<>?,\r\n "):
        links.append(f"<mailto:{address}?subject={quote(subject, safe='')}>")
    if not links:
        return
    message["List-Unsubscribe"] = ", ".join(links)
    if len(urls) == 1 and urls[0].startswith("https://"):
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"


def build_message(
    digest: Digest,
    rendered: RenderedDigest,
    *,
    sender: str,
    reply_to: str | None,
    unsubscribe_url: str | None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text first, HTML preferred) to the actor's digest
    recipients (`Actor.digest_recipients`: the addresses of its preferences, else its first
    e-mail), all in `To:` — one message, one Message-ID.

    `unsubscribe_url` is the actor's own signed unsubscribe link: it goes in `List-Unsubscribe`
    (with `mailto:` the reply-to address) and makes the message one-click (RFC 8058) when https.
    """
    addresses = digest.actor.digest_recipients()
    if not addresses:
        raise MailError(
            f"digest {digest.digest_id}: actor {digest.actor.id!r} has no e-mail address"
        )
    message = EmailMessage(policy=MESSAGE_POLICY)
    try:
        message["From"] = sender
        name = header_text(digest.actor.name)
        message["To"] = [Address(display_name=name, addr_spec=a) for a in addresses]
        if reply_to:
            message["Reply-To"] = reply_to
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise MailError(f"digest {digest.digest_id}: invalid address ({exc})") from exc
    message["Subject"] = header_text(rendered.subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id_for(digest.digest_id)
    message[DIGEST_HEADER] = header_token(digest.digest_id)
    message["Auto-Submitted"] = "auto-generated"  # no vacation replies to a robot
    message["Content-Language"] = "fr"
    unsubscribe_headers(
        message,
        [unsubscribe_url] if unsubscribe_url else [],
        reply_to,
        f"Désabonnement de la veille ({digest.actor.id})",
    )
    # quoted-printable keeps the message 7-bit: safe for any relay and for as_string() storage
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def _recipients(message: EmailMessage) -> str:
    return ", ".join(str(v) for v in message.get_all("To", [])) or "(no recipient)"


class OutboxMailer:
    """Writes each message to `<folder>/<digest or alert id>.eml`; re-sending overwrites its file."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, message: EmailMessage) -> Path:
        key = message.get(DIGEST_HEADER) or message.get(ALERT_HEADER) or message.get("Message-ID")
        if not key:
            raise MailError(
                f"outbox {self.folder}: message has none of {DIGEST_HEADER}, {ALERT_HEADER}, "
                "Message-ID"
            )
        key = str(key).strip()
        safe = _UNSAFE.sub("_", key).strip("._") or "digest"
        if safe != key:  # keep distinct ids distinct after cleaning ("a:b" vs "a_b")
            safe = f"{safe}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:8]}"
        return self.folder / f"{safe}.eml"

    def send(self, message: EmailMessage) -> None:
        target = self.path_for(message)
        data = message.as_bytes(policy=WIRE_POLICY)
        temp: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".eml.tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
            temp = None
        except OSError as exc:
            raise MailError(
                f"outbox: cannot write {target} for {_recipients(message)}: {exc}"
            ) from exc
        finally:
            if temp is not None:
                Path(temp).unlink(missing_ok=True)


class SmtpMailer:
    """Sends over SMTP with smtplib: STARTTLS and login when configured, one session per message."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        where = f"{s.smtp_host}:{s.smtp_port}"
        recipients = _recipients(message)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_user:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_user, password)
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"SMTP {where}: could not send to {recipients}: {exc}") from exc
        if refused:  # some recipients refused, the others accepted: the codes ride along
            raise MailError(f"SMTP {where}: recipients refused: {refused}") from (
                smtplib.SMTPRecipientsRefused(refused)
            )


def make_mailer(settings: Settings) -> Mailer:
    """The mailer the settings ask for: 'outbox' (default, writes .eml files) or 'smtp'."""
    if settings.mail.mode == MailMode.SMTP:
        return SmtpMailer(settings.mail)
    return OutboxMailer(settings.outbox_dir())
