"""One actor profile from a mapping of fields, with a French problem per field.

The mapping is what a file row, a YAML item or the profile form gives: the friendly shorthands
people write ("SCOP", "chantier d'insertion", CPV codes with or without check digit, départements
as "5" or "05", `email`/`phone` for the first contact) are normalised here, then the pydantic
model checks the rest. `core.actors_io` reads files with it; the profile form validates with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic

from veilleuse.core.actor_checks import ID_PATTERN, ID_RULE, control_problems, email_ok
from veilleuse.core.models import Actor, EssFamily
from veilleuse.core.normalise import cpv_code, fold, normalise_department, parse_money, siret

_FAMILY_WORDS: dict[str, EssFamily] = {
    "association": EssFamily.ASSOCIATION,
    "asso": EssFamily.ASSOCIATION,
    "association loi 1901": EssFamily.ASSOCIATION,
    "scop": EssFamily.SCOP,
    "societe cooperative et participative": EssFamily.SCOP,
    "societe cooperative ouvriere de production": EssFamily.SCOP,
    "scic": EssFamily.SCIC,
    "societe cooperative d interet collectif": EssFamily.SCIC,
    "cooperative": EssFamily.COOPERATIVE,
    "coop": EssFamily.COOPERATIVE,
    "mutuelle": EssFamily.MUTUAL,
    "mutual": EssFamily.MUTUAL,
    "fondation": EssFamily.FOUNDATION,
    "foundation": EssFamily.FOUNDATION,
    "esus": EssFamily.ESUS,
    "entreprise esus": EssFamily.ESUS,
    "entreprise solidaire d utilite sociale": EssFamily.ESUS,
    "ei": EssFamily.SIAE_EI,
    "entreprise d insertion": EssFamily.SIAE_EI,
    "aci": EssFamily.SIAE_ACI,
    "atelier et chantier d insertion": EssFamily.SIAE_ACI,
    "atelier chantier d insertion": EssFamily.SIAE_ACI,
    "chantier d insertion": EssFamily.SIAE_ACI,
    "ai": EssFamily.SIAE_AI,
    "association intermediaire": EssFamily.SIAE_AI,
    "etti": EssFamily.SIAE_ETTI,
    "entreprise de travail temporaire d insertion": EssFamily.SIAE_ETTI,
    "geiq": EssFamily.GEIQ,
    "esat": EssFamily.ESAT,
    "etablissement et service d aide par le travail": EssFamily.ESAT,
    "ea": EssFamily.EA,
    "entreprise adaptee": EssFamily.EA,
}
_FAMILY_HINT = "association, SCOP, SCIC, coopérative, mutuelle, fondation, ESUS, EI, ACI, AI, ETTI, GEIQ, ESAT, EA"


def parse_family(value: object) -> EssFamily:
    """An EssFamily from its value ('siae_aci') or a French label ('ACI', 'Entreprise adaptée')."""
    text = re.sub(r"[^a-z0-9_]+", " ", fold(str(value or ""))).strip()
    try:
        return EssFamily(text.replace(" ", "_"))
    except ValueError:
        pass
    family = _FAMILY_WORDS.get(text)
    if family is None:
        raise ValueError(f"famille inconnue {value!r} (valeurs possibles : {_FAMILY_HINT})")
    return family


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of one actor (`field` None: the row as a whole)."""

    field: str | None
    message: str
    #: the line of the field itself when it differs from the row's (YAML keys)
    line: int | None = None

    def __str__(self) -> str:
        if self.field is None:
            return self.message
        at = f" (ligne {self.line})" if self.line is not None else ""
        return f"champ '{self.field}'{at} : {self.message}"


def build_actor(
    item: Mapping[str, Any], key_lines: Mapping[str, int] | None = None
) -> tuple[Actor | None, list[FieldProblem]]:
    """An actor from a mapping of fields (a file row, a YAML item, a form), or its problems.

    Accepts the friendly shorthands of the files: `cpv` as text, `departments`, `email`/`phone`/
    `contact_name` for the first contact, `staff`/`turnover` inside `capacity`.
    """
    problems: list[FieldProblem] = []
    actor = _build(dict(item), dict(key_lines or {}), problems)
    return actor, problems


_PYDANTIC_FR = {
    "extra_forbidden": "champ inconnu",
    "missing": "obligatoire",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "bool_parsing": "oui ou non attendu",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
    "dict_type": "dictionnaire attendu",
    "model_type": "dictionnaire attendu",
    "enum": "valeur non admise",
    "greater_than_equal": "valeur trop petite",
    "less_than_equal": "valeur trop grande",
}


def _build(
    item: dict[str, Any], key_lines: dict[str, int], problems: list[FieldProblem]
) -> Actor | None:
    """Normalise the friendly shorthands, then let the pydantic model check the rest."""
    before = len(problems)

    def problem(name: str, message: str) -> None:
        problems.append(FieldProblem(name, message, key_lines.get(name)))

    for name, message in control_problems(item):  # see core.actor_checks
        problem(name, message)
    if len(problems) > before:
        return None
    for name in ("id", "name", "family"):
        if not str(item.get(name) or "").strip():
            problem(name, "obligatoire")
    if item.get("id") is not None:
        item["id"] = str(item["id"]).strip()
        if item["id"] and not ID_PATTERN.fullmatch(item["id"]):
            problem("id", f"{item['id']!r} n'est pas un identifiant admis ({ID_RULE})")
    if isinstance(item.get("description"), str):
        item["description"] = item["description"].replace("\r\n", "\n").replace("\r", "\n")
    if item.get("family"):
        try:
            item["family"] = parse_family(item["family"])
        except ValueError as exc:
            problem("family", str(exc))
    if item.get("siret") not in (None, ""):
        value = siret(item["siret"])
        if value is None:
            problem("siret", f"{item['siret']!r} n'est pas un SIRET à 14 chiffres")
        item["siret"] = value
    cpv_field = "cpv_interests" if "cpv_interests" in item else "cpv"
    given = cpv_field in item  # an absent field stays absent (an update keeps the stored one)
    interests = _cpv_interests(item.pop("cpv", None), item.pop("cpv_interests", None))
    if isinstance(interests, str):
        problem(cpv_field, interests)
    elif given:
        item["cpv_interests"] = interests
    _territory(item, problem)
    _capacity(item, problem)
    contact = {k: item.pop(k) for k in ("email", "phone", "contact_name") if k in item}
    if contact:
        item.setdefault("contacts", []).insert(
            0,
            {
                "name": contact.get("contact_name"),
                "email": str(contact.get("email") or "") or None,
                "phone": str(contact["phone"]) if contact.get("phone") else None,
            },
        )
    for index, entry in enumerate(item.get("contacts") or []):
        email = str(entry.get("email") or "") if isinstance(entry, Mapping) else ""
        if email and not email_ok(email):
            name = "email" if contact and index == 0 else f"contacts.{index}.email"
            problem(name, f"{email!r} n'est pas une adresse e-mail")
    digest = item.get("digest")
    addresses = digest.get("addresses") if isinstance(digest, Mapping) else None
    for index, address in enumerate(addresses if isinstance(addresses, list) else []):
        if isinstance(address, str) and not email_ok(address):
            problem(f"digest.addresses.{index}", f"{address!r} n'est pas une adresse e-mail")
    if len(problems) > before:
        return None
    try:
        return Actor.model_validate(item)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            name = ".".join(str(p) for p in error["loc"])
            problem(name, _PYDANTIC_FR.get(error["type"], error["msg"]))
        return None


def _cpv_interests(short: object, full: object) -> list[dict[str, Any]] | str:
    """`cpv: "77310000 90910000-9; 45000000"` or a list of codes / {code, suggested|declared}."""
    raw: list[Any] = []
    for value in (short, full):
        if value is None:
            continue
        if isinstance(value, str):
            raw.extend(t for t in re.split(r"[\s;,]+", value) if t)
        elif isinstance(value, list):
            raw.extend(value)
        else:
            return f"liste de codes CPV attendue, reçu {value!r}"
    out: list[dict[str, Any]] = []
    for entry in raw:
        if isinstance(entry, Mapping):
            code_text = entry.get("code")
            declared = (
                not entry.get("suggested", False) and entry.get("declared", True) is not False
            )
        else:
            code_text, declared = entry, True
        code = cpv_code(code_text)
        if code is None or not re.fullmatch(r"\s*\d{8}(-\d)?\s*", str(code_text)):
            return f"{code_text!r} n'est pas un code CPV à 8 chiffres"
        if all(o["code"] != code for o in out):
            out.append({"code": code, "declared": declared})
    return out


def _territory(item: dict[str, Any], problem: Any) -> None:
    territory = item.get("territory")
    if territory is None and "departments" in item:
        territory = {"departments": item.pop("departments")}
    if territory is None:
        return
    if not isinstance(territory, Mapping):
        problem(
            "territory",
            "dictionnaire attendu (departments, commune, latitude, longitude, radius_km)",
        )
        return
    territory = dict(territory)
    deps = territory.get("departments") or []
    if isinstance(deps, str | int):
        deps = [d for d in re.split(r"[\s;,]+", str(deps)) if d]
    normalised = []
    for dep in deps:
        code = normalise_department(dep)
        if code is None:
            problem("departments", f"{dep!r} n'est pas un code de département")
        else:
            normalised.append(code)
    if "departments" in territory:  # absent stays absent (an update keeps the stored ones)
        territory["departments"] = list(dict.fromkeys(normalised))
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180), ("radius_km", 0, 2000)):
        if territory.get(key) in (None, ""):
            territory.pop(key, None)
            continue
        try:
            number = float(str(territory[key]).replace(",", "."))
        except ValueError:
            problem(key, f"{territory[key]!r} n'est pas un nombre")
            continue
        if not low <= number <= high:
            problem(key, f"{number} hors de l'intervalle [{low}, {high}]")
        territory[key] = number
    item["territory"] = territory


def _capacity(item: dict[str, Any], problem: Any) -> None:
    capacity = item.get("capacity")
    if capacity is None:
        return
    if not isinstance(capacity, Mapping):
        problem("capacity", "dictionnaire attendu (staff, turnover)")
        return
    capacity = dict(capacity)
    if capacity.get("staff") not in (None, ""):
        try:
            capacity["staff"] = int(str(capacity["staff"]).replace(" ", ""))
            if capacity["staff"] < 0:
                problem("staff", "ne doit pas être négatif")
        except ValueError:
            problem("staff", f"{capacity['staff']!r} n'est pas un nombre entier")
    if capacity.get("turnover") not in (None, ""):
        try:
            capacity["turnover"] = parse_money(capacity["turnover"])
        except ValueError:
            problem("turnover", f"{capacity['turnover']!r} n'est pas un montant")
    item["capacity"] = {k: v for k, v in capacity.items() if v not in (None, "")}
