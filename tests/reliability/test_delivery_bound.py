"""A digest the mail server keeps refusing for now (4xx) is tried a bounded number of times
across runs, then given up and named in the run's report — not retried every run forever.

Real SMTP on loopback (aiosmtpd answering 451 to one address every time); the actors and the
notice are constructed for this test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smtp_server import smtp_server
from veilleuse.app.digest import send_digests
from veilleuse.config.settings import Settings
from veilleuse.core.models import Actor, Contact, Match, Notice, NoticeKind
from veilleuse.digests.mailer import SmtpMailer
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records.db import Records

pytestmark = [pytest.mark.integration]

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
BUSY = "occupee@exemple.org"


def test_a_4xx_forever_is_tried_max_attempts_times_across_runs(tmp_path: Path) -> None:
    notice = Notice(
        uid="boamp:9",
        source="boamp",
        native_id="9",
        kind=NoticeKind.TENDER,
        title="Entretien",
        deadline=NOW.date() + timedelta(days=60),
    ).with_hash()
    with smtp_server() as (controller, inbox):
        inbox.busy[BUSY] = 10_000
        mail = {"mode": "smtp", "smtp_port": controller.port, "retries": 0, "max_attempts": 3}
        settings = Settings(data_dir=tmp_path, mail=mail)
        records = Records(settings.records_url())
        actor_records.upsert_actors(
            records,
            [
                Actor(
                    id="occupee",
                    name="Occupée",
                    family="association",
                    contacts=[Contact(email=BUSY)],
                )
            ],
        )
        match = Match(actor_id="occupee", notice_uid=notice.uid, score=60)
        reports = [
            send_digests(
                records, {notice.uid: notice}, [match], {}, SmtpMailer(settings.mail), settings,
                now=NOW + timedelta(days=7 * week),
            )
            for week in range(6)
        ]  # fmt: skip
        tries = [a for a, _ in inbox.answers].count(BUSY)
    assert tries == 3
    assert "451" in reports[0].failed[0][1]
    assert reports[3].failed == [("occupee:2026-11-23", "abandonné après 3 tentatives d'envoi")]
    assert [r.failed for r in reports[4:]] == [[], []]
    assert digest_log.digest_counts(records) == {"abandoned": 1}
    records.dispose()
