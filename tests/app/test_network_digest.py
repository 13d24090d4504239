"""The network's digest: the audience (territory, families, CPV divisions), nothing an actor
already had, the editorial as plain text, the same send log as the weekly digest, and a crash
between logging a copy and sending it resends that very copy. Real records, embedded store,
recording mailer; actors and notices are constructed (tests/mail_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mail_world import NOW, RecordingMailer, actor, make_ctx, notice, seed
from veilleuse.app.context import Context
from veilleuse.app.digest import digest_stage
from veilleuse.app.network_digest import (
    NetworkDigestForm,
    preview_network_digest,
    resume_network_digest,
    send_network_digest,
)
from veilleuse.core.accounts import Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.models import CpvInterest, Match, NoticeStatus
from veilleuse.records import curated as curated_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records

OFFICER = User(
    id=1, email="veille@valenciennes.test", role=Role.OFFICER, territory_id="valenciennes"
)
EDITORIAL = "Deux marchés <réservés> à ne pas manquer.\n\nRéunion le 8 décembre : *inscrivez-vous*."


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with make_ctx(tmp_path) as context:
        seed(
            context,
            [
                actor(
                    "regie",
                    "Régie de quartier",
                    family="siae_aci",
                    cpv_interests=[CpvInterest(code="90910000")],
                ),
                actor(
                    "esat",
                    "ESAT du Hainaut",
                    family="esat",
                    cpv_interests=[CpvInterest(code="77310000")],
                ),
                actor(
                    "scop",
                    "SCOP Bâtir",
                    family="scop",
                    cpv_interests=[CpvInterest(code="45000000")],
                ),
                actor("pause", "Association en pause", digest={"enabled": False}),
            ],
            [
                notice("boamp:1", "Nettoyage des écoles"),
                notice("boamp:2", "Espaces verts"),
                notice("boamp:3", "Clos", status=NoticeStatus.CLOSED),
            ],
        )
        seed(context, [actor("lille", "Coopérative lilloise")], territory="mel")
        yield context


def form(**fields: object) -> NetworkDigestForm:
    values: dict[str, object] = {
        "territory_id": "valenciennes",
        "notice_uids": ["boamp:1", "boamp:2"],
        "editorial": EDITORIAL,
    }
    values.update(fields)
    return NetworkDigestForm(**values)  # type: ignore[arg-type]


def mailer(ctx: Context) -> RecordingMailer:
    assert isinstance(ctx.mailer, RecordingMailer)
    return ctx.mailer


def test_the_preview_shows_who_gets_what_and_changes_nothing(ctx: Context) -> None:
    # regie already had boamp:1 in a weekly digest
    digest_log.reserve_digest(
        ctx.records, "regie:2026-11-24", "regie", NOW - timedelta(days=7), "x", ["boamp:1"]
    )
    view = preview_network_digest(ctx, OFFICER, form(), now=NOW)
    assert {r.actor.id: (r.uids, r.skipped) for r in view.recipients} == {
        "esat": (["boamp:1", "boamp:2"], None),
        "pause": (["boamp:1", "boamp:2"], "paused"),
        "regie": (["boamp:2"], None),
        "scop": (["boamp:1", "boamp:2"], None),
    }
    assert view.sample is not None and view.sample_actor == "ESAT du Hainaut"
    assert "Deux marchés &lt;réservés&gt; à ne pas manquer." in view.sample.html
    assert "Réunion le 8 décembre : *inscrivez-vous*." in view.sample.text  # no Markdown
    assert "LE MOT DE VOTRE RÉSEAU" in view.sample.text
    assert view.sample.subject == (
        "Veilleuse — la sélection de votre réseau (Valenciennes) : 2 opportunités pour ESAT du Hainaut"
    )
    assert mailer(ctx).messages == [] and curated_records.list_curated(ctx.records, None) == []


def test_a_segment_narrows_the_audience(ctx: Context) -> None:
    families = preview_network_digest(ctx, OFFICER, form(families=["esat", "siae_aci"]), now=NOW)
    assert sorted(r.actor.id for r in families.recipients) == ["esat", "regie"]
    division = preview_network_digest(ctx, OFFICER, form(cpv_divisions=["90", "45"]), now=NOW)
    assert sorted(r.actor.id for r in division.recipients) == ["regie", "scop"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"notice_uids": []}, "au moins un avis"),
        ({"notice_uids": ["boamp:3"]}, "avis clos"),
        ({"notice_uids": ["boamp:9"]}, "avis inconnu"),
        ({"editorial": "  \n "}, "mot du réseau"),
        ({"editorial": "x" * 3001}, "3000 caractères"),
        ({"families": ["banque"]}, "famille inconnue"),
        ({"cpv_divisions": ["9"]}, "division CPV invalide"),
    ],
)
def test_the_form_is_checked_in_french(
    ctx: Context, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        preview_network_digest(ctx, OFFICER, form(**fields), now=NOW)


def test_only_an_officer_of_the_territory_sends(ctx: Context) -> None:
    with pytest.raises(NotFoundError):
        preview_network_digest(ctx, OFFICER, form(territory_id="mel"), now=NOW)
    staff = OFFICER.model_copy(update={"role": Role.STAFF})
    with pytest.raises(PermissionDeniedError):
        send_network_digest(ctx, staff, form(), now=NOW)


def test_copies_go_through_the_send_log_and_nothing_twice(ctx: Context) -> None:
    report = send_network_digest(ctx, OFFICER, form(), now=NOW)
    assert sorted(report.sent) == ["diffusion-1:esat", "diffusion-1:regie", "diffusion-1:scop"]
    assert report.paused == ["pause"] and report.items == 6
    assert digest_log.sent_uids(ctx.records, "regie") == {"boamp:1", "boamp:2"}
    curated = curated_records.get_curated(ctx.records, report.curated_id)
    assert curated is not None and curated.status == "sent"
    message = mailer(ctx).to("esat@example.org")[0]
    text = mailer(ctx).text(message)
    assert "Votre réseau a choisi ces 2 opportunités pour ESAT du Hainaut." in text
    assert "Ça nous intéresse : http://127.0.0.1:8000/lien/" in text
    # a second selection with the same notices: everyone already has them
    again = send_network_digest(ctx, OFFICER, form(), now=NOW + timedelta(hours=1))
    assert again.sent == [] and sorted(again.nothing_new) == ["esat", "regie", "scop"]
    # the weekly digest is not held back by the curated copy, and repeats none of its notices
    match_records.save_matches(
        ctx.records,
        [Match(actor_id="regie", notice_uid=u, score=60) for u in ("boamp:1", "boamp:2")],
    )
    ctx.store.write([notice("boamp:4", "Vitrerie")])
    match_records.save_matches(
        ctx.records, [Match(actor_id="regie", notice_uid="boamp:4", score=60)]
    )
    weekly = digest_stage(ctx, [], NOW + timedelta(hours=2))
    assert weekly.sent == ["regie:2026-12-01"] and weekly.items == 1


class Crash(BaseException):
    """The process dies between logging a copy and sending it."""


def test_a_crash_between_logging_and_sending_resends_the_same_copy(ctx: Context) -> None:
    mailer(ctx).fail.append(Crash())
    with pytest.raises(Crash):
        send_network_digest(ctx, OFFICER, form(), now=NOW)
    (pending,) = digest_log.unsent_digests(ctx.records)
    assert pending.digest_id == "diffusion-1:esat"
    resumed = resume_network_digest(ctx, OFFICER, 1, now=NOW + timedelta(minutes=10))
    assert resumed.resent == ["diffusion-1:esat"]
    assert sorted(resumed.sent) == ["diffusion-1:regie", "diffusion-1:scop"]
    esat = mailer(ctx).to("esat@example.org")
    assert len(esat) == 1 and str(esat[0]["Message-ID"]) in pending.message
    ids = [str(m["Message-ID"]) for m in mailer(ctx).messages]
    assert len(ids) == len(set(ids)) == 3
    assert resume_network_digest(ctx, OFFICER, 1, now=NOW + timedelta(hours=1)).sent == []
    curated = curated_records.get_curated(ctx.records, 1)
    assert curated is not None and curated.status == "sent"


@pytest.mark.integration
def test_a_curated_digest_over_a_real_smtp_server(tmp_path: Path) -> None:
    from smtp_server import smtp_server
    from veilleuse.config.settings import MailSettings
    from veilleuse.digests.mailer import SmtpMailer

    with smtp_server() as (controller, inbox):
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_timeout=5)
        with make_ctx(tmp_path, mailer=SmtpMailer(mail), mail=mail) as context:
            seed(
                context,
                [actor("regie", "Régie"), actor("esat", "ESAT")],
                [notice("boamp:1", "Tri")],
            )
            report = send_network_digest(context, OFFICER, form(notice_uids=["boamp:1"]), now=NOW)
    assert sorted(report.sent) == ["diffusion-1:esat", "diffusion-1:regie"]
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == [
        "esat@example.org",
        "regie@example.org",
    ]
    received = inbox.messages()[0]
    assert received["Subject"].startswith("Veilleuse — la sélection de votre réseau")
    text, html = received.iter_parts()
    assert "LE MOT DE VOTRE RÉSEAU" in text.get_content()
    assert "&lt;réservés&gt;" in html.get_content()
