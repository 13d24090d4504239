"""Sending an e-mail already logged in `digests` (pending) and recording what happened.

Every e-mail to an actor — weekly digest, deadline reminder, the network's digest,
introduction — is logged with its whole message before it is sent (`records.digest_log`), then
sent here and marked; a failure leaves it for the next run, which resends the stored message as
it is (`resend_pending`), never a recomposed one.

Delivery hygiene (`digests.delivery`), from the SMTP mailer's settings: at most
`mail.rate_per_minute` messages a minute to one server; a temporary refusal (4xx) is retried
within the run, `mail.retries` times with a growing pause (`mail.retry_backoff_seconds`); a
permanent refusal (5xx) marks the refused addresses undeliverable (`records.delivery`) and the
e-mail `undeliverable` — not resent run after run. Every mailing skips undeliverable addresses
(`deliverable`) until an officer clears them (`/diffusion/adresses`), which makes the e-mails
refused there `failed` again, so the next run resends them. A message that keeps failing for
now (4xx, server unreachable) is sent at most `mail.max_attempts` times across runs, then given
up (`abandoned`, named in that run's report) instead of being tried every run forever.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_string
from email.message import EmailMessage

from veilleuse.app.context import Context
from veilleuse.app.faults import fault_point
from veilleuse.app.territories import visible_actor_ids
from veilleuse.config.settings import MailSettings
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.errors import MailError, NotFoundError, PermissionDeniedError
from veilleuse.core.models import Actor
from veilleuse.digests.delivery import PermanentMailError, send_with_hygiene
from veilleuse.digests.mailer import MESSAGE_POLICY, Mailer
from veilleuse.records import actors as actor_records
from veilleuse.records import delivery as delivery_records
from veilleuse.records import digest_log
from veilleuse.records.db import Records


@dataclass
class Outcome:
    """What sending some logged e-mails did."""

    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def _policy(mailer: Mailer) -> dict[str, object]:
    """Rate, retries and server of an SMTP mailer (one with `MailSettings`); none otherwise."""
    settings = getattr(mailer, "settings", None)
    if not isinstance(settings, MailSettings):
        return {}
    return {
        "server": f"{settings.smtp_host}:{settings.smtp_port}",
        "per_minute": settings.rate_per_minute,
        "retries": settings.retries,
        "backoff": settings.retry_backoff_seconds,
    }


def deliver(records: Records, mailer: Mailer, digest_id: str, message: EmailMessage) -> str | None:
    """Send a logged e-mail and record the outcome; None when sent (to every address or, after
    a partial 5xx, to those accepted), else why not (see the module docstring)."""
    try:
        send_with_hygiene(mailer, message, **_policy(mailer))  # type: ignore[arg-type]
    except PermanentMailError as exc:
        delivery_records.mark_undeliverable(records, exc.refused, digest_id, datetime.now(UTC))
        if exc.partial:  # delivered to the other addresses
            delivery_records.record_attempt(records, digest_id, "sent", str(exc))
            return None
        address = next(iter(sorted(exc.refused)), None)
        delivery_records.record_attempt(records, digest_id, "undeliverable", str(exc), address)
        return str(exc)
    except MailError as exc:
        delivery_records.record_attempt(records, digest_id, "failed", str(exc))
        return str(exc)
    fault_point("delivery.sent")  # test-only: the one window where a kill duplicates a message
    delivery_records.record_attempt(records, digest_id, "sent")
    return None


def give_up(records: Records, mailer: Mailer, pending: digest_log.PendingDigest) -> str | None:
    """Why a logged e-mail is no longer sent — tried `mail.max_attempts` times across runs
    (marked `abandoned`) — or None while it may be tried again."""
    settings = getattr(mailer, "settings", None)
    bound = settings.max_attempts if isinstance(settings, MailSettings) else 0
    if bound <= 0 or pending.attempts < bound:
        return None
    why = f"abandonné après {pending.attempts} tentatives d'envoi"
    digest_log.mark_digest(records, pending.digest_id, "abandoned", why)
    return why


def resend_pending(records: Records, mailer: Mailer) -> Outcome:
    """Send again, as stored, every e-mail a previous run logged and did not confirm (but those
    tried `mail.max_attempts` times, given up)."""
    outcome = Outcome()
    for pending in digest_log.unsent_digests(records):
        if (why := give_up(records, mailer, pending)) is not None:
            outcome.failed.append((pending.digest_id, why))
            continue
        message = message_from_string(pending.message, policy=MESSAGE_POLICY)
        assert isinstance(message, EmailMessage)
        why = deliver(records, mailer, pending.digest_id, message)
        if why is None:
            outcome.sent.append(pending.digest_id)
        else:
            outcome.failed.append((pending.digest_id, why))
    return outcome


def deliverable(actor: Actor, blocked: Collection[str]) -> Actor | None:
    """The actor with its undeliverable addresses left out of its recipients (the same actor
    when none is), or None when none is left."""
    addresses = actor.digest_recipients()
    kept = [a for a in addresses if a.strip().lower() not in blocked]
    if not kept:
        return None
    if len(kept) == len(addresses):
        return actor
    return actor.model_copy(update={"digest": actor.digest.model_copy(update={"addresses": kept})})


# --------------------------------------------------------------------------- the officer's page


@dataclass(frozen=True)
class UndeliverableLine:
    entry: delivery_records.UndeliverableAddress
    #: names of the actors (of the user's territories) that have this address
    actors: list[str]


def undeliverable_for(ctx: Context, user: User) -> list[UndeliverableLine]:
    """The undeliverable addresses of the actors the user sees (an admin: every one), latest
    first; needs `notice.push`."""
    _need_push(user)
    entries = delivery_records.undeliverable_addresses(ctx.records)
    allowed = visible_actor_ids(ctx, user)
    actors = actor_records.list_actors(ctx.records, active_only=False)
    owners: dict[str, list[str]] = {}
    for actor in actors:
        if allowed is not None and actor.id not in allowed:
            continue
        for address in actor.digest_recipients():
            owners.setdefault(address.strip().lower(), []).append(actor.name)
    return [
        UndeliverableLine(e, sorted(owners.get(e.address, [])))
        for e in entries
        if allowed is None or e.address in owners
    ]


def clear_undeliverable(ctx: Context, user: User, address: str) -> int:
    """The officer says the address works again (see the module docstring); returns how many
    e-mails will be resent. `NotFoundError` for an address it does not see."""
    shown = {line.entry.address for line in undeliverable_for(ctx, user)}
    key = address.strip().lower()
    if key not in shown:
        raise NotFoundError(f"adresse inconnue : {address!r}")
    return delivery_records.clear_address(ctx.records, key, user.email, ctx.now())


def _need_push(user: User) -> None:
    if not can(user, Permission.NOTICE_PUSH):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de gérer les adresses refusées."
        )
