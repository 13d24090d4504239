"""The words of a search in French: the labels of its values, its active filters and its sort
as sentences, for exports, alert e-mails and the search page.

Split from the codec (`app.search_params`), which reads and writes the URL and has no French
but its error messages.
"""

from __future__ import annotations

from datetime import date, datetime

from veilleuse.app.search import SearchMode, SearchQuery
from veilleuse.app.search_params import sort_param
from veilleuse.core.geo import department_name
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.core.normalise import PARIS
from veilleuse.core.territory import area_name
from veilleuse.digests.render import (
    KIND_LABELS,
    format_amount_fr,
    format_date_fr,
    source_label,
)
from veilleuse.matching.cpv import cpv_label
from veilleuse.search.store import SortKey

SORT_LABELS = {
    "relevance": "pertinence",
    "deadline": "date limite la plus proche",
    "-deadline": "date limite la plus lointaine",
    "published": "publication la plus ancienne",
    "-published": "publication la plus récente",
    "updated": "modification la plus ancienne",
    "-updated": "modification la plus récente",
}
STATUS_LABELS = {
    NoticeStatus.OPEN: "ouvert",
    NoticeStatus.CLOSED: "clos",
    NoticeStatus.CANCELLED: "annulé",
    NoticeStatus.CORRECTED: "rectifié",
}
MODE_LABELS = {
    SearchMode.TEXT: "mots exacts",
    SearchMode.VECTOR: "sémantique",
    SearchMode.HYBRID: "mots et sens",
}
AUDIENCE_LABELS = {
    "associations": "associations",
    "companies": "entreprises",
    "local_authorities": "collectivités",
    "public_bodies": "établissements publics",
    "education": "enseignement et formation",
    "researchers": "recherche",
    "individuals": "particuliers",
    "farmers": "agriculteur·rices",
    "social_landlords": "bailleurs sociaux",
}


# --------------------------------------------------------------------------- labels


def kind_label(value: str) -> str:
    try:
        return KIND_LABELS[NoticeKind(value)]
    except ValueError:
        return value


def status_label(value: str) -> str:
    try:
        return STATUS_LABELS[NoticeStatus(value)]
    except ValueError:
        return value


def cpv_text(prefix: str) -> str:
    label = cpv_label(prefix.ljust(8, "0"))
    return f"{prefix} – {label}" if label else prefix


def department_text(code: str) -> str:
    name = department_name(code)
    return f"{code} – {name}" if name else code


def audience_label(value: str) -> str:
    return AUDIENCE_LABELS.get(value, value.replace("-", " ").replace("_", " "))


# --------------------------------------------------------------------------- sentences


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def _labelled(singular: str, plural: str, values: list[str]) -> str:
    return f"{singular if len(values) == 1 else plural} : {', '.join(values)}"


def _range_fr(low: str | None, high: str | None, *, dates: bool) -> str:
    if low and high:
        return f"du {low} au {high}" if dates else f"entre {low} et {high}"
    if low:
        return f"à partir du {low}" if dates else f"au moins {low}"
    return f"jusqu'au {high}" if dates else f"au plus {high}"


def _when_fr(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{format_date_fr(local.date())} à {local.hour}\u00a0h\u00a0{local.minute:02d}"
    return format_date_fr(value)


def describe_filters(query: SearchQuery) -> list[str]:
    """One French line per active criterion (words first), for exports and alert e-mails.

    E.g. ["Mots : « nettoyage »", "Département : 59 – Nord", "CPV : 90 – Services d'évacuation
    …"]; an empty list means every notice.
    """
    f = query.filters
    lines: list[str] = []
    if query.has_words():
        how = "tous les mots" if query.all_words else MODE_LABELS[query.mode]
        lines.append(f"Mots : « {query.text.strip()} » ({how})")
    if f.kinds:
        lines.append(_labelled("Type", "Types", [KIND_LABELS[k] for k in f.kinds]))
    if f.sources:
        names = list(dict.fromkeys(source_label(s) for s in f.sources))
        lines.append(_labelled("Source", "Sources", names))
    if f.departments:
        deps = [department_text(d) for d in f.departments]
        lines.append(_labelled("Département", "Départements", deps))
    if f.cpv_prefixes:  # CPV labels contain commas: codes are separated by semicolons
        lines.append("CPV : " + " ; ".join(cpv_text(c) for c in f.cpv_prefixes))
    if f.reserved is not None:
        lines.append(f"Marché réservé : {_yes_no(f.reserved)}")
    if f.social_clause is not None:
        lines.append(f"Clause sociale : {_yes_no(f.social_clause)}")
    if f.statuses:
        lines.append(_labelled("Statut", "Statuts", [STATUS_LABELS[s] for s in f.statuses]))
    if f.buyer:
        lines.append(f"Acheteur ou financeur contenant : « {f.buyer} »")
    if f.buyer_areas:
        lines.append("Acheteur situé : " + " ; ".join(area_name(a) for a in f.buyer_areas))
    if f.amount_min is not None or f.amount_max is not None:
        low = format_amount_fr(f.amount_min) if f.amount_min is not None else None
        high = format_amount_fr(f.amount_max) if f.amount_max is not None else None
        lines.append(f"Montant estimé : {_range_fr(low, high, dates=False)}")
    if f.deadline_from is not None or f.deadline_to is not None:
        span = _range_fr(_when_fr(f.deadline_from), _when_fr(f.deadline_to), dates=True)
        lines.append(f"Date limite : {span}")
    if query.published_days is not None:
        days = query.published_days
        lines.append(
            "Publié : aujourd'hui ou hier"
            if days == 1
            else f"Publié : dans les {days} derniers jours"
        )
    if f.published_from is not None or f.published_to is not None:
        span = _range_fr(_when_fr(f.published_from), _when_fr(f.published_to), dates=True)
        lines.append(f"Publication : {span}")
    if f.audiences:
        lines.append(_labelled("Public", "Publics", f.audiences))
    if f.updated_since is not None:
        lines.append(f"Nouveau ou modifié depuis le {_when_fr(f.updated_since)}")
    return lines


def describe_sort(query: SearchQuery) -> str:
    """'Tri : date limite la plus proche' — the order results come in."""
    if query.sort is None or query.sort.key is SortKey.RELEVANCE:
        name = "relevance" if query.has_words() else "deadline"
    else:
        name = sort_param(query.sort)
    return f"Tri : {SORT_LABELS[name]}"
