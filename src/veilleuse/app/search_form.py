"""The search page's form: the values of its visible fields, the parameters it carries as hidden
fields, and the choices of its selects (mode, sort, publication date, yes-no flags, CPV
divisions, départements), worded in French.

The form is sent by GET, so what it sends back is the query string the codec
(`app.search_params`) wrote for the current view.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from veilleuse.app.search import SearchMode, SearchQuery
from veilleuse.app.search_params import sort_param, to_query_string
from veilleuse.app.search_wording import SORT_LABELS
from veilleuse.core.geo import department_name
from veilleuse.matching.cpv import cpv_label

PUBLISHED_DAYS = ((1, "aujourd'hui ou hier"), (7, "7 derniers jours"), (30, "30 derniers jours"),
                  (90, "3 derniers mois"))  # fmt: skip
MAIN_SORTS = ("relevance", "deadline", "-published")
MODES = (SearchMode.HYBRID, SearchMode.TEXT, SearchMode.VECTOR)
MODE_CHOICES = {
    SearchMode.HYBRID: "Mots et sens",
    SearchMode.TEXT: "Mots exacts",
    SearchMode.VECTOR: "Sens seulement (sémantique)",
}
#: parameters the page's form carries as hidden fields (chosen through facet links)
HIDDEN_PARAMS = ("kind", "source", "dep", "cpv", "status", "buyer_area", "audience",
                 "published_from", "published_to", "updated_since", "per_page")  # fmt: skip


@dataclass(frozen=True)
class Choice:
    """One option of a select: its value, French label, and whether it is the current one."""

    value: str
    label: str
    selected: bool = False


def mode_choices(query: SearchQuery) -> list[Choice]:
    return [Choice(m.value, MODE_CHOICES[m], m is query.mode) for m in MODES]


def form_values(query: SearchQuery) -> dict[str, str]:
    """The visible fields' values as the codec writes them (what a GET form sends back)."""
    pairs = dict(_pairs(query))
    names = ("q", "buyer", "amount_min", "amount_max", "deadline_from", "deadline_to")
    values = {name: pairs.get(name, "") for name in names}
    for name in ("deadline_from", "deadline_to"):
        values[name] = values[name][:10]  # a date input takes a day (an instant keeps its day)
    return values


def _pairs(query: SearchQuery) -> list[tuple[str, str]]:
    return parse_qsl(to_query_string(query), keep_blank_values=False)


def hidden_fields(query: SearchQuery) -> list[tuple[str, str]]:
    return [(k, v) for k, v in _pairs(query) if k in HIDDEN_PARAMS]


def sort_choices(query: SearchQuery) -> list[Choice]:
    current = sort_param(query.sort) if query.sort is not None else "relevance"
    names = list(MAIN_SORTS) + ([current] if current not in MAIN_SORTS else [])
    # relevance is written as no parameter: without words it is the listing order
    return [
        Choice("" if n == "relevance" else n, SORT_LABELS[n].capitalize(), n == current)
        for n in names
    ]


def published_day_choices(query: SearchQuery) -> list[Choice]:
    current = query.published_days
    known = [days for days, _ in PUBLISHED_DAYS]
    options = [Choice("", "Toutes dates", current is None)]
    options += [Choice(str(d), label.capitalize(), d == current) for d, label in PUBLISHED_DAYS]
    if current is not None and current not in known:
        options.append(Choice(str(current), f"{current} derniers jours", True))
    return options


def flag_choices(current: bool | None, counts: dict[str, int]) -> list[Choice]:
    def label(text: str, key: str) -> str:
        return f"{text} ({counts[key]})" if key in counts else text

    return [
        Choice("", "Indifférent", current is None),
        Choice("true", label("Oui", "true"), current is True),
        Choice("false", label("Non", "false"), current is False),
    ]


def division_choices() -> list[Choice]:
    """Every CPV division (2 digits) with its French label, for the form's select."""
    out = []
    for number in range(1, 100):
        code = f"{number:02d}"
        label = cpv_label(code.ljust(8, "0"))
        if label:
            out.append(Choice(code, f"{code} – {label}"))
    return out


def department_choices() -> list[Choice]:
    codes = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"]
    codes += [str(n) for n in range(971, 977)]
    found = [(code, department_name(code)) for code in codes]
    return sorted(
        (Choice(code, f"{code} – {name}") for code, name in found if name),
        key=lambda c: c.value.replace("2A", "20A").replace("2B", "20B"),
    )
