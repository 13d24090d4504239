"""The introduction e-mails (`app.introductions`): a proposal to be put in touch with other
actors for a notice, and the news that a partner accepted, with its contact details.

Each is a `Digest` subclass with no lines, so the mailer builds it like a digest (Message-ID
from its id, the recipients of the actor's preferences); the wording is here and in
`introduction.html.j2` / `introduction.txt.j2`. Nothing of another actor but its name goes in
a proposal: contact details are only in the e-mail telling an actor that a partner accepted,
sent once both accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from veilleuse.core.deadlines import effective_deadline, format_deadline_fr
from veilleuse.core.models import Contact, Notice, NoticeKind
from veilleuse.digests.compose import Digest
from veilleuse.digests.render import RenderedDigest, _one_line, _safe_url, environment, join_fr


@dataclass
class IntroductionMail(Digest):
    """`proposal`: who asks (`asked_by`), the partners considered (`partners`, names), the
    answer link. Otherwise: `partner` accepted, with its `contact`."""

    notice: Notice | None = None
    proposal: bool = True
    asked_by: str | None = None
    partners: list[str] = field(default_factory=list)
    answer_url: str | None = None
    partner: str | None = None
    contact: Contact | None = None


def _title(notice: Notice, limit: int = 80) -> str:
    title = _one_line(notice.title)
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def introduction_subject(mail: IntroductionMail) -> str:
    assert mail.notice is not None
    if mail.proposal:
        return f"Veilleuse — répondre à plusieurs à « {_title(mail.notice)} » ?"
    partner = _one_line(mail.partner or "")
    return f"Veilleuse — mise en relation : {partner} a accepté pour « {_title(mail.notice)} »"


def contact_lines(contact: Contact | None) -> list[str]:
    """« Nom : … », « Courriel : … », « Téléphone : … » for the fields the contact has."""
    if contact is None:
        return []
    lines = []
    if contact.name:
        lines.append(f"Nom : {_one_line(contact.name)}")
    if contact.email:
        lines.append(f"Courriel : {contact.email.strip()}")
    if contact.phone:
        lines.append(f"Téléphone : {_one_line(contact.phone)}")
    return lines


def render_introduction(mail: IntroductionMail) -> RenderedDigest:
    notice = mail.notice
    assert notice is not None
    subject = introduction_subject(mail)
    context = {
        "subject": subject,
        "proposal": mail.proposal,
        "actor_name": _one_line(mail.actor.name),
        "territory": _one_line(mail.territory_name),
        "title": _one_line(notice.title),
        "url": _safe_url(notice.url),
        "buyer_label": "Financeur" if notice.kind == NoticeKind.FUNDING_CALL else "Acheteur",
        "buyer": _one_line(notice.buyer.name) if notice.buyer.name else None,
        "deadline": format_deadline_fr(effective_deadline(notice)),
        "asked_by": _one_line(mail.asked_by) if mail.asked_by else None,
        "partners": join_fr([_one_line(p) for p in mail.partners]),
        "answer_url": _safe_url(mail.answer_url),
        "partner": _one_line(mail.partner) if mail.partner else None,
        "contact": contact_lines(mail.contact),
    }
    return RenderedDigest(
        subject=subject,
        html=environment(html=True).get_template("introduction.html.j2").render(context),
        text=environment(html=False).get_template("introduction.txt.j2").render(context),
    )
