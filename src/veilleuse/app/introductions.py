"""Introductions with consent: actors put in touch for a notice only when both accept.

When an actor asks for partners, or when the network creates a grouped bid from a suggested
team (`app.bid_edits.create_from_suggestion`), each partner gets an introduction e-mail — only
if its preferences allow it (`DigestPreferences.introductions`, default yes; an actor that
unsubscribed gets none). The e-mail names the notice and the partners considered, never their
contact details, and carries a signed link (`core.signed_links`, action `introduction`, under
a key of its own so the token opens nothing else) to a page where the actor accepts or
declines (`/presentation/<token>`, `web.routes.introductions`). The actor who asked has
accepted by asking; when the network formed the team, its lead is asked like the others.

Contact details are shared only between actors of the same request who both accepted: when an
actor accepts, it and each partner that had accepted get an e-mail with the other's contact
(once per pair: the e-mail's id names the pair), and the answer page shows them. Every e-mail is
logged in `digests` before it is sent (`records.introductions.reserve_mail`), so a failure or
a crash resends that message (`app.delivery.resend_pending`, run by the digest and reminder
stages) and never sends a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from veilleuse.app.context import Context
from veilleuse.app.delivery import deliver, deliverable
from veilleuse.app.reminders import recipients, unsubscribed
from veilleuse.app.web_server import session_secret
from veilleuse.config.settings import Settings
from veilleuse.core.bids import GroupedBid
from veilleuse.core.deadlines import calendar_day
from veilleuse.core.errors import NotFoundError, RecordsError
from veilleuse.core.models import Actor, Contact, Notice
from veilleuse.core.signed_links import LinkAction, derive_link_key, sign_link, verify_link
from veilleuse.digests.introductions import IntroductionMail, render_introduction
from veilleuse.digests.mailer import build_message
from veilleuse.records import actors as actor_records
from veilleuse.records import delivery as delivery_records
from veilleuse.records import introductions as intro_records
from veilleuse.records.introductions import Introduction

#: the label the key of introduction links is derived under (never the digest links' key)
KEY_LABEL = b"veilleuse introductions v1"
PATH = "/presentation/"
#: days an answer link stays valid when the settings do not say (`mail.link_days`)
DEFAULT_LINK_DAYS = 60


@dataclass
class IntroductionsReport:
    """What a request did: who was asked (e-mailed), who was not (its preferences), who was in
    the request already; the e-mails sent or failed (left for the next run)."""

    notice_uid: str
    asked: list[str] = field(default_factory=list)
    not_asked: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- links


def introduction_key(settings: Settings) -> bytes:
    """The key of answer links: from `mail.link_secret` when set, else the web session key,
    always under `KEY_LABEL`."""
    secret = getattr(settings.mail, "link_secret", None)
    raw = secret.get_secret_value() if secret is not None else session_secret(settings)
    return derive_link_key(raw, KEY_LABEL)


def answer_path(settings: Settings, actor_id: str, notice_uid: str, now: datetime) -> str:
    days = int(getattr(settings.mail, "link_days", DEFAULT_LINK_DAYS))
    token = sign_link(
        introduction_key(settings),
        actor_id,
        LinkAction.INTRODUCTION,
        notice_uid,
        expires=now + timedelta(days=days),
    )
    return PATH + token


def answer_url(settings: Settings, actor_id: str, notice_uid: str, now: datetime) -> str:
    return settings.web.base_url.rstrip("/") + answer_path(settings, actor_id, notice_uid, now)


# --------------------------------------------------------------------------- asking


def request_introductions(
    ctx: Context,
    notice_uid: str,
    members: Sequence[str],
    *,
    requester_id: str,
    requester_accepted: bool,
    bid_id: int | None = None,
    now: datetime | None = None,
) -> IntroductionsReport:
    """Introduce `members` (the requester among them) to each other for a notice.

    `requester_accepted`: the requester asked itself (it is not asked again); otherwise (the
    network formed the team) it is asked like the others. An actor already in this request
    keeps its answer and gets no second e-mail. `NotFoundError` for an unknown notice.
    """
    now = now or ctx.now()
    notice = ctx.store.get(notice_uid)
    if notice is None:
        raise NotFoundError(f"avis inconnu : {notice_uid!r}")
    wanted = list(dict.fromkeys([requester_id, *members]))
    blocked = delivery_records.blocked_addresses(ctx.records)
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, wanted)}
    answers: list[tuple[str, str]] = []
    for actor_id in wanted:
        actor = actors.get(actor_id)
        if actor is None:
            continue
        if actor_id == requester_id and requester_accepted:
            answers.append((actor_id, "accepted"))
        elif (
            not actor.digest.introductions
            or unsubscribed(actor)
            or not recipients(actor)
            or deliverable(actor, blocked) is None
        ):
            answers.append((actor_id, "not_asked"))
        else:
            answers.append((actor_id, "pending"))
    created = intro_records.add_request(
        ctx.records, notice.uid, requester_id, answers, now, bid_id=bid_id
    )
    report = IntroductionsReport(notice.uid)
    fresh = {row.actor_id for row in created}
    report.already = [a for a, _ in answers if a not in fresh]
    report.not_asked = [r.actor_id for r in created if r.answer == "not_asked"]
    asker = actors[requester_id].name if requester_accepted and requester_id in actors else None
    # every row still waiting for its e-mail — this request's new ones, and any an earlier run
    # recorded but did not e-mail (it crashed between the two): none is lost, none sent twice
    for row in intro_records.of_requests(ctx.records, {(notice.uid, requester_id)}):
        known = actors.get(row.actor_id)
        actor = deliverable(known, blocked) if known is not None else None
        if row.answer != "pending" or row.digest_id is not None or actor is None:
            continue
        report.asked.append(row.actor_id)
        mail = _mail(ctx, actor, notice, f"presentation-{row.id}", now)
        mail.asked_by = asker
        mail.partners = [actors[a].name for a, _ in answers if a != actor.id]
        mail.answer_url = answer_url(ctx.settings, actor.id, notice.uid, now)
        _send(ctx, mail, row.id, now, report)
    return report


def introduce_team(
    ctx: Context, bid: GroupedBid, requester_id: str | None = None, now: datetime | None = None
) -> IntroductionsReport:
    """The members of a bid created from a suggested team, introduced to each other: asked by
    `requester_id` (an actor that asked for partners: accepted) or by the network (the lead,
    else the first member, heads the request and is asked too)."""
    members = bid.member_ids()
    lead = bid.lead()
    head = requester_id or (lead.actor_id if lead else members[0])
    return request_introductions(
        ctx,
        bid.notice_uid,
        members,
        requester_id=head,
        requester_accepted=requester_id is not None,
        bid_id=bid.id,
        now=now,
    )


def _mail(
    ctx: Context, actor: Actor, notice: Notice, mail_id: str, now: datetime
) -> IntroductionMail:
    today = calendar_day(now)
    return IntroductionMail(
        actor=actor,
        lines=[],
        period_start=today,
        period_end=today,
        degraded_sources=[],
        territory_name=ctx.settings.territory_name,
        digest_id=mail_id,
        today=today,
        notice=notice,
    )


def _send(
    ctx: Context,
    mail: IntroductionMail,
    introduction_id: int | None,
    now: datetime,
    report: IntroductionsReport,
) -> None:
    settings = ctx.settings
    message = build_message(
        mail,
        render_introduction(mail),
        sender=settings.mail.sender,
        reply_to=settings.mail.reply_to,
        unsubscribe_url=None,
        date=now,
    )
    try:
        intro_records.reserve_mail(
            ctx.records, introduction_id, mail.digest_id, mail.actor.id, now, message.as_string()
        )
    except RecordsError as exc:  # logged already, by a concurrent answer or request
        report.failed.append((mail.digest_id, str(exc)))
        return
    why = deliver(ctx.records, ctx.mailer, mail.digest_id, message)
    if why is None:
        report.sent.append(mail.digest_id)
    else:
        report.failed.append((mail.digest_id, why))


# --------------------------------------------------------------------------- answering


@dataclass(frozen=True)
class PartnerView:
    actor_id: str
    name: str
    accepted: bool
    #: its contact, shown only when both accepted
    contact: Contact | None


@dataclass
class IntroductionView:
    """The answer page of one actor for one notice."""

    token: str
    actor: Actor
    notice: Notice
    #: accepted | declined | pending (its rows for the notice; accepted if any is)
    answer: str
    asked_by: list[str]
    partners: list[PartnerView]
    report: IntroductionsReport | None = None

    @property
    def accepted(self) -> bool:
        return self.answer == "accepted"


def contact_of(actor: Actor) -> Contact | None:
    """The contact an introduction shares: the first with an e-mail address, else the first."""
    return next(
        (c for c in actor.contacts if c.email), actor.contacts[0] if actor.contacts else None
    )


def _open(ctx: Context, token: str) -> tuple[Actor, Notice]:
    link = verify_link(
        introduction_key(ctx.settings), token, now=ctx.now(), actions=LinkAction.INTRODUCTION
    )
    actor = actor_records.get_actor(ctx.records, link.actor_id)
    notice = ctx.store.get(link.notice_uid or "")
    if actor is None or notice is None:
        raise NotFoundError(
            "Cette mise en relation n'a plus d'objet : la structure ou l'avis n'est plus suivi."
        )
    return actor, notice


def _view(ctx: Context, token: str, actor: Actor, notice: Notice) -> IntroductionView:
    mine = intro_records.of_actor(ctx.records, actor.id, notice.uid)
    if not mine:
        raise NotFoundError("Aucune mise en relation ne vous concerne pour cet avis.")
    rows = intro_records.of_requests(ctx.records, {r.key for r in mine})
    answers = {r.answer for r in mine}
    answer = (
        "accepted"
        if "accepted" in answers
        else ("declined" if "declined" in answers else "pending")
    )
    others: dict[str, Introduction] = {}
    for row in rows:
        if row.actor_id == actor.id:
            continue
        if row.actor_id not in others or row.answer == "accepted":
            others[row.actor_id] = row
    people = {
        a.id: a
        for a in actor_records.get_actors(
            ctx.records, sorted({*others, *(r.requester_id for r in mine)})
        )
    }
    partners = [
        PartnerView(
            actor_id=a,
            name=people[a].name if a in people else a,
            accepted=row.answer == "accepted",
            contact=contact_of(people[a])
            if a in people and row.answer == "accepted" and answer == "accepted"
            else None,
        )
        for a, row in others.items()
    ]
    asked_by = sorted(
        {
            people[r.requester_id].name
            for r in mine
            if r.requester_id in people and r.requester_id != actor.id
        }
    )
    return IntroductionView(token, actor, notice, answer, asked_by, partners)


def open_introduction(ctx: Context, token: str) -> IntroductionView:
    """The answer page of a token (changes nothing). Raises the `LinkError` of a tampered,
    expired or misused token, `NotFoundError` when nothing is left to answer."""
    actor, notice = _open(ctx, token)
    return _view(ctx, token, actor, notice)


def answer_introduction(
    ctx: Context, token: str, accepted: bool, now: datetime | None = None
) -> IntroductionView:
    """Accept or decline every request the actor is in for the token's notice (a change of
    mind is allowed). On acceptance, the actor and each partner that had accepted exchange
    contact details by e-mail (once per pair)."""
    now = now or ctx.now()
    actor, notice = _open(ctx, token)
    mine = intro_records.answer(ctx.records, actor.id, notice.uid, accepted, now)
    if not mine:
        raise NotFoundError("Aucune mise en relation ne vous concerne pour cet avis.")
    report = IntroductionsReport(notice.uid)
    if accepted:
        _exchange_contacts(ctx, actor, notice, mine, now, report)
    view = _view(ctx, token, actor, notice)
    view.report = report
    return view


def _exchange_contacts(
    ctx: Context,
    actor: Actor,
    notice: Notice,
    mine: list[Introduction],
    now: datetime,
    report: IntroductionsReport,
) -> None:
    rows = intro_records.of_requests(ctx.records, {r.key for r in mine})
    own = {r.key: r for r in mine}
    pairs = [
        (own[row.key], row)
        for row in rows
        if row.actor_id != actor.id and row.answer == "accepted" and row.key in own
    ]
    if not pairs:
        return
    others = {
        a.id: a
        for a in actor_records.get_actors(ctx.records, sorted({o.actor_id for _, o in pairs}))
    }
    # the mail to X about Y is `relation-<Y's row>-<X's row>`: once per pair and direction
    wanted = {f"relation-{o.id}-{m.id}" for m, o in pairs} | {
        f"relation-{m.id}-{o.id}" for m, o in pairs
    }
    done = intro_records.logged_mail_ids(ctx.records, wanted)
    blocked = delivery_records.blocked_addresses(ctx.records)
    for mine_row, other_row in pairs:
        other = others.get(other_row.actor_id)
        if other is None:
            continue
        for to, about, mail_id in (
            (actor, other, f"relation-{other_row.id}-{mine_row.id}"),
            (other, actor, f"relation-{mine_row.id}-{other_row.id}"),
        ):
            reachable = deliverable(to, blocked) if recipients(to) else None
            if mail_id in done or reachable is None:
                continue
            done.add(mail_id)
            mail = _mail(ctx, reachable, notice, mail_id, now)
            mail.proposal, mail.partner, mail.contact = False, about.name, contact_of(about)
            _send(ctx, mail, None, now, report)
