"""A small territory for the fault-injection tests: actors, notices and their matches stored in a
data folder, a real `veilleuse digests` subprocess sending over SMTP to aiosmtpd on loopback,
and the count of actor × notice pairs received twice or never.

Actors, notices and matches are constructed (invented) for these tests.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from proc_tools import quiet_env

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.models import Actor, Contact, Match, Notice, NoticeKind, Reason
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records

VEILLEUSE = str(Path(sys.executable).parent / "veilleuse")
ACTOR_IDS = ("jardins-sud", "regie-nord")  # digests go out in this (id) order
TITLES = ("Entretien d'espaces verts", "Nettoyage de locaux", "Collecte de textiles")


def address(actor_id: str) -> str:
    return f"{actor_id}@exemple.org"


def seed(data_dir: Path) -> None:
    """Store the actors, the notices and every actor × notice match in `data_dir`."""
    deadline = datetime.now(UTC).date() + timedelta(days=30)
    notices = [
        Notice(
            uid=f"boamp:f{i}",
            source="boamp",
            native_id=f"f{i}",
            kind=NoticeKind.TENDER,
            title=title,
            deadline=deadline,
        ).with_hash()
        for i, title in enumerate(TITLES, start=1)
    ]
    actors = [
        Actor(
            id=actor_id,
            name=f"Structure {actor_id}",
            family="association",
            contacts=[Contact(email=address(actor_id))],
        )
        for actor_id in ACTOR_IDS
    ]
    with Context(Settings(data_dir=data_dir)) as ctx:
        ctx.store.write(notices)
        actor_records.upsert_actors(ctx.records, actors)
        match_records.save_matches(
            ctx.records,
            [
                Match(
                    actor_id=a.id,
                    notice_uid=n.uid,
                    score=70.0,
                    reasons=[Reason(code="topic", text="Activité proche", weight=1.0)],
                )
                for a in actors
                for n in notices
            ],
        )


def run_digests(data_dir: Path, port: int, fault: str | None = None) -> int:
    """`veilleuse digests` in a subprocess over SMTP to 127.0.0.1:`port`; its exit code (-9 when
    the fault point killed it)."""
    extra = {
        "VEILLEUSE_MAIL__MODE": "smtp",
        "VEILLEUSE_MAIL__SMTP_HOST": "127.0.0.1",
        "VEILLEUSE_MAIL__SMTP_PORT": str(port),
        "VEILLEUSE_MAIL__SMTP_TIMEOUT": "5",
        "VEILLEUSE_MAIL__RETRIES": "0",
        "VEILLEUSE_MAIL__RATE_PER_MINUTE": "0",
        "VEILLEUSE_MAIL__LINK_SECRET": "fault-injection-link-secret-0123456789abcdef",
    }
    if fault:
        extra["VEILLEUSE_TEST_FAULT"] = fault
    done = subprocess.run(
        [VEILLEUSE, "digests"],
        env=quiet_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode not in (0, -9):
        print(done.stdout, done.stderr[-3000:])  # shown by pytest when the test fails
    return done.returncode


@dataclass
class Count:
    """Actor × notice pairs received, against those expected once each."""

    received: Counter[tuple[str, str]]
    messages: int

    @property
    def duplicated(self) -> int:
        return sum(n - 1 for n in self.received.values() if n > 1)

    @property
    def lost(self) -> int:
        return sum(1 for a in ACTOR_IDS for t in TITLES if self.received[(a, t)] == 0)

    def figures(self) -> str:
        pairs = len(ACTOR_IDS) * len(TITLES)
        return (
            f"{pairs} pairs, {self.messages} messages, "
            f"{self.duplicated} duplicated, {self.lost} lost"
        )


def count(messages: list[EmailMessage]) -> Count:
    received: Counter[tuple[str, str]] = Counter()
    for message in messages:
        actor_id = str(message["X-Veilleuse-Digest"]).split(":")[0]
        body = message.get_body(("plain",))
        assert body is not None
        text = " ".join(body.get_content().split())
        for title in TITLES:
            if title in text:
                received[(actor_id, title)] += 1
    return Count(received, len(messages))
