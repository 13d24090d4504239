"""The rules of deadline reminders, one by one, and their French wording (constructed data)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from veilleuse.core.models import Actor, Contact, Notice, NoticeKind, NoticeStatus
from veilleuse.digests.compose import Digest
from veilleuse.digests.reminder_mail import reminder_subject, render_reminder_mail
from veilleuse.digests.reminders import (
    DIGEST_MARGIN,
    ReminderLine,
    is_due,
    is_modified,
    next_digest_expected,
    rides_next_digest,
    still_open,
    window_opens,
)
from veilleuse.digests.render import render_digest

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 9:00 in Paris
TODAY = date(2026, 12, 1)


def notice(**fields: object) -> Notice:
    values: dict[str, object] = {
        "uid": "boamp:26-1",
        "source": "boamp",
        "native_id": "26-1",
        "kind": NoticeKind.TENDER,
        "title": "Entretien des espaces verts <communaux>",
        "url": "https://www.boamp.fr/avis/26-1",
        "deadline": TODAY + timedelta(days=4),
    }
    values.update(fields)
    return Notice.model_validate(values).with_hash()


def test_due_from_the_window_until_the_deadline() -> None:
    deadline = date(2026, 12, 10)  # a bare day: its last second, Paris time
    opens = window_opens(deadline, 5)
    assert opens == datetime(2026, 12, 5, 22, 59, 59, tzinfo=UTC)
    assert not is_due(deadline, opens - timedelta(seconds=1), 5)
    assert is_due(deadline, opens, 5)
    assert is_due(deadline, datetime(2026, 12, 10, 22, 0, tzinfo=UTC), 5)  # 23:00 in Paris
    assert not is_due(deadline, datetime(2026, 12, 10, 23, 0, tzinfo=UTC), 5)  # past
    assert not is_due(None, NOW, 5)


def test_an_instant_deadline_is_an_instant() -> None:
    deadline = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # noon in Paris
    assert is_due(deadline, NOW, 5)
    assert not is_due(deadline, deadline, 5)
    assert not is_due(deadline, NOW, 2)  # opens on the 2nd at noon


@pytest.mark.parametrize(
    ("status", "open_"),
    [
        (NoticeStatus.OPEN, True),
        (NoticeStatus.CORRECTED, True),
        (NoticeStatus.CLOSED, False),
        (NoticeStatus.CANCELLED, False),
    ],
)
def test_closed_or_cancelled_notices_are_never_reminded(status: NoticeStatus, open_: bool) -> None:
    assert still_open(notice(status=status)) is open_


def test_modified_when_corrected_or_its_content_changed() -> None:
    seen = notice()
    assert not is_modified(seen, seen.content_hash)
    assert is_modified(notice(status=NoticeStatus.CORRECTED), seen.content_hash)
    changed = notice(deadline=TODAY + timedelta(days=6))
    assert is_modified(changed, seen.content_hash)
    assert not is_modified(changed, None)  # said before hashes were kept: the status only


def test_the_next_digest_is_expected_after_the_frequency() -> None:
    last = datetime(2026, 11, 30, 6, tzinfo=UTC)
    assert next_digest_expected(last, "weekly", True) == last + timedelta(days=7)
    assert next_digest_expected(last, "daily", True) == last + timedelta(days=1)
    assert next_digest_expected(last, "biweekly", True) == last + timedelta(days=14)
    assert next_digest_expected(last, "weekly", False) is None  # paused: no digest coming
    assert next_digest_expected(None, "weekly", True) is None  # never had one


def test_a_reminder_rides_the_next_digest_only_when_it_comes_in_time() -> None:
    deadline = date(2026, 12, 10)
    end = window_opens(deadline, 0)
    assert rides_next_digest(NOW + timedelta(days=2), deadline, NOW)
    assert rides_next_digest(end - DIGEST_MARGIN, deadline, NOW)
    assert not rides_next_digest(end - DIGEST_MARGIN + timedelta(seconds=1), deadline, NOW)
    assert not rides_next_digest(None, deadline, NOW)
    assert rides_next_digest(NOW - timedelta(hours=2), deadline, NOW)  # due this morning
    assert not rides_next_digest(NOW - timedelta(days=1), deadline, NOW)  # it did not run


ACTOR = Actor(
    id="regie",
    name="Régie <Nord>",
    family="association",  # type: ignore[arg-type]
    contacts=[Contact(email="regie@example.org")],
)


def mail(*lines: ReminderLine) -> Digest:
    return Digest(
        actor=ACTOR,
        lines=[],
        period_start=TODAY,
        period_end=TODAY,
        degraded_sources=[],
        territory_name="Valenciennes Métropole",
        digest_id="rappel:regie:2026-12-01",
        today=TODAY,
        reminders=list(lines),
    )


def test_the_reminder_mail_in_french_escaped_with_the_modified_flag() -> None:
    seen = notice()
    line = ReminderLine(seen, seen.deadline, modified=True)  # type: ignore[arg-type]
    rendered = render_reminder_mail(mail(line), unsubscribe_url="https://veille.example/d")
    assert rendered.subject == (
        "Veilleuse — rappel : date limite dans 4 jours pour « Entretien des espaces verts "
        "<communaux> »"
    )
    assert "Entretien des espaces verts &lt;communaux&gt;" in rendered.html
    assert "<communaux>" not in rendered.html
    assert "modifié" in rendered.html and "[modifié]" in rendered.text
    assert "au plus tard le 5 décembre 2026 (4 jours restants)" in rendered.text
    assert "Régie &lt;Nord&gt; a signalé son intérêt pour cet avis" in rendered.html
    assert "Me désabonner : https://veille.example/d" in rendered.text
    assert "relisez-le avant de répondre" in rendered.text


def test_several_reminders_and_the_last_day() -> None:
    one = notice(deadline=TODAY)
    two = notice(uid="boamp:26-2", native_id="26-2", title="Vitrerie")
    digest = mail(ReminderLine(one, TODAY), ReminderLine(two, two.deadline))  # type: ignore[arg-type]
    assert reminder_subject(digest) == (
        "Veilleuse — rappel : 2 dates limites approchent pour Régie <Nord>"
    )
    assert reminder_subject(mail(ReminderLine(one, TODAY))).startswith(
        "Veilleuse — rappel : date limite aujourd'hui pour"
    )
    text = render_reminder_mail(digest).text
    assert "2 DATES LIMITES PROCHES" in text and "(dernier jour)" in text
    assert "répondez simplement à ce courriel" in text


def test_a_digest_carries_reminders_before_its_opportunities() -> None:
    seen = notice()
    digest = mail(
        ReminderLine(seen, seen.deadline, bid_note="Un groupement est en cours — contact : Régie")
    )  # type: ignore[arg-type]
    digest.digest_id = "regie:2026-12-01"
    rendered = render_digest(digest)
    assert rendered.subject == (
        "Veilleuse — rappel de date limite pour Régie <Nord> (semaine du 1er décembre 2026)"
    )
    assert "DATE LIMITE PROCHE" in rendered.text
    assert "Un groupement est en cours — contact : Régie" in rendered.html
