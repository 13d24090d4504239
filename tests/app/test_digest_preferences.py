"""The digest stage honours every digest preference: paused (nothing sent, a pending digest
cancelled), every two weeks, kinds, minimum amount, maximum of items, the addresses it goes to;
an actor profile stored before these preferences existed still loads. Data constructed here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from veilleuse.app.digest import min_interval, send_digests
from veilleuse.config.settings import Settings
from veilleuse.core.errors import MailError
from veilleuse.core.models import (
    Actor,
    Contact,
    DigestPreferences,
    Lot,
    Match,
    Money,
    Notice,
    NoticeKind,
)
from veilleuse.digests.mailer import MESSAGE_POLICY, OutboxMailer
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records.db import Records
from veilleuse.records.tables import ActorRow

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)


def notice(uid: str, kind: NoticeKind = NoticeKind.TENDER, **more: Any) -> Notice:
    return Notice(
        uid=uid,
        source="boamp",
        native_id=uid.split(":")[1],
        kind=kind,
        title=f"Avis {uid}",
        deadline=NOW.date() + timedelta(days=40),
        **more,
    ).with_hash()


def actor(**digest: Any) -> Actor:
    return Actor(
        id="a1",
        name="Régie de quartier",
        family="association",
        contacts=[Contact(email="contact@example.org")],
        digest=DigestPreferences(**digest),
    )


def run(
    records: Records,
    settings: Settings,
    notices: list[Notice],
    folder: Path,
    now: datetime = NOW,
    mailer: Any = None,
) -> Any:
    matches = [Match(actor_id="a1", notice_uid=n.uid, score=70.0) for n in notices]
    return send_digests(
        records,
        {n.uid: n for n in notices},
        matches,
        {},
        mailer or OutboxMailer(folder),
        settings,
        now=now,
    )


@pytest.fixture
def env(tmp_path: Path) -> tuple[Settings, Records]:
    settings = Settings(data_dir=tmp_path)
    return settings, Records(settings.records_url())


def items_of(folder: Path) -> list[str]:
    """The titles of the last digest written in `folder`, in order."""
    newest = max(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    message = message_from_bytes(newest.read_bytes(), policy=MESSAGE_POLICY)
    assert isinstance(message, EmailMessage)
    text = next(message.iter_parts())
    assert isinstance(text, EmailMessage)
    return [line.split(". ", 1)[1] for line in text.get_content().splitlines() if ". Avis " in line]


def test_paused_gets_nothing(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor(enabled=False)])
    report = run(records, settings, [notice("boamp:1")], tmp_path / "out")
    assert report.sent == [] and report.paused == ["a1"]
    assert not (tmp_path / "out").exists()
    assert digest_log.sent_uids(records, "a1") == set()  # nothing announced: sent once resumed


class Refusing:
    def send(self, message: EmailMessage) -> None:
        raise MailError("SMTP 127.0.0.1:25: connection refused")


def test_a_pending_digest_of_an_actor_who_unsubscribed_is_cancelled(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor()])
    first = run(records, settings, [notice("boamp:1")], tmp_path / "out", mailer=Refusing())
    assert first.failed and digest_log.unsent_digests(records)
    actor_records.upsert_actors(records, [actor(enabled=False, unsubscribed_at=NOW)])
    later = run(records, settings, [notice("boamp:1")], tmp_path / "out", NOW + timedelta(days=1))
    assert later.cancelled == ["a1:2026-11-23"] and later.resent == []
    assert digest_log.unsent_digests(records) == []
    assert digest_log.digest_counts(records) == {"cancelled": 1}
    assert not (tmp_path / "out").exists()


def test_every_two_weeks(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor(frequency="biweekly")])
    out = tmp_path / "out"
    assert run(records, settings, [notice("boamp:1")], out).sent == ["a1:2026-11-23"]
    week = run(records, settings, [notice("boamp:2")], out, NOW + timedelta(days=7))
    assert week.sent == [] and week.too_soon == ["a1"]
    fortnight = run(records, settings, [notice("boamp:2")], out, NOW + timedelta(days=14))
    assert fortnight.sent == ["a1:2026-12-07"]
    assert min_interval("biweekly") == timedelta(days=13)
    assert min_interval("weekly") == timedelta(days=6)


def test_a_biweekly_digest_says_it_covers_two_weeks(
    env: tuple[Settings, Records], tmp_path: Path
) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor(frequency="biweekly")])
    run(records, settings, [notice("boamp:1")], tmp_path / "out")
    (eml,) = (tmp_path / "out").glob("*.eml")
    body = " ".join(eml.read_bytes().decode("ascii").replace("=\r\n", "").split())
    assert "entre le 9 novembre 2026 et le 23 novembre 2026" in body


def test_kinds(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor(kinds=[NoticeKind.FUNDING_CALL])])
    notices = [notice("boamp:1"), notice("boamp:2", NoticeKind.FUNDING_CALL)]
    report = run(records, settings, notices, tmp_path / "out")
    assert report.items == 1
    assert items_of(tmp_path / "out") == ["Avis boamp:2"]


def test_minimum_amount(env: tuple[Settings, Records], tmp_path: Path) -> None:
    """Below the floor (in euros) is left out; an unknown amount or another currency is kept;
    the amount of a line is that of its matching lots when they all have one."""
    settings, records = env
    actor_records.upsert_actors(records, [actor(min_amount=20_000)])
    small = notice("boamp:1", estimated_value=Money(amount=8_000))
    large = notice("boamp:2", estimated_value=Money(amount=25_000))
    unknown = notice("boamp:3")
    swiss = notice("boamp:4", estimated_value=Money(amount=5_000, currency="CHF"))
    small_lot = notice(
        "boamp:5",
        estimated_value=Money(amount=900_000),
        lots=[Lot(id="1", estimated_value=Money(amount=4_000)), Lot(id="2")],
    )
    notices = [small, large, unknown, swiss, small_lot]
    matches = [Match(actor_id="a1", notice_uid=n.uid, score=70.0) for n in notices[:4]]
    matches.append(Match(actor_id="a1", notice_uid="boamp:5", score=70.0, lot_ids=["1"]))
    report = send_digests(
        records,
        {n.uid: n for n in notices},
        matches,
        {},
        OutboxMailer(tmp_path / "out"),
        settings,
        now=NOW,
    )
    assert report.items == 3
    assert sorted(items_of(tmp_path / "out")) == ["Avis boamp:2", "Avis boamp:3", "Avis boamp:4"]
    assert digest_log.sent_uids(records, "a1") == {"boamp:2", "boamp:3", "boamp:4"}


def test_maximum_items(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    actor_records.upsert_actors(records, [actor(max_items=2)])
    report = run(records, settings, [notice(f"boamp:{i}") for i in range(1, 6)], tmp_path / "o")
    assert report.items == 2


def test_every_address_receives_it(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    addresses = ["direction@example.org", "marches@example.org"]
    actor_records.upsert_actors(records, [actor(addresses=addresses)])
    run(records, settings, [notice("boamp:1")], tmp_path / "out")
    (eml,) = (tmp_path / "out").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=MESSAGE_POLICY)
    assert [a.addr_spec for a in message["To"].addresses] == addresses


def test_no_address_at_all(env: tuple[Settings, Records], tmp_path: Path) -> None:
    settings, records = env
    bare = actor().model_copy(update={"contacts": []})
    actor_records.upsert_actors(records, [bare])
    assert run(records, settings, [notice("boamp:1")], tmp_path / "out").no_address == ["a1"]


def test_a_profile_stored_before_these_preferences_still_loads(
    env: tuple[Settings, Records],
) -> None:
    _, records = env
    actor_records.upsert_actors(records, [actor()])
    old = actor().model_dump(mode="json")
    old["digest"] = {"enabled": True, "frequency": "weekly", "max_items": 10, "kinds": ["tender"]}
    with records.session() as s:
        s.execute(update(ActorRow).where(ActorRow.id == "a1").values(profile=old))
    loaded = actor_records.get_actor(records, "a1")
    assert loaded is not None
    assert loaded.digest.min_amount is None and loaded.digest.addresses == []
    assert loaded.digest.unsubscribed_at is None and loaded.digest.max_items == 10
    assert loaded.digest_recipients() == ["contact@example.org"]
