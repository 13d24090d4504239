"""The active criteria of a search view, one line each (one per value for lists) in the codec's
order, with the link that removes it: the "×" chips above the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from veilleuse.app.search import SearchQuery
from veilleuse.app.search_links import toggled, with_filters
from veilleuse.app.search_params import to_query_string
from veilleuse.app.search_wording import (
    audience_label,
    cpv_text,
    department_text,
    kind_label,
    status_label,
)
from veilleuse.digests.render import format_amount_fr, format_date_fr, source_label


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    #: query string of the view without this criterion
    href: str


def active_filters(query: SearchQuery) -> list[ActiveFilter]:
    """One removable line per criterion (per value for lists), in the codec's order."""
    f = query.filters
    out: list[ActiveFilter] = []

    def add(label: str, href: str) -> None:
        out.append(ActiveFilter(label, href))

    def without(field_name: str) -> str:
        return with_filters(query, **{field_name: None})

    def values(field_name: str, title: str, label: Any) -> None:
        for value in getattr(f, field_name):
            add(f"{title} : {label(str(value))}", toggled(query, field_name, value))

    if query.has_words():
        remaining = query.model_copy(update={"text": "", "offset": 0})
        add(f"Mots : « {query.text.strip()} »", to_query_string(remaining))
    values("kinds", "Type", kind_label)
    values("sources", "Source", source_label)
    values("departments", "Département", department_text)
    values("cpv_prefixes", "CPV", cpv_text)
    for name, title in (("reserved", "Marché réservé"), ("social_clause", "Clause sociale")):
        flag = getattr(f, name)
        if flag is not None:
            add(f"{title} : {'oui' if flag else 'non'}", without(name))
    values("statuses", "Statut", status_label)
    if f.buyer:
        add(f"Acheteur ou financeur : « {f.buyer} »", without("buyer"))
    if f.amount_min is not None:
        add(f"Montant d'au moins {format_amount_fr(f.amount_min)}", without("amount_min"))
    if f.amount_max is not None:
        add(f"Montant d'au plus {format_amount_fr(f.amount_max)}", without("amount_max"))
    if f.deadline_from is not None:
        add(f"Date limite à partir du {_day_fr(f.deadline_from)}", without("deadline_from"))
    if f.deadline_to is not None:
        add(f"Date limite jusqu'au {_day_fr(f.deadline_to)}", without("deadline_to"))
    if query.published_days is not None:
        remaining = query.model_copy(update={"published_days": None, "offset": 0})
        add(_published_label(query.published_days), to_query_string(remaining))
    if f.published_from is not None:
        add(f"Publié à partir du {_day_fr(f.published_from)}", without("published_from"))
    if f.published_to is not None:
        add(f"Publié jusqu'au {_day_fr(f.published_to)}", without("published_to"))
    values("audiences", "Public", audience_label)
    if f.updated_since is not None:
        add(f"Nouveau ou modifié depuis le {_day_fr(f.updated_since)}", without("updated_since"))
    return out


def _day_fr(value: Any) -> str:
    return format_date_fr(value.date() if hasattr(value, "date") else value)


def _published_label(days: int) -> str:
    return "Publié aujourd'hui ou hier" if days == 1 else f"Publié dans les {days} derniers jours"
