"""Saved-search alert e-mails: one per user and run, a section per saved search.

Each section gives the search's name, its criteria in French (written by the caller, who knows
the query language), a link to the search page, the new notices (title, buyer, place,
deadline, a link to the notice's page) and the search's own unsubscribe link; the message
carries them all in `List-Unsubscribe`. Wording and formatting reuse the digests' helpers, so
a deadline reads the same in a digest and in an alert; notice text is untrusted (the HTML
template is autoescaped). The Message-ID derives from the alert id, like a digest's, so a
resent alert is recognisably the same message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from veilleuse.core.errors import MailError
from veilleuse.core.geo import department_name
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.digests.mailer import (
    ALERT_HEADER,
    MESSAGE_POLICY,
    header_text,
    message_id_for,
    unsubscribe_headers,
)
from veilleuse.digests.render import (
    KIND_LABELS,
    RenderedDigest,
    days_left_fr,
    environment,
    format_deadline_fr,
    join_fr,
)


@dataclass(frozen=True)
class AlertSection:
    """One saved search's part of an alert."""

    name: str
    criteria: list[str]  # French lines (app.search_wording.describe_filters)
    search_url: str
    unsubscribe_url: str
    notices: list[Notice]
    more: int = 0  # further new notices, not listed (see the search page)


@dataclass(frozen=True)
class Alert:
    alert_id: str
    recipient_name: str
    recipient_email: str
    base_url: str
    territory_name: str
    sections: list[AlertSection] = field(default_factory=list)

    def count(self) -> int:
        return sum(len(s.notices) + s.more for s in self.sections)


@dataclass(frozen=True)
class AlertLine:
    title: str
    url: str
    kind: str
    buyer_label: str
    buyer: str | None
    place: str | None
    deadline: str
    days_left: str | None
    reserved: bool
    social_clause: bool


def notice_url(base_url: str, uid: str) -> str:
    """`<base>/avis/<uid>`: the notice's page in the web app."""
    return f"{base_url.rstrip('/')}/avis/{quote(uid, safe=':')}"


def _line(notice: Notice, base_url: str, today: date) -> AlertLine:
    places = [department_name(d) or d for d in notice.all_departments()]
    return AlertLine(
        title=" ".join(notice.title.split()),
        url=notice_url(base_url, notice.uid),
        kind=KIND_LABELS[notice.kind],
        buyer_label="Financeur" if notice.kind == NoticeKind.FUNDING_CALL else "Acheteur",
        buyer=" ".join(notice.buyer.name.split()) if notice.buyer.name else None,
        place=join_fr(places) or None,
        deadline=format_deadline_fr(notice.deadline),
        days_left=days_left_fr(notice.deadline, today),
        reserved=bool(notice.reserved),
        social_clause=bool(notice.social_clause),
    )


def _new_notices(count: int) -> str:
    return "1 nouvel avis" if count == 1 else f"{count} nouveaux avis"


def alert_subject(alert: Alert) -> str:
    count = alert.count()
    if len(alert.sections) == 1:
        return f"Veilleuse — {_new_notices(count)} pour « {alert.sections[0].name} »"
    return f"Veilleuse — {_new_notices(count)} pour vos {len(alert.sections)} recherches"


def render_alert(alert: Alert, today: date) -> RenderedDigest:
    """Subject, HTML and text of an alert (the same facts in both)."""
    subject = alert_subject(alert)
    context = {
        "subject": subject,
        "recipient": alert.recipient_name,
        "territory": alert.territory_name,
        "sections": [
            {
                "name": section.name,
                "count": _new_notices(len(section.notices) + section.more),
                "criteria": section.criteria,
                "search_url": section.search_url,
                "unsubscribe_url": section.unsubscribe_url,
                "more": section.more,
                "lines": [_line(n, alert.base_url, today) for n in section.notices],
            }
            for section in alert.sections
        ],
    }
    return RenderedDigest(
        subject=subject,
        html=environment(html=True).get_template("alert.html.j2").render(context),
        text=environment(html=False).get_template("alert.txt.j2").render(context),
    )


def build_alert_message(
    alert: Alert,
    rendered: RenderedDigest,
    *,
    sender: str,
    reply_to: str | None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message to the user, with every section's unsubscribe link in
    `List-Unsubscribe` (one-click when there is a single https link)."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    try:
        message["From"] = sender
        message["To"] = Address(
            display_name=header_text(alert.recipient_name), addr_spec=alert.recipient_email
        )
        if reply_to:
            message["Reply-To"] = reply_to
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise MailError(f"alert {alert.alert_id}: invalid address ({exc})") from exc
    message["Subject"] = header_text(rendered.subject)
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id_for(alert.alert_id)
    message[ALERT_HEADER] = alert.alert_id
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "fr"
    # the same rules as a digest's (`unsubscribe_headers`): one-click only with a single https link
    unsubscribe_headers(
        message,
        [s.unsubscribe_url for s in alert.sections],
        reply_to,
        f"Désabonnement des alertes ({alert.recipient_email})",
    )
    message.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
