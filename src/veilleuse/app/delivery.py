"""Sending an e-mail already logged in `digests` (pending) and recording what happened.

Every e-mail to an actor — weekly digest, deadline reminder, the network's digest,
introduction — is logged with its whole message before it is sent (`records.digest_log`), then
sent here and marked `sent`; a failure leaves it for the next run, which resends the stored
message as it is (`resend_pending`), never a recomposed one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_string
from email.message import EmailMessage

from veilleuse.core.errors import MailError
from veilleuse.digests.mailer import MESSAGE_POLICY, Mailer
from veilleuse.records import digest_log
from veilleuse.records.db import Records


@dataclass
class Outcome:
    """What sending some logged e-mails did."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def deliver(records: Records, mailer: Mailer, digest_id: str, message: EmailMessage) -> str | None:
    """Send a logged e-mail and mark it; None when sent, else why not (left for the next run)."""
    try:
        mailer.send(message)
    except MailError as exc:
        digest_log.mark_digest(records, digest_id, "failed", str(exc))
        return str(exc)
    digest_log.mark_digest(records, digest_id, "sent")
    return None


def resend_pending(records: Records, mailer: Mailer) -> Outcome:
    """Send again, as stored, every e-mail a previous run logged and did not confirm."""
    outcome = Outcome()
    for pending in digest_log.unsent_digests(records):
        message = message_from_string(pending.message, policy=MESSAGE_POLICY)
        assert isinstance(message, EmailMessage)
        why = deliver(records, mailer, pending.digest_id, message)
        if why is None:
            outcome.sent.append(pending.digest_id)
        else:
            outcome.failed.append((pending.digest_id, why))
    return outcome
