"""Shared extraction for funding-call sources: JSON loading, audiences, aid types, places, dates.

Funding feeds (Aides-territoires and the partner feeds it imports, calls-for-projects lists, RSS)
label the same things in many French ways. These pure functions map them once onto a small
language-independent vocabulary so that matching and digests never see source wording.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any

from veilleuse.core.errors import ParseError
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.core.normalise import clean_text, fold, parse_money, unique
from veilleuse.spiders.parsers.base import (
    ParseResult,
    Problem,
    collect_records,
    load_json,
)

# --------------------------------------------------------------------------- JSON payloads


def json_head(data: bytes, size: int = 65536) -> str:
    """The start of a payload as text, for sniffing (never raises)."""
    return data[:size].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def has_keys(head: str, *keys: str) -> bool:
    """True when every `"key":` occurs in `head`."""
    return all(re.search(rf'"{re.escape(key)}"\s*:', head) for key in keys)


def indexed(records: Iterable[Any], id_key: str) -> Iterator[tuple[str | None, Any]]:
    """(record id, record) pairs; the id is the record's own or its position ('#3')."""
    for index, record in enumerate(records):
        native = record.get(id_key) if isinstance(record, dict) else None
        yield (str(native) if native not in (None, "") else f"#{index}"), record


def parse_json_records(
    data: bytes,
    origin: str,
    extract: Callable[[Any], list[Any] | None],
    expected: str,
    id_key: str,
    build: Callable[[Any], Notice | None],
) -> ParseResult:
    """Load, find the record list (`extract` returns None on the wrong shape), build each record."""
    loaded = load_json(data, origin)
    if loaded.failed:
        return ParseResult(problems=loaded.problems)
    payload = loaded.value
    records = extract(payload)
    if records is None:
        reason = f"unexpected JSON shape: expected {expected}"
        return ParseResult(problems=[*loaded.problems, Problem(origin, reason)])

    def checked(record: Any) -> Notice | None:
        if not isinstance(record, dict):
            raise ParseError("", f"record is a {type(record).__name__}, not an object")
        return build(record)

    result = collect_records(indexed(records, id_key), checked, origin)
    result.problems[:0] = loaded.problems
    return result


def key_list(payload: Any, key: str) -> list[Any] | None:
    """payload[key] when payload is an object holding a list there."""
    if isinstance(payload, dict) and isinstance(payload.get(key), list):
        return list(payload[key])
    return None


def top_list(payload: Any) -> list[Any] | None:
    return payload if isinstance(payload, list) else None


# --------------------------------------------------------------------------- notices


def funding_notice(source: str, native_id: object, title: object, **fields: Any) -> Notice:
    """A funding-call Notice with the fields every funding source shares; raises on no id/title."""
    native = clean_text(native_id)
    if not native:
        raise ParseError("", "missing identifier")
    clean_title = clean_text(title)
    if not clean_title:
        raise ParseError("", "missing title")
    fields.setdefault("language", "fr")
    return Notice(
        uid=f"{source}:{native}",
        source=source,
        native_id=native,
        kind=NoticeKind.FUNDING_CALL,
        title=clean_title,
        **fields,
    )


def as_list(value: object) -> list[Any]:
    """None → [], a scalar → [scalar], a list stays."""
    if value is None or value == "":
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def join_text(*parts: object) -> str | None:
    """Clean each part and join the non-empty ones with a space (None when all are empty)."""
    return clean_text(" ".join(t for t in (clean_text(p) for p in parts) if t)) or None


def clean_url(value: object) -> str | None:
    """A URL without the stray spaces some exports insert ('https: //www…'); None if empty."""
    text = clean_text(value)
    if not text:
        return None
    text = re.sub(r"\s+", "", text)
    return text if re.match(r"https?://", text) else None


def stable_id(*parts: object) -> str:
    """A short hash of the given parts, for records without an id of their own."""
    blob = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- audiences


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


#: Ordered (pattern on the folded label, term): the first that matches wins.
_AUDIENCE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), term)
    for pattern, term in (
        (r"\b(associations?|ong|fondations?)\b", "associations"),
        (r"\b(agricult\w*|exploitants? agricoles?)\b", "farmers"),
        (r"\b(particuliers?|habitants?|franciliens?|lyceens?|etudiants?|jeunes)\b", "individuals"),
        (r"\b(recherche|chercheurs?|laboratoires?)\b", "researchers"),
        (r"\bbailleurs?\b", "social_landlords"),
        (
            r"\b(etablissements? publics?|services? de l etat|administration\w*|gip|epa"
            r"|office de tourisme)\b",
            "public_bodies",
        ),
        (r"\b(enseignement|ecoles?|lycees?|universites?|formation|cfa)\b", "education"),
        (
            r"\b(communes?|intercommunal\w*|epci|ept|metropoles?|departements?|regions?"
            r"|collectivit\w*)\b",
            "local_authorities",
        ),
        (
            r"\b(entreprises?|pme|tpe|eti|professionnel\w*|createurs?|artisans?"
            r"|commer\w*|societes?)\b",
            "companies",
        ),
    )
)

AUDIENCES = frozenset(term for _, term in _AUDIENCE_RULES)


def slug(text: str) -> str:
    return _key(text).replace(" ", "-")


def normalise_audience(label: object) -> str | None:
    """One French audience label → a vocabulary term, or a slug of the label when unknown."""
    text = clean_text(label)
    if not text:
        return None
    key = _key(text)
    for pattern, term in _AUDIENCE_RULES:
        if pattern.search(key):
            return term
    return slug(text) or None


def normalise_audiences(labels: object, separator: str | None = None) -> list[str]:
    """Distinct terms in order; `separator` splits labels that pack several ('a|||b')."""
    out: list[str] = []
    for label in as_list(labels):
        if isinstance(label, dict):
            label = label.get("title") or label.get("name")
        parts = str(label).split(separator) if separator and label else [label]
        out.extend(t for t in (normalise_audience(p) for p in parts) if t)
    return unique(out)


# --------------------------------------------------------------------------- aid types

AID_TYPES = ("grant", "loan", "guarantee", "engineering", "tax_advantage", "other")

_AID_TYPE_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), term)
    for pattern, term in (
        (r"\b(subventions?|dotations?|bourses?|prix|appels? a propositions?)\b", "grant"),
        (r"\b(prets?|avances? (recuperables?|remboursables?)|credits?)\b", "loan"),
        (r"\bgaranties?\b", "guarantee"),
        (r"\b(ingenierie|accompagnement|expertise|conseil)\b", "engineering"),
        (r"\b(fiscal\w*|exonerations?)\b", "tax_advantage"),
    )
)


def normalise_aid_types(labels: object) -> list[str]:
    """'Subvention' → grant, 'Prêt' → loan, 'Ingénierie technique' → engineering; else other."""
    out: list[str] = []
    for label in as_list(labels):
        text = clean_text(label)
        if not text:
            continue
        key = _key(text)
        out.append(
            next((term for pattern, term in _AID_TYPE_RULES if pattern.search(key)), "other")
        )
    return unique(out)


def aid_types_from_text(text: object) -> list[str]:
    """Every aid type a free text names ('La subvention régionale…' → grant); none → []."""
    cleaned = clean_text(text)
    if not cleaned:
        return []
    key = _key(cleaned)
    return [term for pattern, term in _AID_TYPE_RULES if pattern.search(key)]


# --------------------------------------------------------------------------- places

_DEPARTMENTS = """01 Ain|02 Aisne|03 Allier|04 Alpes-de-Haute-Provence|05 Hautes-Alpes|
06 Alpes-Maritimes|07 Ardèche|08 Ardennes|09 Ariège|10 Aube|11 Aude|12 Aveyron|
13 Bouches-du-Rhône|14 Calvados|15 Cantal|16 Charente|17 Charente-Maritime|18 Cher|19 Corrèze|
2A Corse-du-Sud|2B Haute-Corse|21 Côte-d'Or|22 Côtes-d'Armor|23 Creuse|24 Dordogne|25 Doubs|
26 Drôme|27 Eure|28 Eure-et-Loir|29 Finistère|30 Gard|31 Haute-Garonne|32 Gers|33 Gironde|
34 Hérault|35 Ille-et-Vilaine|36 Indre|37 Indre-et-Loire|38 Isère|39 Jura|40 Landes|
41 Loir-et-Cher|42 Loire|43 Haute-Loire|44 Loire-Atlantique|45 Loiret|46 Lot|47 Lot-et-Garonne|
48 Lozère|49 Maine-et-Loire|50 Manche|51 Marne|52 Haute-Marne|53 Mayenne|54 Meurthe-et-Moselle|
55 Meuse|56 Morbihan|57 Moselle|58 Nièvre|59 Nord|60 Oise|61 Orne|62 Pas-de-Calais|
63 Puy-de-Dôme|64 Pyrénées-Atlantiques|65 Hautes-Pyrénées|66 Pyrénées-Orientales|67 Bas-Rhin|
68 Haut-Rhin|69 Rhône|70 Haute-Saône|71 Saône-et-Loire|72 Sarthe|73 Savoie|74 Haute-Savoie|
75 Paris|76 Seine-Maritime|77 Seine-et-Marne|78 Yvelines|79 Deux-Sèvres|80 Somme|81 Tarn|
82 Tarn-et-Garonne|83 Var|84 Vaucluse|85 Vendée|86 Vienne|87 Haute-Vienne|88 Vosges|89 Yonne|
90 Territoire de Belfort|91 Essonne|92 Hauts-de-Seine|93 Seine-Saint-Denis|94 Val-de-Marne|
95 Val-d'Oise|971 Guadeloupe|972 Martinique|973 Guyane|974 La Réunion|974 Réunion|976 Mayotte"""

_REGIONS = """Auvergne-Rhône-Alpes: 01 03 07 15 26 38 42 43 63 69 73 74|
Bourgogne-Franche-Comté: 21 25 39 58 70 71 89 90|Bretagne: 22 29 35 56|
Centre-Val de Loire: 18 28 36 37 41 45|Corse: 2A 2B|Grand Est: 08 10 51 52 54 55 57 67 68 88|
Hauts-de-France: 02 59 60 62 80|Île-de-France: 75 77 78 91 92 93 94 95|
Normandie: 14 27 50 61 76|Nouvelle-Aquitaine: 16 17 19 23 24 33 40 47 64 79 86 87|
Occitanie: 09 11 12 30 31 32 34 46 48 65 66 81 82|Pays de la Loire: 44 49 53 72 85|
Provence-Alpes-Côte d'Azur: 04 05 06 13 83 84"""


def _place_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for entry in _REGIONS.replace("\n", "").split("|"):
        name, codes = entry.split(":")
        table[_key(name)] = codes.split()
    for entry in _DEPARTMENTS.replace("\n", "").split("|"):
        code, name = entry.split(" ", 1)
        table[_key(name)] = [code]
    return table


_PLACES = _place_table()
_PLACE_PREFIX = re.compile(
    r"^(departement|region|conseil (departemental|regional))( de la| du| de l| des| de)?\s+"
)
_CODE_IN_PARENS = re.compile(r"\((\d{2,3}|2[ab])\)")


def departments_from_places(values: object) -> list[str]:
    """Départements named by place labels: 'Drôme' → ['26'], 'Île-de-France' → its 8.

    Whole-label matches only (after dropping 'Département de la…'), so 'Pays de la Loire' is not
    read as the Loire département; national, European and unknown labels give nothing.
    """
    out: list[str] = []
    for value in as_list(values):
        if isinstance(value, dict):
            value = value.get("libelle") or value.get("name") or value.get("title")
        text = clean_text(value)
        if not text:
            continue
        key = _key(text.strip(" -"))
        code = _CODE_IN_PARENS.search(fold(text))
        if code:
            out.append(code[1].upper().zfill(2))
            continue
        key = _PLACE_PREFIX.sub("", key)
        out.extend(_PLACES.get(key, []))
    return unique(out)


# --------------------------------------------------------------------------- dates in text

_MONTHS = {
    "janvier": 1, "janv": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "avril": 4, "avr": 4,
    "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8, "septembre": 9, "sept": 9,
    "octobre": 10, "oct": 10, "novembre": 11, "nov": 11, "decembre": 12, "dec": 12,
}  # fmt: skip
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = (
    rf"(?:(?P<d1>\d{{1,2}})(?:er)?\s+(?P<mname>{_MONTH_ALT})\.?\s+(?P<y1>\d{{4}})"
    r"|(?P<d2>\d{1,2})\s*[/.\-]\s*(?P<m2>\d{1,2})\s*[/.\-]\s*(?P<y2>\d{4}|\d{2})(?!\d)"
    r"|(?P<y3>\d{4})-(?P<m3>\d{2})-(?P<d3>\d{2}))"
)
_DATE_RE = re.compile(rf"\b{_DATE}")
_ANCHOR = (
    r"(?:date\s+limite|jusqu\s*'?\s*(?:au|a|le)|avant\s+le|au\s+plus\s+tard|clotures?"
    r"|date\s+de\s+(?:fin|cloture)|echeance|deadline|depot\s+des\s+(?:dossiers|candidatures))"
)
_DEADLINE_RE = re.compile(rf"\b{_ANCHOR}\b[^.;\n]{{0,70}}?\b{_DATE}")


def _fold_for_dates(text: str) -> str:
    text = re.sub(r"[’`´]", "'", fold(clean_text(text) or ""))
    return re.sub(r"\s+", " ", text)


def _date_of(match: re.Match[str]) -> date | None:
    try:
        if match["d1"]:
            return date(int(match["y1"]), _MONTHS[match["mname"]], int(match["d1"]))
        if match["d2"]:
            year = int(match["y2"])
            return date(year + 2000 if year < 100 else year, int(match["m2"]), int(match["d2"]))
        return date(int(match["y3"]), int(match["m3"]), int(match["d3"]))
    except ValueError:  # 31 février, month 13…
        return None


def parse_french_date(text: object) -> date | None:
    """The first full date in a French string: '15 avril 2022', '1er mars 2026', '15/03/2026'."""
    if text is None:
        return None
    for match in _DATE_RE.finditer(_fold_for_dates(str(text))):
        found = _date_of(match)
        if found:
            return found
    return None


def deadline_from_text(text: object) -> date | None:
    """The deadline a French sentence announces, or None.

    A date counts only after a deadline phrase ('date limite : 15 mars 2026', "jusqu'au
    31/01/2026", 'avant le 12 février 2026', 'au plus tard le…', 'clôture le…') within the same
    sentence; the first such date wins. Dates without a year are ignored (the year cannot be
    known from the text alone); two-digit years are read as 20xx.
    """
    if text is None:
        return None
    for match in _DEADLINE_RE.finditer(_fold_for_dates(str(text))):
        found = _date_of(match)
        if found:
            return found
    return None


# --------------------------------------------------------------------------- money in text

_AMOUNT = re.compile(
    r"(?P<num>\d{1,3}(?:[ .\u00a0\u202f]\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?)\s*"
    r"(?P<mult>millions?|mds?|milliards?|m)?\s*(?:d\s*'\s*)?(?:€|euros?\b|eur\b)",
    re.I,
)


def amount_from_text(text: object) -> float | None:
    """The first amount in euros of a French text: '2.200.000 €', '3 530 000 euros', '2 M€'."""
    cleaned = clean_text(text)
    if not cleaned:
        return None
    match = _AMOUNT.search(cleaned.replace("’", "'"))
    if not match:
        return None
    number = re.sub(r"[ .\u00a0\u202f](?=\d{3}\b)", "", match["num"]).replace(",", ".")
    amount = parse_money(number)
    mult = (match["mult"] or "").lower()
    if amount is not None and mult:
        amount *= 1e9 if mult.startswith(("md", "milliard")) else 1e6
    return parse_money(amount) if amount is not None else None
