"""E-mails to a whole territory: reminders, weekly digests and the network's digest for 400
actors, sent over SMTP to a real server on loopback (aiosmtpd), against a baseline of the same
number of bare messages sent with smtplib in the same run.

The territory is CONSTRUCTED for the benchmark (invented actors, notices, matches and
interests; no real data): 400 actors, 60 open tenders, 8 matches per actor, each actor
interested in 2 tenders whose deadline is 3 days away. The run, in order:

1. `veilleuse reminders` (`app.reminders.send_reminders`): no actor has had a digest yet, so
   every due reminder goes by e-mail — 400 reminder e-mails (2 reminders each);
2. the digest stage (`app.digest.digest_stage`): 400 weekly digests of up to 8 lines;
3. the network's digest (`app.network_digest.send_network_digest`): 3 notices no actor had,
   with an editorial — 400 copies.

Each is logged in the records database before it is sent and marked after, as in production
(SQLite in a temporary folder; rate limit off). Target: everything in under a minute.

    .venv/bin/python bench/bench_digests.py            # 400 actors
    .venv/bin/python bench/bench_digests.py --actors 100
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
TRADES = [
    ("Nettoyage des locaux", "90910000"),
    ("Entretien des espaces verts", "77310000"),
    ("Restauration collective", "55520000"),
    ("Travaux de peinture", "45442100"),
    ("Collecte et tri des déchets", "90500000"),
    ("Blanchisserie", "98310000"),
]


class Counter:
    """aiosmtpd handler that counts what it accepts (and keeps nothing)."""

    def __init__(self) -> None:
        self.messages = 0
        self.bytes = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages += 1
        self.bytes += len(envelope.content or b"")
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(ctx: object, actors: int) -> None:
    """The constructed territory (see the module docstring)."""
    from veilleuse.app.context import Context
    from veilleuse.core.accounts import PlanTerritory
    from veilleuse.core.models import Actor, Buyer, Contact, CpvInterest, Match, Notice, NoticeKind
    from veilleuse.records import actors as actor_records
    from veilleuse.records import interests as interest_records
    from veilleuse.records import matches as match_records
    from veilleuse.records import territories as territory_records

    assert isinstance(ctx, Context)
    notices = []
    for n in range(63):
        title, cpv = TRADES[n % len(TRADES)]
        notices.append(
            Notice(
                uid=f"boamp:bench-{n}",
                source="boamp",
                native_id=f"bench-{n}",
                kind=NoticeKind.TENDER,
                title=f"{title} — lot {n} (avis construit pour le banc d'essai)",
                url=f"https://www.boamp.fr/avis/bench-{n}",
                buyer=Buyer(name=f"Commune construite n° {n % 17}", department="59"),
                cpv=[cpv],
                deadline=TODAY + timedelta(days=3 if n < 10 else 10 + n % 20),
            ).with_hash()
        )
    ctx.store.write(notices)
    people = [
        Actor(
            id=f"acteur-{i:04d}",
            name=f"Structure construite n° {i}",
            family="association",  # type: ignore[arg-type]
            cpv_interests=[CpvInterest(code=TRADES[i % len(TRADES)][1])],
            contacts=[Contact(name=f"Contact {i}", email=f"acteur-{i:04d}@bench.example")],
        )
        for i in range(actors)
    ]
    actor_records.upsert_actors(ctx.records, people)
    territory_records.upsert_territory(
        ctx.records, PlanTerritory(id="banc", name="Territoire construit")
    )
    territory_records.set_actor_territories(ctx.records, {a.id: "banc" for a in people})
    matches = [
        Match(actor_id=a.id, notice_uid=f"boamp:bench-{(i * 7 + k) % 60}", score=80 - k * 5)
        for i, a in enumerate(people)
        for k in range(8)
    ]
    match_records.save_matches(ctx.records, matches)
    for i, a in enumerate(people):
        for k in range(2):
            interest_records.add_interest(
                ctx.records, a.id, f"boamp:bench-{(i + k) % 10}", None, NOW - timedelta(days=10)
            )


def run_ours(folder: Path, port: int, actors: int) -> dict[str, float | int]:
    from veilleuse.app.context import Context
    from veilleuse.app.digest import digest_stage
    from veilleuse.app.network_digest import NetworkDigestForm, send_network_digest
    from veilleuse.app.reminders import send_reminders
    from veilleuse.config.settings import Settings
    from veilleuse.core.accounts import Role, User

    settings = Settings(
        data_dir=folder,
        store={"backend": "embedded"},  # type: ignore[arg-type]
        mail={"mode": "smtp", "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 10},  # type: ignore[arg-type]
        web={"secret_key": "banc d'essai : une clé assez longue"},  # type: ignore[arg-type]
    )
    officer = User(id=1, email="veille@banc.example", role=Role.OFFICER, territory_id="banc")
    timings: dict[str, float | int] = {}
    with Context(settings) as ctx:
        seed(ctx, actors)
        started = time.perf_counter()
        reminders = send_reminders(ctx, NOW)
        timings["reminders_s"] = time.perf_counter() - started
        timings["reminder_emails"] = len(reminders.sent)
        started = time.perf_counter()
        digests = digest_stage(ctx, [], NOW)
        timings["digests_s"] = time.perf_counter() - started
        timings["digest_emails"] = len(digests.sent)
        started = time.perf_counter()
        form = NetworkDigestForm(
            "banc",
            ["boamp:bench-60", "boamp:bench-61", "boamp:bench-62"],
            "Trois marchés repérés par le réseau cette semaine.\n\nRéunion le 8 décembre.",
        )
        curated = send_network_digest(ctx, officer, form, now=NOW)
        timings["curated_s"] = time.perf_counter() - started
        timings["curated_emails"] = len(curated.sent)
        failed = len(reminders.failed) + len(digests.failed) + len(curated.failed)
        timings["failed"] = failed
    return timings


def run_baseline(port: int, count: int) -> float:
    """`count` bare messages, one SMTP session each (as the mailer does), with smtplib."""
    started = time.perf_counter()
    for i in range(count):
        message = EmailMessage()
        message["From"] = "veille@bench.example"
        message["To"] = f"acteur-{i:04d}@bench.example"
        message["Subject"] = f"Message {i}"
        message.set_content("Bonjour,\n\nUn message nu.\n")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actors", type=int, default=400)
    args = parser.parse_args()

    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ours = run_ours(Path(tmp), controller.port, args.actors)
        sent = (
            int(ours["reminder_emails"]) + int(ours["digest_emails"]) + int(ours["curated_emails"])
        )
        received_ours = counter.messages
        baseline = run_baseline(controller.port, sent)
    finally:
        controller.stop()
    total = float(ours["reminders_s"]) + float(ours["digests_s"]) + float(ours["curated_s"])
    print(f"constructed territory: {args.actors} actors (invented data, see the docstring)")
    print(f"reminders      {int(ours['reminder_emails']):>5} e-mails  {ours['reminders_s']:6.2f} s")
    print(f"weekly digests {int(ours['digest_emails']):>5} e-mails  {ours['digests_s']:6.2f} s")
    print(f"network digest {int(ours['curated_emails']):>5} e-mails  {ours['curated_s']:6.2f} s")
    print(
        f"Veilleuse: {sent} e-mails in {total:.2f} s ({sent / total:.0f}/s), "
        f"{received_ours} received by the server, {ours['failed']} failed"
    )
    print(
        f"baseline (bare smtplib, same server, same count): {baseline:.2f} s ({sent / baseline:.0f}/s)"
    )
    print(
        f"ratio Veilleuse / baseline: {total / baseline:.1f}×; target < 60 s: {'met' if total < 60 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
