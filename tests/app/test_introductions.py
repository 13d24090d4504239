"""Introductions with consent: who is asked, what the e-mail says (never a contact), the answer
link, contact details exchanged only between actors who both accepted, once; a crash between
logging and sending resends the same e-mail. Real records, embedded store, recording mailer;
actors and notices are constructed (tests/mail_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mail_world import NOW, RecordingMailer, actor, make_ctx, notice, seed
from veilleuse.app.context import Context
from veilleuse.app.delivery import resend_pending
from veilleuse.app.introductions import (
    PATH,
    answer_introduction,
    answer_path,
    introduce_team,
    open_introduction,
    request_introductions,
)
from veilleuse.core.bids import BidMember, BidStage, GroupedBid, MemberRole
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import Contact
from veilleuse.core.signed_links import (
    ExpiredLinkError,
    LinkAction,
    TamperedLinkError,
    derive_link_key,
    sign_link,
)
from veilleuse.records import digest_log
from veilleuse.records import introductions as intro_records


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with make_ctx(tmp_path, web={"secret_key": "une clé de test assez longue"}) as context:
        seed(
            context,
            [
                actor("regie", "Régie de quartier"),
                actor(
                    "esat",
                    "ESAT du Hainaut",
                    contacts=[
                        Contact(name="Standard", phone="03 27 00 00 00"),
                        Contact(name="Inès Martin", email="esat@example.org", phone="06 00"),
                    ],
                ),
                actor("scop", "SCOP Bâtir"),
                actor("discret", "Association discrète", digest={"introductions": False}),
            ],
            [notice("boamp:1", "Entretien des espaces verts")],
        )
        yield context


def mailer(ctx: Context) -> RecordingMailer:
    assert isinstance(ctx.mailer, RecordingMailer)
    return ctx.mailer


def token_of(ctx: Context, actor_id: str) -> str:
    return answer_path(ctx.settings, actor_id, "boamp:1", NOW).removeprefix(PATH)


def ask(ctx: Context) -> None:
    request_introductions(
        ctx,
        "boamp:1",
        ["regie", "esat", "scop", "discret"],
        requester_id="regie",
        requester_accepted=True,
        now=NOW,
    )


def test_partners_are_asked_as_their_preferences_allow(ctx: Context) -> None:
    report = request_introductions(
        ctx,
        "boamp:1",
        ["esat", "scop", "discret"],
        requester_id="regie",
        requester_accepted=True,
        now=NOW,
    )
    assert sorted(report.asked) == ["esat", "scop"] and report.not_asked == ["discret"]
    assert len(report.sent) == 2 and report.failed == []
    (to_esat,) = mailer(ctx).to("esat@example.org")
    assert to_esat["Subject"] == (
        "Veilleuse — répondre à plusieurs à « Entretien des espaces verts » ?"
    )
    text = mailer(ctx).text(to_esat)
    assert "Régie de quartier cherche des partenaires" in text
    assert "Structures envisagées : Régie de quartier, SCOP Bâtir et Association" in text
    assert "regie@example.org" not in text and "scop@example.org" not in text  # no contact
    assert "http://127.0.0.1:8000/presentation/" in text
    assert mailer(ctx).to("discret@example.org") == []
    assert mailer(ctx).to("regie@example.org") == []  # it asked: nothing to answer
    again = request_introductions(
        ctx, "boamp:1", ["esat", "scop"], requester_id="regie", requester_accepted=True, now=NOW
    )
    assert again.sent == [] and sorted(again.already) == ["esat", "regie", "scop"]


def test_the_answer_link_opens_its_page_only(ctx: Context) -> None:
    ask(ctx)
    view = open_introduction(ctx, token_of(ctx, "esat"))
    assert (view.actor.id, view.answer, view.asked_by) == ("esat", "pending", ["Régie de quartier"])
    assert {p.name: (p.accepted, p.contact) for p in view.partners} == {
        "Régie de quartier": (True, None),  # no contact before esat accepts
        "SCOP Bâtir": (False, None),
        "Association discrète": (False, None),
    }
    with pytest.raises(TamperedLinkError):
        open_introduction(ctx, token_of(ctx, "esat")[:-2] + "AA")
    digest_key = derive_link_key("une clé de test assez longue")  # the digest links' key
    other = sign_link(
        digest_key, "esat", LinkAction.INTRODUCTION, "boamp:1", expires=NOW + timedelta(days=1)
    )
    with pytest.raises(TamperedLinkError):
        open_introduction(ctx, other)
    old = answer_path(ctx.settings, "esat", "boamp:1", NOW - timedelta(days=90))
    with pytest.raises(ExpiredLinkError):
        open_introduction(ctx, old.removeprefix(PATH))
    with pytest.raises(NotFoundError):
        open_introduction(ctx, token_of(ctx, "nobody"))


def test_contacts_only_between_actors_who_both_accepted_and_once(ctx: Context) -> None:
    ask(ctx)
    before = len(mailer(ctx).messages)
    view = answer_introduction(ctx, token_of(ctx, "esat"), True, now=NOW)
    assert view.accepted
    contacts = {p.name: p.contact for p in view.partners}
    assert contacts["Régie de quartier"] is not None
    assert contacts["Régie de quartier"].email == "regie@example.org"
    assert contacts["SCOP Bâtir"] is None  # it has not accepted
    new = mailer(ctx).messages[before:]
    assert sorted(str(m["To"]) for m in new) == [
        "ESAT du Hainaut <esat@example.org>",
        "Régie de quartier <regie@example.org>",
    ]
    to_regie = mailer(ctx).text(mailer(ctx).to("regie@example.org")[-1])
    assert "ESAT du Hainaut a accepté" in to_regie
    assert "Inès Martin" in to_regie and "esat@example.org" in to_regie  # its contact with e-mail
    to_esat = mailer(ctx).text(mailer(ctx).to("esat@example.org")[-1])
    assert "regie@example.org" in to_esat and "scop@example.org" not in to_esat
    # scop declines: it sees no contact and nobody gets its own
    declined = answer_introduction(ctx, token_of(ctx, "scop"), False, now=NOW)
    assert all(p.contact is None for p in declined.partners)
    assert mailer(ctx).to("scop@example.org")[1:] == []
    # answering again sends nothing twice
    count = len(mailer(ctx).messages)
    answer_introduction(ctx, token_of(ctx, "esat"), True, now=NOW + timedelta(hours=1))
    assert len(mailer(ctx).messages) == count
    # scop changes its mind: contacts exchanged with the two who accepted
    answer_introduction(ctx, token_of(ctx, "scop"), True, now=NOW + timedelta(hours=2))
    assert len(mailer(ctx).messages) == count + 4


def test_a_team_formed_by_the_network_asks_every_member(ctx: Context) -> None:
    bid = GroupedBid(
        id=7,
        notice_uid="boamp:1",
        stage=BidStage.SPOTTED,
        members=[
            BidMember(actor_id="scop", role=MemberRole.LEAD),
            BidMember(actor_id="esat"),
            BidMember(actor_id="discret"),
        ],
    )
    report = introduce_team(ctx, bid, now=NOW)
    assert sorted(report.asked) == ["esat", "scop"] and report.not_asked == ["discret"]
    text = mailer(ctx).text(mailer(ctx).to("scop@example.org")[0])
    assert "Votre réseau propose de réunir des structures" in text
    rows = intro_records.of_actor(ctx.records, "scop")
    assert [(r.requester_id, r.answer, r.bid_id) for r in rows] == [("scop", "pending", 7)]


class Crash(BaseException):
    """The process dies between logging the e-mail and sending it."""


def test_a_crash_between_logging_and_sending_resends_the_same_e_mail(ctx: Context) -> None:
    mailer(ctx).fail.extend([Crash()])
    with pytest.raises(Crash):
        ask(ctx)
    (pending,) = digest_log.unsent_digests(ctx.records)
    resent = resend_pending(ctx.records, ctx.mailer)
    assert resent.sent == [pending.digest_id]
    (message,) = mailer(ctx).messages
    assert str(message["Message-ID"]) in pending.message
    # asking again: the partner already e-mailed is not asked twice; the one the crash cut off
    # (its row written, its e-mail not) gets its e-mail now
    again = request_introductions(
        ctx, "boamp:1", ["esat", "scop"], requester_id="regie", requester_accepted=True, now=NOW
    )
    assert again.asked == ["scop"] and again.sent == ["presentation-3"]
    assert [str(m["To"]) for m in mailer(ctx).messages] == [
        "ESAT du Hainaut <esat@example.org>",
        "SCOP Bâtir <scop@example.org>",
    ]
    assert (
        request_introductions(
            ctx, "boamp:1", ["esat", "scop"], requester_id="regie", requester_accepted=True, now=NOW
        ).sent
        == []
    )


@pytest.mark.integration
def test_introductions_over_a_real_smtp_server(tmp_path: Path) -> None:
    from smtp_server import smtp_server
    from veilleuse.config.settings import MailSettings
    from veilleuse.digests.mailer import SmtpMailer

    with smtp_server() as (controller, inbox):
        mail = MailSettings(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_timeout=5)
        with make_ctx(
            tmp_path, mailer=SmtpMailer(mail), mail=mail, web={"secret_key": "x" * 32}
        ) as context:
            seed(
                context,
                [actor("regie", "Régie"), actor("esat", "ESAT")],
                [notice("boamp:1", "Tri")],
            )
            request_introductions(
                context, "boamp:1", ["esat"], requester_id="regie", requester_accepted=True, now=NOW
            )
            token = answer_path(context.settings, "esat", "boamp:1", NOW).removeprefix(PATH)
            answer_introduction(context, token, True, now=NOW)
    proposal, *exchanged = inbox.messages()
    assert proposal["Subject"] == "Veilleuse — répondre à plusieurs à « Tri » ?"
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes[1:]) == [
        "esat@example.org",
        "regie@example.org",
    ]
    assert all("mise en relation" in str(m["Subject"]) for m in exchanged)


def test_asking_for_partners_from_the_digest_link_introduces_the_suggested_team(
    ctx: Context,
) -> None:
    from datetime import UTC, datetime

    from veilleuse.app.digest_links import LinkMaker
    from veilleuse.app.link_actions import seek_partners
    from veilleuse.core.models import GroupedBidSuggestion, LotAssignment, Reason
    from veilleuse.records import matches as match_records

    now = datetime.now(UTC)
    ctx.store.write([notice("boamp:2", "Vitrerie", deadline=now.date() + timedelta(days=20))])
    match_records.save_suggestions(
        ctx.records,
        [
            GroupedBidSuggestion(
                notice_uid="boamp:2",
                members=["scop", "esat"],
                lead="scop",
                assignments=[
                    LotAssignment(lot_id="1", actor_id="scop", fit=0.8, why=Reason(code="a")),
                    LotAssignment(lot_id="2", actor_id="esat", fit=0.7, why=Reason(code="a")),
                ],
                coverage=1.0,
                score=80,
            )
        ],
    )
    token = LinkMaker.from_settings(ctx.settings, now).token("esat", LinkAction.PARTNERS, "boamp:2")
    state = seek_partners(ctx, token)
    assert state.created
    rows = intro_records.of_requests(ctx.records, {("boamp:2", "esat")})
    assert [(r.actor_id, r.answer) for r in rows] == [("esat", "accepted"), ("scop", "pending")]
    (proposal,) = mailer(ctx).to("scop@example.org")
    assert "ESAT du Hainaut cherche des partenaires" in mailer(ctx).text(proposal)
