"""The query parameters of the API: the search page's own (read by `app.search_params`), the
API's few additions, and their OpenAPI description.

Routes read the raw query string (`parse_query(request.query_params.multi_items())`), so the
API and the page give one meaning to one URL; the parameters are described to OpenAPI through
`openapi_extra` rather than declared to FastAPI, which would otherwise parse them a second way.
Parsing is strict: a parameter the route does not know is a 400 naming it (a typo such as
`deps=59` would otherwise widen the search silently).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from veilleuse.api.problems import BadParameters
from veilleuse.app.search_param_values import SORTS
from veilleuse.app.search_params import MAX_PER_PAGE, PARAMS

_LIST = {"type": "array", "items": {"type": "string"}}
_DAY = {"type": "string", "format": "date"}
_BOOL = {"type": "string", "enum": ["true", "false"]}

#: name → (schema, description)
SEARCH_PARAMETERS: dict[str, tuple[dict[str, Any], str]] = {
    "q": ({"type": "string", "maxLength": 500}, "Mots cherchés."),
    "mode": (
        {"type": "string", "enum": ["hybrid", "text", "vector"], "default": "hybrid"},
        "Mots exacts (text), sens (vector) ou les deux (hybrid, par défaut comme la page "
        "de recherche). Sans mots, tous les modes listent les avis filtrés.",
    ),
    "kind": (_LIST, "Type d'avis (tender, funding_call, pin, award, other) ; répétable."),
    "source": (_LIST, "Nom de source (boamp, ted…) ; répétable."),
    "dep": (_LIST, "Code de département (59, 2A…) ; répétable ou séparé par des virgules."),
    "cpv": (_LIST, "Code CPV ou préfixe (7731, 77310000-6) : ce code et ceux en dessous."),
    "reserved": (_BOOL, "Marché réservé (true/false)."),
    "social_clause": (_BOOL, "Clause sociale (true/false)."),
    "status": (_LIST, "Statut (open, closed, cancelled, corrected) ; répétable."),
    "buyer": ({"type": "string"}, "Texte contenu dans le nom de l'acheteur ou du financeur."),
    "buyer_area": (
        _LIST,
        "Acheteur situé dans cet EPCI (SIREN, 245901160) ou cette commune (code INSEE, 59606) : "
        "son SIREN ou son code postal ; répétable.",
    ),
    "amount_min": ({"type": "string"}, "Montant estimé minimal en euros."),
    "amount_max": ({"type": "string"}, "Montant estimé maximal en euros."),
    "deadline_from": ({"type": "string"}, "Date limite au plus tôt (AAAA-MM-JJ ou instant)."),
    "deadline_to": ({"type": "string"}, "Date limite au plus tard (AAAA-MM-JJ ou instant)."),
    "published_days": (
        {"type": "integer", "minimum": 1, "maximum": 3660},
        "Publié dans les N derniers jours.",
    ),
    "published_from": (_DAY, "Publié ce jour ou après."),
    "published_to": (_DAY, "Publié ce jour ou avant."),
    "audience": (_LIST, "Public d'un appel à projets (associations…) ; répétable."),
    "updated_since": (
        {"type": "string"},
        "Nouveau ou modifié à partir de cet instant ISO 8601 (sans décalage : UTC) ou de ce "
        "jour (minuit, heure de Paris). Inclusif.",
    ),
    "sort": (
        {"type": "string", "enum": list(SORTS)},
        "Tri ; `-` pour l'ordre inverse. Par défaut : pertinence avec des mots, sinon date "
        "limite la plus proche.",
    ),
    "page": (
        {"type": "integer", "minimum": 1},
        "Page de départ quand aucun `cursor` n'est donné (comme la page de recherche).",
    ),
    "per_page": (
        {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20},
        "Avis par page.",
    ),
}
assert tuple(SEARCH_PARAMETERS) == PARAMS, "every parameter of the search page is described"

CURSOR = (
    {"type": "string"},
    "Curseur opaque de la page suivante (`next_cursor` de la réponse précédente), valable "
    "pour les mêmes paramètres seulement.",
)
FACETS = (_BOOL, "true : ajoute le décompte des facettes à la réponse.")


def openapi_parameters(
    names: Iterable[str], extra: dict[str, tuple[dict[str, Any], str]] | None = None
) -> list[dict[str, Any]]:
    """OpenAPI `parameters` (in: query) for `names` of SEARCH_PARAMETERS, then `extra`."""
    table = {**SEARCH_PARAMETERS, **(extra or {})}
    wanted = [*names, *(extra or {})]
    out = []
    for name in wanted:
        schema, description = table[name]
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema,
        }
        if schema.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        out.append(parameter)
    return out


def take_one(params: dict[str, list[str]], name: str) -> str | None:
    """Remove an API-only parameter from `params` and return its single non-empty value."""
    values = [v.strip() for v in params.pop(name, []) if v.strip()]
    if len(values) > 1:
        raise BadParameters(
            {name: f"Paramètre {name} : une seule valeur attendue, {len(values)} reçues."}
        )
    return values[0] if values else None


def take_bool(params: dict[str, list[str]], name: str) -> bool:
    value = take_one(params, name)
    if value is None:
        return False
    folded = value.lower()
    if folded in {"true", "1", "oui", "yes", "on"}:
        return True
    if folded in {"false", "0", "non", "no", "off"}:
        return False
    raise BadParameters({name: f"Paramètre {name} : « {value} » n'est ni true ni false."})


def refuse(params: dict[str, list[str]], names: dict[str, str]) -> None:
    """BadParameters for any of `names` present with a value (name → why, in French)."""
    problems = {
        name: f"Paramètre {name} : {why}"
        for name, why in names.items()
        if any(v.strip() for v in params.get(name, []))
    }
    if problems:
        raise BadParameters(problems)
