"""Delivery hygiene of one message: a rate limit per SMTP server, retries with backoff on a
temporary refusal (4xx), and a permanent refusal (5xx) told apart, naming the addresses.

`send_with_hygiene` wraps any `Mailer`: a `MailError` whose cause is an SMTP reply is read for
its code — 5xx becomes `PermanentMailError` (the caller marks the addresses undeliverable and
does not try again), 4xx is retried within the run up to `retries` times after `backoff`,
2 × `backoff`, 4 × `backoff`… seconds, then raised as it is (the next run tries again). Other
failures (connection refused, timeout, outbox) are raised at once: the next run tries again.

The rate limit spaces the messages sent to one server (`host:port`) at least 60 / `per_minute`
seconds apart, across every caller of the process. `clock` and `sleep` are seams: tests replace
them and never sleep.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses

from veilleuse.core.errors import MailError
from veilleuse.digests.mailer import Mailer

#: seconds of a monotonic clock; a seam for tests
clock: Callable[[], float] = time.monotonic
#: waits that many seconds; a seam for tests
sleep: Callable[[float], None] = time.sleep


class PermanentMailError(MailError):
    """The server refused for good (5xx): `refused` maps each address to its code and reply.
    `partial`: other recipients of the message were accepted (it was delivered to them)."""

    def __init__(self, message: str, refused: dict[str, tuple[int, str]], partial: bool) -> None:
        super().__init__(message)
        self.refused = refused
        self.partial = partial

    @property
    def code(self) -> int:
        return min(code for code, _ in self.refused.values()) if self.refused else 550


@dataclass(frozen=True)
class Failure:
    """What an SMTP failure says: its code (None when no server reply), and per address."""

    code: int | None
    refused: dict[str, tuple[int, str]]


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def read_failure(exc: MailError) -> Failure:
    """The SMTP code of a mailer's failure, from the smtplib exception it was raised from."""
    cause = exc.__cause__
    if isinstance(cause, smtplib.SMTPRecipientsRefused):
        refused = {
            address: (int(code), _text(reply))
            for address, (code, reply) in cause.recipients.items()
        }
        codes = [code for code, _ in refused.values()]
        return Failure(min(codes) if codes else None, refused)
    if isinstance(cause, smtplib.SMTPResponseException):
        return Failure(int(cause.smtp_code), {})
    return Failure(None, {})


def recipients_of(message: EmailMessage) -> list[str]:
    """The addresses of the message's To (lower-case)."""
    return [a.lower() for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]


class RateLimiter:
    """At least 60 / `per_minute` seconds between two messages (0: no limit)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.next_at: float | None = None
        self.lock = threading.Lock()

    def wait(self) -> None:
        if self.per_minute <= 0:
            return
        gap = 60.0 / self.per_minute
        with self.lock:
            now = clock()
            if self.next_at is not None and now < self.next_at:
                sleep(self.next_at - now)
                now = self.next_at
            self.next_at = now + gap


_LIMITERS: dict[tuple[str, int], RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(server: str, per_minute: int) -> RateLimiter:
    """The process's limiter of one SMTP server at this rate."""
    with _LIMITERS_LOCK:
        return _LIMITERS.setdefault((server, per_minute), RateLimiter(per_minute))


def reset_limiters() -> None:
    """Forget every limiter (tests)."""
    with _LIMITERS_LOCK:
        _LIMITERS.clear()


def send_with_hygiene(
    mailer: Mailer,
    message: EmailMessage,
    *,
    server: str | None = None,
    per_minute: int = 0,
    retries: int = 0,
    backoff: float = 0.0,
) -> int:
    """Send `message` with the rules of the module docstring; returns the tries it took.
    Raises `PermanentMailError` for a 5xx, the last `MailError` otherwise."""
    limiter = limiter_for(server, per_minute) if server and per_minute > 0 else None
    attempt = 0
    while True:
        attempt += 1
        if limiter is not None:
            limiter.wait()
        try:
            mailer.send(message)
            return attempt
        except MailError as exc:
            failure = read_failure(exc)
            code = failure.code
            if code is not None and 500 <= code < 600:
                permanent = {a: r for a, r in failure.refused.items() if 500 <= r[0] < 600}
                if not permanent:  # the whole message refused (sender, data): every recipient
                    permanent = {a: (code, str(exc)) for a in recipients_of(message)}
                partial = bool(failure.refused) and len(failure.refused) < len(
                    recipients_of(message)
                )
                raise PermanentMailError(str(exc), permanent, partial) from exc
            if code is not None and 400 <= code < 500 and attempt <= retries:
                sleep(backoff * 2 ** (attempt - 1))
                continue
            raise
