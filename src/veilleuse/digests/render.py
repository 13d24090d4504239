"""Render a digest as a French e-mail: subject, phone-friendly HTML and plain text.

All wording and formatting is decided in Python, without the system locale, so that both
templates only lay out ready-made French strings and show exactly the same facts: dates and
deadlines by `core.deadlines`, match and grouped-bid reasons by `matching.reasons`, amounts, lots
and teams here.
Notice text is untrusted: the HTML template is autoescaped and only http(s) links are kept.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from veilleuse.core.deadlines import NBSP, calendar_day, format_date_fr, format_deadline_fr
from veilleuse.core.geo import department_name
from veilleuse.core.models import NoticeKind, ReservedKind
from veilleuse.digests.compose import Digest, DigestLine
from veilleuse.digests.curated import (
    curated_intro,
    curated_subject,
    curated_why,
    editorial_paragraphs,
)
from veilleuse.digests.reminders import ReminderLine
from veilleuse.matching.reasons import reason_text

KIND_LABELS = {
    NoticeKind.TENDER: "Appel d'offres",
    NoticeKind.FUNDING_CALL: "Appel à projets",
    NoticeKind.PIN: "Avis de pré-information",
    NoticeKind.AWARD: "Avis d'attribution",
    NoticeKind.OTHER: "Autre avis",
}
RESERVED_LABELS = {
    ReservedKind.SHELTERED_WORKSHOP: "ESAT/EA",
    ReservedKind.INSERTION: "insertion",
    ReservedKind.ESS: "ESS",
    ReservedKind.PUBLIC_SERVICE_MISSION: "mission de service public",
}
SOURCE_LABELS = {
    "boamp": "BOAMP",
    "ted": "TED",
    "ted_eforms": "TED",
    "ted_api_v3": "TED",
    "ted_legacy_xml": "TED",
    "aides_territoires": "Aides-territoires",
    "calls_for_projects": "appels à projets",
    "funding_feeds": "flux de financements",
    "decp": "DECP",
}
CURRENCY_SYMBOLS = {"EUR": "€"}
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class LineLinks:
    """The signed links of one digest line (`core.signed_links`), made by the caller."""

    interested: str
    not_for_us: str
    partners: str


@dataclass(frozen=True)
class DigestLinks:
    """The signed links of one digest: its footer's and each line's (by notice uid)."""

    preferences: str
    unsubscribe: str
    lines: Mapping[str, LineLinks] = field(default_factory=dict)


@dataclass(frozen=True)
class LineView:
    """One digest line as French strings, the same for the HTML and the text template."""

    number: int
    title: str
    url: str | None
    kind: str
    buyer_label: str
    buyer: str | None
    place: str | None
    deadline: str
    days_left: str | None
    value: str | None
    reserved: str | None
    social_clause: bool
    lots_heading: str | None
    lots_titles: str | None
    reasons: list[str]
    team: str | None
    #: why each member takes its lot ("Lot 2 — Régie Nord : « nettoyage … », adéquation 80 %,
    #: Nord"), in lot order
    team_details: list[str]
    score: int
    #: « un groupement est en cours — contact : … » instead of a suggested team
    bid_note: str | None = None
    #: « ça nous intéresse », « pas pour nous », « chercher des partenaires » (None: no links)
    links: LineLinks | None = None


# --------------------------------------------------------------------------- French formatting


def format_amount_fr(amount: float, currency: str = "EUR") -> str:
    """'1 250 000 €': whole units, non-breaking spaces between thousands and before the unit."""
    grouped = f"{round(amount):,}".replace(",", NBSP)
    return f"{grouped}{NBSP}{CURRENCY_SYMBOLS.get(currency, currency)}"


def days_left_fr(value: date | datetime | None, today: date) -> str | None:
    """'19 jours restants', counted in Paris calendar days from `today`."""
    if value is None:
        return None
    days = (calendar_day(value) - today).days
    if days < 0:
        return "délai dépassé"
    if days == 0:
        return "dernier jour"
    if days == 1:
        return "1 jour restant"
    return f"{days} jours restants"


def join_fr(items: list[str]) -> str:
    """'a', 'a et b', 'a, b et c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} et {items[-1]}"


def lot_label(lot_id: str) -> str:
    """'LOT-0002' → '2'; other ids are shown as given."""
    text = lot_id.strip()
    head = text.lower().removeprefix("lot").lstrip(" -_")
    return str(int(head)) if head.isdigit() else text


def lots_phrase(lot_ids: list[str]) -> str:
    """'lot 1', 'lots 2 et 3'."""
    labels = [lot_label(i) for i in lot_ids]
    return f"{'lot' if len(labels) == 1 else 'lots'} {join_fr(labels)}"


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source.lower(), source)


# --------------------------------------------------------------------------- one line


def _safe_url(url: str | None) -> str | None:
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def _one_line(text: str) -> str:
    """Collapse white space (line breaks included) but keep the non-breaking spaces we put in."""
    return _SPACES.sub(" ", text).strip()


def _value(line: DigestLine) -> str | None:
    money = line.estimated_value()
    return format_amount_fr(money.amount, money.currency) if money else None


def _place(line: DigestLine) -> str | None:
    codes: dict[str, None] = {}
    for lot in line.lots:
        codes.update(dict.fromkeys(lot.places.departments))
    if not codes:
        codes = dict.fromkeys(line.notice.all_departments())
    return join_fr([_department(code) for code in codes]) or None


def _department(code: str) -> str:
    name = department_name(code)
    return f"{name} ({code})" if name else f"département {code}"


def _buyer(line: DigestLine) -> str | None:
    buyer = line.notice.buyer
    if not buyer.name:
        return buyer.city
    name = _one_line(buyer.name)
    if buyer.city and buyer.city.lower() not in name.lower():
        return f"{name} ({buyer.city})"
    return name


def _reserved(line: DigestLine) -> str | None:
    flagged = [line.notice.reserved, *(lot.reserved for lot in line.lots)]
    if not any(flagged):
        return None
    kinds = {*line.notice.reserved_kinds, *(k for lot in line.lots for k in lot.reserved_kinds)}
    labels = [RESERVED_LABELS[k] for k in ReservedKind if k in kinds]
    return f"Marché réservé ({', '.join(labels)})" if labels else "Marché réservé"


def _lots(line: DigestLine) -> tuple[str | None, str | None]:
    """('Lots 2 et 3', 'Nettoyage des locaux ; Vitrerie') for the lots on this line."""
    if not line.lots:
        return None, None
    heading = lots_phrase([lot.id for lot in line.lots]).capitalize()
    titles = [_one_line(lot.title) for lot in line.lots if lot.title]
    return heading, " ; ".join(titles) or None


def _team(line: DigestLine, actor_id: str) -> str | None:
    team = line.team
    if team is None:
        return None
    ordered = [team.lead, *(m for m in team.members if m != team.lead)]
    members = []
    for member in ordered:
        name = "vous" if member == actor_id else _one_line(line.partner_names.get(member, member))
        roles = ["mandataire"] if member == team.lead else []
        lot_ids = [a.lot_id for a in team.assignments if a.actor_id == member]
        if lot_ids:
            roles.append(lots_phrase(lot_ids))
        members.append(f"{name} ({', '.join(roles)})" if roles else name)
    sentence = f"Groupement suggéré : {', '.join(members)}"
    total = len(line.notice.lots)
    if total > 1 and line.lots:
        alone = len(line.lots)
        sentence += f" — seul·e, vous couvririez {alone} lot{'s' if alone > 1 else ''} sur {total}"
    return sentence


def _team_details(line: DigestLine) -> list[str]:
    """Each assignment's reason worded by `matching.reasons`, headed by its lot when it is one of
    the notice's lots (a CPV work unit of a single-lot tender is not)."""
    if line.team is None:
        return []
    lots = {lot.id for lot in line.notice.lots}
    details = []
    for assignment in line.team.assignments:
        text = _one_line(reason_text(assignment.why))
        if not text:
            continue
        if assignment.lot_id in lots:
            text = f"{lots_phrase([assignment.lot_id]).capitalize()} — {text}"
        details.append(text)
    return details


def _line_links(links: LineLinks | None) -> LineLinks | None:
    """The line's links when every one is an http(s) URL (else none: never a broken button)."""
    if links is None:
        return None
    urls = (links.interested, links.not_for_us, links.partners)
    return links if all(_safe_url(u) == u for u in urls) else None


def line_view(
    number: int, line: DigestLine, actor_id: str, today: date, links: LineLinks | None = None
) -> LineView:
    notice = line.notice
    deadline = line.deadline()
    ranked = sorted(line.match.reasons, key=lambda r: -r.weight)
    reasons = [text for text in (_one_line(reason_text(r)) for r in ranked) if text][:3]
    lots_heading, lots_titles = _lots(line)
    return LineView(
        number=number,
        title=_one_line(notice.title),
        url=_safe_url(notice.url),
        kind=KIND_LABELS[notice.kind],
        buyer_label="Financeur" if notice.kind == NoticeKind.FUNDING_CALL else "Acheteur",
        buyer=_buyer(line),
        place=_place(line),
        deadline=format_deadline_fr(deadline),
        days_left=days_left_fr(deadline, today),
        value=_value(line),
        reserved=_reserved(line),
        social_clause=bool(notice.social_clause or any(lot.social_clause for lot in line.lots)),
        lots_heading=lots_heading,
        lots_titles=lots_titles,
        reasons=reasons,
        team=_team(line, actor_id),
        team_details=_team_details(line),
        score=round(line.match.score),
        bid_note=_one_line(line.bid_note) if line.bid_note else None,
        links=_line_links(links),
    )


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class ReminderView:
    """A deadline reminder as French strings (`digests.reminders`), for both templates."""

    title: str
    url: str | None
    buyer_label: str
    buyer: str | None
    deadline: str
    days_left: str | None
    modified: bool
    #: « un groupement est en cours — contact : … » when a team is formed
    bid_note: str | None


#: what « modifié » means, beside the badge
MODIFIED_TEXT = (
    "l'avis a été rectifié ou modifié depuis que vous l'avez signalé : relisez-le avant de répondre"
)


def reminder_view(line: ReminderLine, today: date) -> ReminderView:
    as_line = DigestLine(line.notice, None, line.lots, None, {})  # type: ignore[arg-type]
    notice = line.notice
    return ReminderView(
        title=_one_line(notice.title),
        url=_safe_url(notice.url),
        buyer_label="Financeur" if notice.kind == NoticeKind.FUNDING_CALL else "Acheteur",
        buyer=_buyer(as_line),
        deadline=format_deadline_fr(line.deadline),
        days_left=days_left_fr(line.deadline, today),
        modified=line.modified,
        bid_note=_one_line(line.bid_note) if line.bid_note else None,
    )


def reminders_heading(count: int) -> str:
    return "Date limite proche" if count == 1 else f"{count} dates limites proches"


# --------------------------------------------------------------------------- templates


def _wrap(text: str, indent: str = "", first: str | None = None, width: int = 72) -> str:
    """Plain-text paragraphs at ~72 columns; URLs and words are never cut."""
    return textwrap.fill(
        _one_line(text),
        width=width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


@lru_cache(maxsize=2)
def environment(html: bool) -> Environment:
    """One environment per output: the shared macros are compiled escaping (HTML) or not (text).

    A single environment choosing autoescape by file name is unsafe with shared macros: Jinja
    marks a macro's result safe according to the *calling* template, while the macro body
    escapes (or not) according to its own file — untrusted text would reach the HTML raw.
    """
    env = Environment(
        loader=PackageLoader("veilleuse.digests", "templates"),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["wrap"] = _wrap
    return env


def subject_for(digest: Digest) -> str:
    count = len(digest.lines)
    if digest.editorial is not None:
        actor, territory = _one_line(digest.actor.name), _one_line(digest.territory_name)
        return curated_subject(actor, territory, count)
    reminded = len(digest.reminders)
    if count == 0 and reminded:
        what = "rappel de date limite" if reminded == 1 else f"{reminded} rappels de dates limites"
        day = format_date_fr(digest.period_end)
        return f"Veilleuse — {what} pour {_one_line(digest.actor.name)} (semaine du {day})"
    if count == 0:
        what = "aucune nouvelle opportunité"
    else:
        what = f"{count} opportunité{'s' if count > 1 else ''}"
    week = format_date_fr(digest.period_end)
    return f"Veilleuse — {what} pour {_one_line(digest.actor.name)} (semaine du {week})"


def render_digest(digest: Digest, *, links: DigestLinks | None = None) -> RenderedDigest:
    """Subject, HTML and text of the digest. With `links`, each line carries its three links
    and the footer « mes préférences » and « me désabonner »; without, the footer says to
    reply to the e-mail."""
    today = digest.reference_day()
    line_links = links.lines if links else {}
    subject = subject_for(digest)
    context = {
        "subject": subject,
        "actor_name": _one_line(digest.actor.name),
        "territory": _one_line(digest.territory_name),
        "count": len(digest.lines),
        "period_start": format_date_fr(digest.period_start),
        "period_end": format_date_fr(digest.period_end),
        "degraded": join_fr(list(dict.fromkeys(source_label(s) for s in digest.degraded_sources))),
        "lines": [
            line_view(i, line, digest.actor.id, today, line_links.get(line.notice.uid))
            for i, line in enumerate(digest.lines, 1)
        ],
        "preferences_url": _safe_url(links.preferences) if links else None,
        "unsubscribe_url": _safe_url(links.unsubscribe) if links else None,
        "reminders": [reminder_view(r, today) for r in digest.reminders],
        "editorial": editorial_paragraphs(digest.editorial),
        "intro_override": curated_intro(_one_line(digest.actor.name), len(digest.lines))
        if digest.editorial is not None
        else None,
        "why_override": curated_why(_one_line(digest.actor.name), _one_line(digest.territory_name))
        if digest.editorial is not None
        else None,
        "reminders_heading": reminders_heading(len(digest.reminders)),
        "modified_text": MODIFIED_TEXT,
    }
    return RenderedDigest(
        subject=subject,
        html=environment(html=True).get_template("digest.html.j2").render(context),
        text=environment(html=False).get_template("digest.txt.j2").render(context),
    )
