"""Deadline reminders over a real records database, the embedded store and a recording mailer:
due or not, by e-mail or in the next digest, never twice — even after a crash between logging
and sending. Actors, notices and interests are constructed (tests/mail_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mail_world import (
    NOW,
    TODAY,
    RecordingMailer,
    actor,
    interest,
    mail_error,
    make_ctx,
    notice,
    seed,
)
from veilleuse.app.context import Context
from veilleuse.app.digest import digest_stage
from veilleuse.app.reminders import due_reminders, send_reminders
from veilleuse.core.models import Lot, Match, NoticeStatus
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records
from veilleuse.records import reminders as reminder_records


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with make_ctx(tmp_path) as context:
        seed(
            context,
            [actor("regie", "Régie de quartier"), actor("esat", "ESAT du Hainaut")],
            [
                notice("boamp:1", "Nettoyage des écoles", days=4),
                notice("boamp:2", "Espaces verts", days=12),
                notice("boamp:3", "Vitrerie", days=3, status=NoticeStatus.CLOSED),
                notice("boamp:4", "Restauration", days=-1),
                notice("boamp:5", "Sans date limite", days=None),
            ],
        )
        yield context


def mailer(ctx: Context) -> RecordingMailer:
    assert isinstance(ctx.mailer, RecordingMailer)
    return ctx.mailer


def test_only_due_open_notices_are_reminded(ctx: Context) -> None:
    for uid in ("boamp:1", "boamp:2", "boamp:3", "boamp:4", "boamp:5"):
        interest(ctx, "regie", uid)
    due = due_reminders(ctx, NOW)
    assert {a: [line.uid for line in lines] for a, lines in due.items()} == {"regie": ["boamp:1"]}
    # eight days later the second one is due; the first one's deadline is past
    later = due_reminders(ctx, NOW + timedelta(days=8))
    assert [line.uid for line in later["regie"]] == ["boamp:2"]


def test_a_reminder_goes_by_e_mail_once(ctx: Context) -> None:
    interest(ctx, "regie", "boamp:1")
    report = send_reminders(ctx, NOW)
    assert report.sent == ["rappel:regie:2026-12-01"] and report.reminders == 1
    (message,) = mailer(ctx).messages
    assert message["To"] == "Régie de quartier <regie@example.org>"
    assert message["Subject"] == (
        "Veilleuse — rappel : date limite dans 4 jours pour « Nettoyage des écoles »"
    )
    assert "au plus tard le 5 décembre 2026 (4 jours restants)" in mailer(ctx).text(message)
    assert "Me désabonner : http://127.0.0.1:8000/lien/" in mailer(ctx).text(message)
    assert "http://127.0.0.1:8000/lien/" in str(message["List-Unsubscribe"])
    again = send_reminders(ctx, NOW + timedelta(hours=1))
    assert again.sent == [] and again.reminders == 0
    tomorrow = send_reminders(ctx, NOW + timedelta(days=1))
    assert tomorrow.sent == [] and len(mailer(ctx).messages) == 1
    assert reminder_records.reminded_pairs(ctx.records) == {("regie", "boamp:1")}


def test_the_deadline_of_the_actors_lots_counts(ctx: Context) -> None:
    lots = [
        Lot(id="1", title="Lot tôt", deadline=TODAY + timedelta(days=2)),
        Lot(id="2", title="Lot tard", deadline=TODAY + timedelta(days=20)),
    ]
    ctx.store.write([notice("boamp:6", "Deux lots", days=None, lots=lots)])
    match_records.save_matches(
        ctx.records, [Match(actor_id="esat", notice_uid="boamp:6", score=60, lot_ids=["1"])]
    )
    interest(ctx, "regie", "boamp:6")  # no match: the notice as a whole, its latest lot
    interest(ctx, "esat", "boamp:6")  # its match names lot 1: the early deadline
    due = due_reminders(ctx, NOW)
    assert "regie" not in due
    assert [(line.uid, line.deadline) for line in due["esat"]] == [
        ("boamp:6", TODAY + timedelta(days=2))
    ]


def test_modified_when_corrected_or_changed_since_the_interest(ctx: Context) -> None:
    seen = ctx.store.get("boamp:1")
    assert seen is not None
    interest(ctx, "regie", "boamp:1", content_hash=seen.content_hash)
    interest(ctx, "esat", "boamp:1", content_hash=seen.content_hash)
    assert [line.modified for line in due_reminders(ctx, NOW)["regie"]] == [False]
    changed = seen.model_copy(update={"title": "Nettoyage des écoles (rectifié)"}).with_hash()
    ctx.store.write([changed])
    report = send_reminders(ctx, NOW)
    assert report.reminders == 2 and report.modified == 2
    assert all("[modifié]" in mailer(ctx).text(m) for m in mailer(ctx).messages)


def test_duplicates_from_other_sources_are_reminded_once(ctx: Context) -> None:
    ctx.store.write(
        [
            notice("boamp:1", "Nettoyage des écoles", days=4, also_in=["ted:9"]),
            notice("ted:9", "Cleaning of schools", days=4, also_in=["boamp:1"]),
        ]
    )
    interest(ctx, "regie", "boamp:1")
    interest(ctx, "regie", "ted:9")
    assert [line.uid for line in due_reminders(ctx, NOW)["regie"]] == ["boamp:1"]
    send_reminders(ctx, NOW)
    assert due_reminders(ctx, NOW + timedelta(hours=2)) == {}


def test_unsubscribed_actors_get_none_and_paused_ones_get_an_e_mail(ctx: Context) -> None:
    from veilleuse.records import actors as actor_records

    paused = actor("regie", "Régie de quartier", digest={"enabled": False})
    gone = actor("esat", "ESAT du Hainaut", digest={"enabled": False, "unsubscribed_at": NOW})
    actor_records.upsert_actors(ctx.records, [paused, gone])
    interest(ctx, "regie", "boamp:1")
    interest(ctx, "esat", "boamp:1")
    report = send_reminders(ctx, NOW)
    assert report.sent == ["rappel:regie:2026-12-01"]
    assert mailer(ctx).to("esat@example.org") == []


def _weekly_digest_logged(ctx: Context, at: datetime) -> None:
    """The actor got its weekly digest at `at` (a sent row of the log, nothing in it)."""
    digest_log.reserve_digest(ctx.records, f"regie:{at.date().isoformat()}", "regie", at, "x", [])
    digest_log.mark_digest(ctx.records, f"regie:{at.date().isoformat()}", "sent")


def test_a_reminder_waits_for_a_digest_that_comes_in_time(ctx: Context) -> None:
    interest(ctx, "regie", "boamp:1")  # deadline: the 5th, end of day
    _weekly_digest_logged(ctx, NOW - timedelta(days=6, hours=1))  # next one: tomorrow 7:00
    report = send_reminders(ctx, NOW)
    assert report.sent == [] and report.deferred == [("regie", "boamp:1")]
    # the digest stage carries it the next morning, with no match of its own
    stage = digest_stage(ctx, [], NOW + timedelta(days=1))
    assert stage.sent == ["regie:2026-12-02"] and stage.reminders == 1 and stage.items == 0
    (message,) = mailer(ctx).messages
    assert message["Subject"].startswith("Veilleuse — rappel de date limite pour Régie")
    assert "DATE LIMITE PROCHE" in mailer(ctx).text(message)
    # and never again, by e-mail or in a digest
    assert send_reminders(ctx, NOW + timedelta(days=2)).sent == []
    assert due_reminders(ctx, NOW + timedelta(days=2)) == {}


def test_a_late_digest_does_not_hold_the_reminder_back(ctx: Context) -> None:
    interest(ctx, "regie", "boamp:1")
    _weekly_digest_logged(ctx, NOW - timedelta(days=9))  # expected two days ago: it did not run
    assert send_reminders(ctx, NOW).sent == ["rappel:regie:2026-12-01"]


def test_a_digest_too_close_to_the_deadline_does_not_hold_it_back(ctx: Context) -> None:
    interest(ctx, "regie", "boamp:1")  # deadline: the 5th
    _weekly_digest_logged(ctx, NOW - timedelta(days=2))  # next one: the 6th, too late
    assert send_reminders(ctx, NOW).sent == ["rappel:regie:2026-12-01"]


def test_a_failed_send_is_resent_as_it_was_and_nothing_twice(ctx: Context) -> None:
    interest(ctx, "regie", "boamp:1")
    mailer(ctx).fail.append(mail_error())
    first = send_reminders(ctx, NOW)
    assert first.sent == [] and [m for m, _ in first.failed] == ["rappel:regie:2026-12-01"]
    (logged,) = digest_log.unsent_digests(ctx.records)
    second = send_reminders(ctx, NOW + timedelta(hours=3))
    assert second.resent == ["rappel:regie:2026-12-01"] and second.sent == []
    (message,) = mailer(ctx).messages
    assert message.as_string() == logged.message or message["Message-ID"] in logged.message
    assert digest_log.unsent_digests(ctx.records) == []


class Crash(BaseException):
    """The process dies between logging the e-mail and sending it (not an error it handles)."""


def test_a_crash_between_logging_and_sending_loses_nothing_and_sends_nothing_twice(
    ctx: Context,
) -> None:
    interest(ctx, "regie", "boamp:1")
    interest(ctx, "esat", "boamp:1")
    mailer(ctx).fail.append(Crash())
    with pytest.raises(Crash):
        send_reminders(ctx, NOW)
    logged = {p.digest_id: p.message for p in digest_log.unsent_digests(ctx.records)}
    assert list(logged) == ["rappel:esat:2026-12-01"]  # the first actor's, logged, not sent
    rerun = send_reminders(ctx, NOW + timedelta(minutes=5))
    assert rerun.resent == ["rappel:esat:2026-12-01"]
    assert rerun.sent == ["rappel:regie:2026-12-01"]
    ids = [str(m["Message-ID"]) for m in mailer(ctx).messages]
    assert len(ids) == len(set(ids)) == 2
    resent = mailer(ctx).to("esat@example.org")[0]
    assert str(resent["Message-ID"]) in logged["rappel:esat:2026-12-01"]
    assert reminder_records.reminded_pairs(ctx.records) == {
        ("regie", "boamp:1"),
        ("esat", "boamp:1"),
    }
    assert send_reminders(ctx, NOW + timedelta(hours=1)).sent == []


def test_no_reminder_for_an_actor_without_address(ctx: Context) -> None:
    from veilleuse.records import actors as actor_records

    actor_records.upsert_actors(ctx.records, [actor("regie", "Régie", contacts=[])])
    interest(ctx, "regie", "boamp:1")
    report = send_reminders(ctx, NOW)
    assert report.no_address == ["regie"] and report.sent == []
    assert reminder_records.reminded_pairs(ctx.records) == set()  # still due when it has one


@pytest.mark.integration
def test_a_reminder_over_a_real_smtp_server(tmp_path: Path) -> None:
    from smtp_server import smtp_server
    from veilleuse.config.settings import MailSettings
    from veilleuse.digests.mailer import SmtpMailer

    with smtp_server() as (controller, inbox):
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_timeout=5)
        with make_ctx(tmp_path, mailer=SmtpMailer(mail), mail=mail) as context:
            seed(context, [actor("regie", "Régie de quartier")], [notice("boamp:1", "Tri", days=2)])
            interest(context, "regie", "boamp:1")
            report = send_reminders(context, NOW)
    assert report.sent == ["rappel:regie:2026-12-01"]
    (received,) = inbox.messages()
    assert inbox.envelopes[0].rcpt_tos == ["regie@example.org"]
    assert received["Subject"] == "Veilleuse — rappel : date limite dans 2 jours pour « Tri »"
    text, html = received.iter_parts()
    assert "au plus tard le 3 décembre 2026 (2 jours restants)" in text.get_content()
    assert "<!DOCTYPE html>" in html.get_content()


def test_a_digest_carrying_a_reminder_that_crashed_is_resent_and_reminds_once(
    ctx: Context,
) -> None:
    interest(ctx, "regie", "boamp:1")
    _weekly_digest_logged(ctx, NOW - timedelta(days=6, hours=1))
    assert send_reminders(ctx, NOW).deferred == [("regie", "boamp:1")]
    mailer(ctx).fail.append(Crash())
    with pytest.raises(Crash):
        digest_stage(ctx, [], NOW + timedelta(days=1))
    (pending,) = digest_log.unsent_digests(ctx.records)
    assert pending.digest_id == "regie:2026-12-02"
    # the reminder is logged with the digest: the daily run does not send it again…
    assert send_reminders(ctx, NOW + timedelta(days=1, hours=1)).sent == []
    # …and resends the digest carrying it, as it was logged
    (message,) = mailer(ctx).messages
    assert str(message["Message-ID"]) in pending.message
    assert "DATE LIMITE PROCHE" in mailer(ctx).text(message)
    assert reminder_records.reminded_pairs(ctx.records) == {("regie", "boamp:1")}
    again = digest_stage(ctx, [], NOW + timedelta(days=8))
    assert again.reminders == 0 and len(mailer(ctx).messages) == 1
