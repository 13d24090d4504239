"""Delivery hygiene against a real SMTP server on loopback (aiosmtpd, tests/smtp_server.py)
that refuses one address for good (550) and another for a while (451, then accepts): for the
weekly digest and for every new kind of e-mail — reminder, introduction, the network's digest.
The clock and the pauses of `digests.delivery` are replaced: nothing sleeps. Actors, notices
and matches are constructed (tests/mail_world.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from mail_world import NOW, actor, interest, make_ctx, notice, seed
from smtp_server import Inbox, smtp_server
from veilleuse.app.context import Context
from veilleuse.app.delivery import clear_undeliverable, undeliverable_for
from veilleuse.app.digest import digest_stage
from veilleuse.app.introductions import request_introductions
from veilleuse.app.network_digest import NetworkDigestForm, send_network_digest
from veilleuse.app.reminders import send_reminders
from veilleuse.config.settings import MailSettings
from veilleuse.core.accounts import Role, User
from veilleuse.core.models import Match
from veilleuse.digests import delivery
from veilleuse.digests.mailer import SmtpMailer
from veilleuse.records import delivery as delivery_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records

pytestmark = pytest.mark.integration

OFFICER = User(
    id=1, email="veille@valenciennes.test", role=Role.OFFICER, territory_id="valenciennes"
)
REFUSED, BUSY, FINE = "refuse@example.org", "busy@example.org", "ok@example.org"


class FakeTime:
    def __init__(self) -> None:
        self.now, self.slept = 0.0, []  # type: ignore[var-annotated]

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


@pytest.fixture
def server() -> Iterator[tuple[Controller, Inbox]]:
    with smtp_server() as (controller, inbox):
        inbox.refused.add(REFUSED)
        inbox.busy[BUSY] = 1
        yield controller, inbox


def make(tmp_path: Path, port: int, **mail: object) -> Context:
    settings = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout=5,
        retries=2,
        retry_backoff_seconds=5.0,
        **mail,  # type: ignore[arg-type]
    )
    return make_ctx(tmp_path, mailer=SmtpMailer(settings), mail=settings)


def actors() -> list:  # type: ignore[type-arg]
    return [actor("refuse", "Refusée"), actor("busy", "Occupée"), actor("ok", "Sans souci")]


def matched(ctx: Context, *uids: str) -> None:
    match_records.save_matches(
        ctx.records,
        [Match(actor_id=a, notice_uid=u, score=60) for a in ("refuse", "busy", "ok") for u in uids],
    )


def status(ctx: Context, digest_id: str) -> str:
    from veilleuse.records.tables import DigestRow

    with ctx.records.session() as s:
        row = s.get(DigestRow, digest_id)
        assert row is not None
        return row.status


def test_weekly_digest_550_is_permanent_until_cleared_and_451_is_retried(
    tmp_path: Path, server: tuple[Controller, Inbox], fake_time: FakeTime
) -> None:
    controller, inbox = server
    with make(tmp_path, controller.port) as ctx:
        seed(ctx, actors(), [notice("boamp:1", "Nettoyage")])
        matched(ctx, "boamp:1")
        first = digest_stage(ctx, [], NOW)
        assert sorted(first.sent) == ["busy:2026-12-01", "ok:2026-12-01"]
        assert [d for d, _ in first.failed] == ["refuse:2026-12-01"]
        assert "550" in first.failed[0][1]
        assert fake_time.slept == [5.0]  # one pause before the 451 was retried
        assert [c for a, c in inbox.answers if a == BUSY] == ["451", "250"]
        assert status(ctx, "refuse:2026-12-01") == "undeliverable"
        assert delivery_records.blocked_addresses(ctx.records) == {REFUSED}
        # next week: the refused address is skipped, its digest is not tried again
        ctx.store.write([notice("boamp:2", "Vitrerie")])
        matched(ctx, "boamp:2")
        second = digest_stage(ctx, [], NOW + timedelta(days=7))
        assert second.undeliverable == ["refuse"] and second.resent == []
        assert [a for a, _ in inbox.answers].count(REFUSED) == 1
        # the officer clears it (the mailbox works again): the stored digest goes out as it was
        (line,) = undeliverable_for(ctx, OFFICER)
        assert line.entry.address == REFUSED and line.actors == ["Refusée"]
        assert line.entry.waiting == 1 and line.entry.code == 550
        inbox.refused.clear()
        assert clear_undeliverable(ctx, OFFICER, REFUSED) == 1
        third = digest_stage(ctx, [], NOW + timedelta(days=14))
        assert third.resent == ["refuse:2026-12-01"]
        assert status(ctx, "refuse:2026-12-01") == "sent"
        assert delivery_records.blocked_addresses(ctx.records) == set()


def test_a_550_for_one_of_two_addresses_still_delivers_to_the_other(
    tmp_path: Path, server: tuple[Controller, Inbox], fake_time: FakeTime
) -> None:
    controller, inbox = server
    with make(tmp_path, controller.port) as ctx:
        two = actor("ok", "Sans souci", digest={"addresses": [FINE, REFUSED]})
        seed(ctx, [two], [notice("boamp:1", "Nettoyage")])
        match_records.save_matches(
            ctx.records, [Match(actor_id="ok", notice_uid="boamp:1", score=60)]
        )
        report = digest_stage(ctx, [], NOW)
        assert report.sent == ["ok:2026-12-01"] and status(ctx, "ok:2026-12-01") == "sent"
        assert inbox.envelopes[0].rcpt_tos == [FINE]
        assert delivery_records.blocked_addresses(ctx.records) == {REFUSED}
        ctx.store.write([notice("boamp:2", "Vitrerie")])
        match_records.save_matches(
            ctx.records, [Match(actor_id="ok", notice_uid="boamp:2", score=60)]
        )
        digest_stage(ctx, [], NOW + timedelta(days=7))
        assert inbox.envelopes[1].rcpt_tos == [FINE]
        assert REFUSED not in str(inbox.messages()[1]["To"])


def test_the_rate_limit_spaces_the_messages_to_the_server(
    tmp_path: Path, server: tuple[Controller, Inbox], fake_time: FakeTime
) -> None:
    controller, inbox = server
    with make(tmp_path, controller.port, rate_per_minute=120) as ctx:
        seed(ctx, [actor("a1"), actor("a2"), actor("a3")], [notice("boamp:1", "Nettoyage")])
        match_records.save_matches(
            ctx.records,
            [Match(actor_id=a, notice_uid="boamp:1", score=60) for a in ("a1", "a2", "a3")],
        )
        digest_stage(ctx, [], NOW)
    assert len(inbox.envelopes) == 3 and fake_time.slept == [0.5, 0.5]


def _reminders(ctx: Context) -> list[str]:
    seed(ctx, actors(), [notice("boamp:1", "Nettoyage", days=3)])
    for a in ("refuse", "busy", "ok"):
        interest(ctx, a, "boamp:1")
    report = send_reminders(ctx, NOW)
    return sorted([*report.sent, *(d for d, _ in report.failed)])


def _introductions(ctx: Context) -> list[str]:
    seed(ctx, [*actors(), actor("asker", "Demandeuse")], [notice("boamp:1", "Nettoyage")])
    report = request_introductions(
        ctx,
        "boamp:1",
        ["refuse", "busy", "ok"],
        requester_id="asker",
        requester_accepted=True,
        now=NOW,
    )
    return sorted([*report.sent, *(d for d, _ in report.failed)])


def _curated(ctx: Context) -> list[str]:
    seed(ctx, actors(), [notice("boamp:1", "Nettoyage")])
    form = NetworkDigestForm("valenciennes", ["boamp:1"], "Une sélection.")
    report = send_network_digest(ctx, OFFICER, form, now=NOW)
    return sorted([*report.sent, *(d for d, _ in report.failed)])


@pytest.mark.parametrize("run", [_reminders, _introductions, _curated])
def test_every_new_kind_of_e_mail_550_and_451_then_success(
    tmp_path: Path,
    server: tuple[Controller, Inbox],
    fake_time: FakeTime,
    run: Callable[[Context], list[str]],
) -> None:
    controller, inbox = server
    with make(tmp_path, controller.port) as ctx:
        ids = run(ctx)
        assert len(ids) == 3
        assert sorted(status(ctx, digest_id) for digest_id in ids) == [
            "sent",
            "sent",
            "undeliverable",
        ]
        assert delivery_records.blocked_addresses(ctx.records) == {REFUSED}
        assert digest_log.unsent_digests(ctx.records) == []  # the refused one is not resent
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [BUSY, FINE]
    assert [c for a, c in inbox.answers if a == BUSY] == ["451", "250"]
    assert fake_time.slept == [5.0]
