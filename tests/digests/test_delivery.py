"""Delivery hygiene of one message, without a server and without sleeping: SMTP codes read
from the mailer's failure, the rate limit on an injected clock, retries with backoff on 4xx,
5xx told apart with its addresses."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from veilleuse.core.errors import MailError
from veilleuse.digests import delivery
from veilleuse.digests.delivery import (
    PermanentMailError,
    RateLimiter,
    read_failure,
    send_with_hygiene,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTime]:
    fake = FakeTime()
    monkeypatch.setattr(delivery, "clock", fake.clock)
    monkeypatch.setattr(delivery, "sleep", fake.sleep)
    delivery.reset_limiters()
    yield fake
    delivery.reset_limiters()


def failing(cause: BaseException) -> MailError:
    try:
        raise MailError("SMTP 127.0.0.1:25: could not send") from cause
    except MailError as exc:
        return exc


class Scripted:
    """A mailer whose sends fail with the given errors, in order, then succeed."""

    def __init__(self, *errors: MailError) -> None:
        self.errors = list(errors)
        self.sends = 0

    def send(self, message: EmailMessage) -> None:
        self.sends += 1
        if self.errors:
            raise self.errors.pop(0)


def message(*to: str) -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = ", ".join(to or ("a@example.org",))
    return msg


REFUSED = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 User unknown")})
BUSY = smtplib.SMTPRecipientsRefused({"a@example.org": (451, b"4.7.1 Greylisted")})


def test_the_code_is_read_from_the_smtp_reply() -> None:
    refused = read_failure(failing(REFUSED))
    assert refused.code == 550 and refused.refused == {"a@example.org": (550, "5.1.1 User unknown")}
    assert read_failure(failing(smtplib.SMTPDataError(554, b"spam"))).code == 554
    assert read_failure(failing(ConnectionRefusedError(111, "refused"))).code is None
    assert read_failure(MailError("outbox: disk full")).code is None


def test_the_rate_limit_spaces_messages_on_the_clock(fake_time: FakeTime) -> None:
    limiter = RateLimiter(per_minute=30)
    for _ in range(4):
        limiter.wait()
    assert fake_time.slept == [2.0, 2.0, 2.0]
    fake_time.now += 10  # a pause longer than the gap: no wait
    limiter.wait()
    assert fake_time.slept == [2.0, 2.0, 2.0]
    RateLimiter(per_minute=0).wait()  # no limit


def test_one_limiter_per_server(fake_time: FakeTime) -> None:
    mailer = Scripted()
    for server in ("a:25", "b:25", "a:25"):
        send_with_hygiene(mailer, message(), server=server, per_minute=60)
    assert fake_time.slept == [1.0]  # only the second message to a:25 waited


def test_a_4xx_is_retried_with_backoff_then_succeeds(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(BUSY), failing(BUSY))
    tries = send_with_hygiene(mailer, message(), retries=2, backoff=3.0)
    assert tries == 3 and fake_time.slept == [3.0, 6.0]


def test_retries_are_bounded(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(BUSY), failing(BUSY), failing(BUSY))
    with pytest.raises(MailError) as caught:
        send_with_hygiene(mailer, message(), retries=1, backoff=1.0)
    assert not isinstance(caught.value, PermanentMailError)
    assert mailer.sends == 2 and fake_time.slept == [1.0]


def test_a_5xx_is_permanent_and_not_retried(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(REFUSED))
    with pytest.raises(PermanentMailError) as caught:
        send_with_hygiene(mailer, message(), retries=3, backoff=1.0)
    assert caught.value.refused == {"a@example.org": (550, "5.1.1 User unknown")}
    assert caught.value.code == 550 and not caught.value.partial
    assert mailer.sends == 1 and fake_time.slept == []


def test_a_5xx_for_one_of_two_addresses_is_partial(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(REFUSED))
    with pytest.raises(PermanentMailError) as caught:
        send_with_hygiene(mailer, message("a@example.org", "b@example.org"))
    assert caught.value.partial and list(caught.value.refused) == ["a@example.org"]


def test_a_5xx_of_the_whole_message_names_every_recipient(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(smtplib.SMTPDataError(554, b"5.7.1 rejected")))
    with pytest.raises(PermanentMailError) as caught:
        send_with_hygiene(mailer, message("Régie <A@example.org>", "b@example.org"))
    assert sorted(caught.value.refused) == ["a@example.org", "b@example.org"]


def test_a_connection_failure_is_not_retried_within_the_run(fake_time: FakeTime) -> None:
    mailer = Scripted(failing(ConnectionRefusedError(111, "refused")))
    with pytest.raises(MailError):
        send_with_hygiene(mailer, message(), retries=3, backoff=1.0)
    assert mailer.sends == 1
