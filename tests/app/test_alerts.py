"""Saved searches and their alerts: one e-mail per user, nothing twice, nothing lost on failure.

Users, saved searches and notices are constructed for these tests. The integration test sends
over a real SMTP server (aiosmtpd's Controller on 127.0.0.1).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from veilleuse.app.alerts import run_alerts
from veilleuse.app.context import Context
from veilleuse.app.saved_searches import (
    AlertFrequency,
    delete_search,
    get_search,
    list_searches,
    rename_search,
    replace_query,
    save_search,
    set_frequency,
    unsubscribe,
)
from veilleuse.app.search_params import parse_query_string
from veilleuse.config.settings import MailMode, MailSettings, Settings
from veilleuse.core.accounts import Role
from veilleuse.core.errors import MailError, NotFoundError, ValidationError
from veilleuse.core.models import Buyer, Notice, NoticeKind, Places
from veilleuse.digests.mailer import OutboxMailer
from veilleuse.records import accounts
from veilleuse.records import saved_searches as saved

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
SAVED = NOW - timedelta(days=2)
BASE = "https://veille.example.org"


class FlakyMailer:
    """Fails the first `failures` sends, then delivers into an outbox folder."""

    def __init__(self, folder: Path, failures: int = 0) -> None:
        self.inner = OutboxMailer(folder)
        self.failures = failures
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise MailError("SMTP 127.0.0.1:25: connection refused")
        self.inner.send(message)
        self.sent.append(message)


def notice(uid: str, title: str, dep: str, seen: datetime, **kw: object) -> Notice:
    return Notice.model_validate(
        {
            "uid": uid,
            "source": "boamp",
            "native_id": uid.split(":")[1],
            "kind": NoticeKind.TENDER,
            "title": title,
            "places": Places(departments=[dep]),
            "deadline": (NOW + timedelta(days=20)).date(),
            "first_seen": seen,
            **kw,
        }
    ).with_hash()


NOTICES = [
    notice("boamp:old", "Nettoyage des écoles", "59", NOW - timedelta(days=5)),  # before saving
    notice(
        "boamp:1",
        "Nettoyage des locaux de la mairie",
        "59",
        NOW - timedelta(days=1),
        buyer=Buyer(name="Ville de Lille"),
    ),
    notice("boamp:2", "Entretien des espaces verts", "62", NOW - timedelta(days=1)),
    notice("boamp:6", "Nettoyage du marché couvert", "59", NOW - timedelta(minutes=20)),
    notice("boamp:7", "Nettoyage à Arras", "62", NOW - timedelta(days=1)),  # not département 59
    notice(
        "aides-territoires:3",
        "Appel à projets économie circulaire",
        "59",
        NOW - timedelta(days=1),
        kind=NoticeKind.FUNDING_CALL,
    ),
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path)
    settings.web.base_url = BASE
    return settings


@pytest.fixture
def mailer(tmp_path: Path) -> FlakyMailer:
    return FlakyMailer(tmp_path / "outbox")


@pytest.fixture
def ctx(settings: Settings, mailer: FlakyMailer) -> Iterator[Context]:
    with Context(settings, mailer=mailer) as context:
        context.store.write(NOTICES)
        yield context


def user(ctx: Context, email: str, name: str) -> int:
    return accounts.create_user(
        ctx.records, email=email, name=name, role=Role.OFFICER, password_hash="unused"
    ).id


@pytest.fixture
def people(ctx: Context) -> dict[str, int]:
    """Camille has a daily and a weekly search (and one without alert); Dominique one daily."""
    camille = user(ctx, "camille@reseau.example", "Camille Martin")
    dominique = user(ctx, "dominique@reseau.example", "Dominique Petit")
    ids = {"camille": camille, "dominique": dominique}
    for key, owner, name, query, frequency in [
        ("cleaning", camille, "Nettoyage Nord", "q=nettoyage&dep=59", "daily"),
        ("green", camille, "Espaces verts", "q=espaces+verts", "weekly"),
        ("quiet", camille, "Sans alerte", "dep=62", "none"),
        ("funding", dominique, "Appels à projets", "kind=funding_call", "daily"),
    ]:
        ids[key] = save_search(
            ctx, user_id=owner, name=name, query=query, frequency=frequency, now=SAVED
        ).id
    return ids


def uids_in(message: EmailMessage) -> list[str]:
    text = message.get_body(("plain",))
    assert text is not None
    content = text.get_content()
    return sorted(
        line.split("/avis/")[1].strip() for line in content.splitlines() if "Voir l'avis :" in line
    )


def test_first_run_sends_one_email_per_user_with_all_due_searches(
    ctx: Context, people: dict[str, int], mailer: FlakyMailer
) -> None:
    report = run_alerts(ctx, NOW)
    camille, dominique = people["camille"], people["dominique"]
    assert report.sent == [f"alert:{camille}:2026-11-23", f"alert:{dominique}:2026-11-23"]
    assert report.failed == [] and report.items == 4
    assert sorted(report.checked) == sorted(
        [people["cleaning"], people["green"], people["funding"]]
    )
    assert people["quiet"] not in report.checked + report.not_due  # no alert: never run
    first, second = mailer.sent
    assert str(first["To"]) == "Camille Martin <camille@reseau.example>"
    assert str(first["Subject"]) == "Veilleuse — 3 nouveaux avis pour vos 2 recherches"
    assert uids_in(first) == ["boamp:1", "boamp:2", "boamp:6"]  # not boamp:old, nor boamp:7
    assert uids_in(second) == ["aides-territoires:3"]
    assert str(second["Subject"]) == "Veilleuse — 1 nouvel avis pour « Appels à projets »"
    text = first.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = first.get_body(("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert "« Nettoyage Nord »" in body and "« Espaces verts »" in body
        assert "Département : 59 – Nord" in body
        assert "Mots : « nettoyage » (tous les mots)" in body
        assert f"{BASE}/avis/boamp:1" in body
        assert "Ville de Lille" in body
    assert f"Voir la recherche : {BASE}/recherche?q=nettoyage&dep=59" in text
    assert f'href="{BASE}/recherche?q=nettoyage&amp;dep=59"' in html
    tokens = {s.id: s.unsubscribe_url for s in list_searches(ctx, camille)}
    assert tokens[people["cleaning"]] in text and tokens[people["green"]] in text
    assert str(first["List-Unsubscribe"]) == (
        f"<{tokens[people['cleaning']]}>, <{tokens[people['green']]}>"
    )
    assert "List-Unsubscribe-Post" not in first  # several links: no one-click
    assert second["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(first["Message-ID"]).endswith("@veilleuse>")
    assert len(list((ctx.settings.data_dir / "outbox").glob("*.eml"))) == 2


def test_second_run_the_same_day_sends_nothing(
    ctx: Context, people: dict[str, int], mailer: FlakyMailer
) -> None:
    run_alerts(ctx, NOW)
    again = run_alerts(ctx, NOW + timedelta(hours=3))
    assert again.sent == [] and again.checked == []
    assert sorted(again.not_due) == sorted([people["cleaning"], people["green"], people["funding"]])
    assert len(mailer.sent) == 2


def test_later_notices_come_next_time_and_none_twice(
    ctx: Context, people: dict[str, int], mailer: FlakyMailer
) -> None:
    run_alerts(ctx, NOW)
    ctx.store.write(
        [
            notice("boamp:8", "Nettoyage de la gare", "59", NOW + timedelta(hours=10)),
            # stored by a write still running when the first alert went out
            notice("boamp:9", "Nettoyage des halles", "59", NOW - timedelta(minutes=30)),
        ]
    )
    nothing_new = NOTICES[1].model_copy(update={"title": "Nettoyage des locaux (rectificatif)"})
    ctx.store.write([nothing_new.with_hash()])  # changed, but already announced
    next_day = run_alerts(ctx, NOW + timedelta(days=1))
    camille = people["camille"]
    assert next_day.sent == [f"alert:{camille}:2026-11-24"]
    assert people["green"] in next_day.not_due  # weekly: not before six days
    assert people["funding"] in next_day.empty  # checked, nothing new: no e-mail
    latest = mailer.sent[-1]
    assert uids_in(latest) == ["boamp:8", "boamp:9"]  # boamp:6 (in the overlap) not again
    assert str(latest["Subject"]) == "Veilleuse — 2 nouveaux avis pour « Nettoyage Nord »"
    announced = saved.announced_uids(ctx.records, people["cleaning"])
    assert announced == {"boamp:1", "boamp:6", "boamp:8", "boamp:9"}
    week_later = run_alerts(ctx, NOW + timedelta(days=7))
    assert week_later.sent == [] and people["green"] in week_later.empty


def test_failed_send_stays_pending_and_is_resent_identically(
    ctx: Context, people: dict[str, int], mailer: FlakyMailer
) -> None:
    mailer.failures = 1
    first = run_alerts(ctx, NOW)
    camille = people["camille"]
    failed_id = f"alert:{camille}:2026-11-23"
    assert [a for a, _ in first.failed] == [failed_id] and "127.0.0.1:25" in first.failed[0][1]
    assert first.sent == [f"alert:{people['dominique']}:2026-11-23"]
    (pending,) = saved.unsent_alerts(ctx.records)
    logged_id = pending.message.split("Message-ID: ")[1].split("\n")[0].strip()
    second = run_alerts(ctx, NOW + timedelta(days=1))
    assert second.resent == [failed_id] and second.sent == []
    assert (camille, "une alerte précédente est en attente d'envoi") in second.skipped_users
    resent = mailer.sent[-1]
    assert str(resent["Message-ID"]) == logged_id
    assert uids_in(resent) == ["boamp:1", "boamp:2", "boamp:6"]
    assert saved.unsent_alerts(ctx.records) == []
    assert saved.alert_status(ctx.records, failed_id) == "sent"
    third = run_alerts(ctx, NOW + timedelta(days=2))
    assert third.resent == [] and third.sent == []  # nothing new: nothing recomposed


def test_unsubscribe_stops_the_alert(
    ctx: Context, people: dict[str, int], mailer: FlakyMailer
) -> None:
    run_alerts(ctx, NOW)
    cleaning = get_search(ctx, people["cleaning"], people["camille"])
    token = cleaning.unsubscribe_url.rsplit("/", 1)[1]
    assert cleaning.unsubscribe_url == f"{BASE}/alertes/desabonner/{token}" and len(token) >= 43
    stopped = unsubscribe(ctx, token)
    assert stopped.frequency is AlertFrequency.NONE
    assert unsubscribe(ctx, token).frequency is AlertFrequency.NONE  # twice is harmless
    ctx.store.write([notice("boamp:8", "Nettoyage de la gare", "59", NOW + timedelta(hours=10))])
    later = run_alerts(ctx, NOW + timedelta(days=1))
    assert later.sent == [] and people["cleaning"] not in later.checked + later.not_due
    with pytest.raises(NotFoundError):
        unsubscribe(ctx, "not-a-token")


def test_alerts_need_every_word(ctx: Context, people: dict[str, int]) -> None:
    pool = save_search(
        ctx,
        user_id=people["dominique"],
        name="Piscines",
        query="q=nettoyage+piscine",
        frequency="daily",
        now=SAVED,
    )
    report = run_alerts(ctx, NOW)
    assert pool.id in report.empty  # new notices say "nettoyage", none "piscine"
    assert report.items == 4  # the other searches are unchanged


def test_inactive_users_get_nothing(ctx: Context, people: dict[str, int]) -> None:
    accounts.set_active(ctx.records, people["dominique"], False)
    report = run_alerts(ctx, NOW)
    assert report.sent == [f"alert:{people['camille']}:2026-11-23"]
    assert (people["dominique"], "compte désactivé") in report.skipped_users


def test_saved_search_crud_checks_owner_and_input(ctx: Context, people: dict[str, int]) -> None:
    camille, dominique = people["camille"], people["dominique"]
    created = save_search(
        ctx,
        user_id=camille,
        name="  Cantines   59 ",
        query=parse_query_string("q=restauration&dep=59,62&page=3"),
        frequency="weekly",
        now=NOW,
    )
    assert created.name == "Cantines 59"
    assert created.query_string == "q=restauration&dep=59&dep=62"  # the view, not the page
    assert created.criteria[1] == "Départements : 59 – Nord, 62 – Pas-de-Calais"
    assert created.search_url == f"{BASE}/recherche?q=restauration&dep=59&dep=62"
    assert created.frequency_label == "chaque semaine" and created.sent_up_to is None
    names = [s.name for s in list_searches(ctx, camille)]
    assert names == ["Nettoyage Nord", "Espaces verts", "Sans alerte", "Cantines 59"]
    assert rename_search(ctx, created.id, camille, "Cantines").name == "Cantines"
    assert set_frequency(ctx, created.id, camille, "daily").frequency is AlertFrequency.DAILY
    replaced = replace_query(ctx, created.id, camille, "q=cantine&sort=-published")
    assert replaced.query_string == "q=cantine&sort=-published"
    for call in (
        lambda: get_search(ctx, created.id, dominique),
        lambda: rename_search(ctx, created.id, dominique, "À moi"),
        lambda: delete_search(ctx, created.id, dominique),
    ):
        with pytest.raises(NotFoundError, match="introuvable"):
            call()
    with pytest.raises(ValidationError, match="Nom de la recherche : il est obligatoire"):
        save_search(ctx, user_id=camille, name="  ", query="")
    with pytest.raises(ValidationError, match="« hourly » n'est pas une fréquence"):
        set_frequency(ctx, created.id, camille, "hourly")
    with pytest.raises(ValidationError, match="Paramètre dep : « 999 »"):
        save_search(ctx, user_id=camille, name="x", query="dep=999")
    with pytest.raises(ValidationError, match="Paramètre inconnu : deps"):
        save_search(ctx, user_id=camille, name="x", query="deps=59")
    delete_search(ctx, created.id, camille)
    assert created.id not in [s.id for s in list_searches(ctx, camille)]


# --------------------------------------------------------------------------- real SMTP


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.mark.integration
def test_alerts_go_out_over_a_real_smtp_server(tmp_path: Path) -> None:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = Settings(
            data_dir=tmp_path,
            mail=MailSettings(mode=MailMode.SMTP, smtp_host="127.0.0.1", smtp_port=controller.port),
        )
        settings.web.base_url = BASE
        with Context(settings) as ctx:
            ctx.store.write(NOTICES)
            owner = user(ctx, "camille@reseau.example", "Camille Martin")
            save_search(
                ctx, user_id=owner, name="Nettoyage Nord", query="q=nettoyage&dep=59",
                frequency="daily", now=SAVED,
            )  # fmt: skip
            report = run_alerts(ctx, NOW)
            again = run_alerts(ctx, NOW + timedelta(hours=1))
    finally:
        controller.stop()
    assert report.sent == [f"alert:{owner}:2026-11-23"] and again.sent == []
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["camille@reseau.example"]
    assert isinstance(envelope.content, bytes)
    received = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(received, EmailMessage)
    assert received["X-Veilleuse-Alert"] == f"alert:{owner}:2026-11-23"
    assert str(received["List-Unsubscribe"]).startswith(f"<{BASE}/alertes/desabonner/")
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert uids_in(received) == ["boamp:1", "boamp:6"]
    html = received.get_body(("html",))
    assert html is not None and "Nettoyage du marché couvert" in html.get_content()
