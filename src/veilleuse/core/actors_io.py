"""Load and validate ESS actor profiles from YAML or CSV files that a network's staff edit by hand.

Both formats accept the words people use ("SCOP", "ESAT", "chantier d'insertion", "EI"), CPV
codes with or without check digit, départements as "5" or "05". Every problem is reported at once
in one `ValidationError` naming the file, the line, the actor and the field, because a watch
officer fixing a spreadsheet wants the whole list, not one error per run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic
import yaml

from veilleuse.core.errors import ValidationError
from veilleuse.core.models import Actor, EssFamily
from veilleuse.core.normalise import cpv_code, fold, normalise_department, parse_money, siret

CSV_COLUMNS = (
    "id", "name", "siret", "family", "description", "cpv", "departments", "commune",
    "latitude", "longitude", "radius_km", "staff", "turnover", "email", "phone",
)  # fmt: skip
CSV_OPTIONAL_COLUMNS = ("legal_form", "provenance", "contact_name")
CSV_REQUIRED = ("id", "name", "family")

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
        raise ValueError(f"unknown family {value!r} (expected one of: {_FAMILY_HINT})")
    return family


def demo_actors_path() -> Path:
    """The bundled demo profiles (real SIAE from Le Marché de l'inclusion + constructed ones)."""
    return Path(str(resources.files("veilleuse.config").joinpath("data/demo_actors.yaml")))


def load_actors(path: str | Path) -> list[Actor]:
    """Every actor of a YAML (list of mappings) or CSV (one row per actor) file, validated.

    Raises ValidationError listing every problem as '<file>:<line>: actor <id>, field <f>: why'.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".csv"}:
        raise ValidationError(f"{path}: unsupported actor file type {suffix!r} (use .yaml or .csv)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read actor file: {exc.strerror or exc}") from exc
    text = _decode(data, path)
    if suffix == ".csv":
        return _load_csv(text, path)
    return _load_yaml(text, path)


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first; French spreadsheets often save Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{path}: not UTF-8 nor Windows-1252 text ({exc})") from exc


# --------------------------------------------------------------------------- YAML


def _load_yaml(text: str, path: Path) -> list[Actor]:
    try:
        root = yaml.compose(text)
        items = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValidationError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    if items is None:
        return []
    if not isinstance(items, list) or not isinstance(root, yaml.SequenceNode):
        raise ValidationError(f"{path}: expected a list of actor mappings at the top level")
    problems: list[str] = []
    actors: list[Actor] = []
    for index, (item, node) in enumerate(zip(items, root.value, strict=True), start=1):
        line = node.start_mark.line + 1
        key_lines = (
            {k.value: k.start_mark.line + 1 for k, _ in node.value}
            if isinstance(node, yaml.MappingNode)
            else {}
        )
        where = f"{path}:{line}: item {index}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected a mapping of actor fields")
            continue
        actor = _build(dict(item), where, key_lines, path, problems)
        if actor is not None:
            actors.append(actor)
    _check_unique(actors, path, problems)
    if problems:
        raise ValidationError("\n".join(problems))
    return actors


# --------------------------------------------------------------------------- CSV


def _load_csv(text: str, path: Path) -> list[Actor]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    unknown = [c for c in columns if c and c not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        expected = ",".join(CSV_COLUMNS)
        raise ValidationError(f"{path}:1: {'; '.join(parts)} (expected: {expected})")
    problems: list[str] = []
    actors: list[Actor] = []
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(f"{path}:{line}: more values than columns")
            continue
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue
        item: dict[str, Any] = {k: v for k, v in cells.items() if v != ""}
        territory = {
            k: item.pop(k) for k in ("departments", "commune", "latitude", "longitude", "radius_km")
            if k in item
        }  # fmt: skip
        if territory:
            item["territory"] = territory
        capacity = {k: item.pop(k) for k in ("staff", "turnover") if k in item}
        if capacity:
            item["capacity"] = capacity
        actor = _build(item, f"{path}:{line}", {}, path, problems)
        if actor is not None:
            actors.append(actor)
    _check_unique(actors, path, problems)
    if problems:
        raise ValidationError("\n".join(problems))
    return actors


# --------------------------------------------------------------------------- shared


def _build(
    item: dict[str, Any], where: str, key_lines: dict[str, int], path: Path, problems: list[str]
) -> Actor | None:
    """Normalise the friendly shorthands, then let the pydantic model check the rest."""
    ident = item.get("id")
    label = f"{where}: actor {ident!r}" if ident else where
    before = len(problems)

    def problem(field: str, message: str) -> None:
        at = f" (line {key_lines[field]})" if field in key_lines else ""
        problems.append(f"{label}, field '{field}'{at}: {message}")

    for field in ("id", "name", "family"):
        if not str(item.get(field) or "").strip():
            problem(field, "is required")
    if item.get("id") is not None:
        item["id"] = str(item["id"]).strip()
    if item.get("family"):
        try:
            item["family"] = parse_family(item["family"])
        except ValueError as exc:
            problem("family", str(exc))
    if item.get("siret") not in (None, ""):
        value = siret(item["siret"])
        if value is None:
            problem("siret", f"{item['siret']!r} is not a 14-digit SIRET")
        item["siret"] = value
    cpv_field = "cpv_interests" if "cpv_interests" in item else "cpv"
    interests = _cpv_interests(item.pop("cpv", None), item.pop("cpv_interests", None))
    if isinstance(interests, str):
        problem(cpv_field, interests)
    else:
        item["cpv_interests"] = interests
    _territory(item, problem)
    _capacity(item, problem)
    contact = {k: item.pop(k) for k in ("email", "phone", "contact_name") if k in item}
    if contact:
        email = str(contact.get("email") or "")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problem("email", f"{email!r} is not an e-mail address")
        item.setdefault("contacts", []).insert(
            0,
            {
                "name": contact.get("contact_name"),
                "email": email or None,
                "phone": str(contact["phone"]) if contact.get("phone") else None,
            },
        )
    if len(problems) > before:
        return None
    try:
        return Actor.model_validate(item)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            problem(field, error["msg"])
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
            return f"expected a list of CPV codes, got {value!r}"
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
            return f"{code_text!r} is not an 8-digit CPV code"
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
            "territory", "expected a mapping (departments, commune, latitude, longitude, radius_km)"
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
            problem("departments", f"{dep!r} is not a département code")
        else:
            normalised.append(code)
    territory["departments"] = list(dict.fromkeys(normalised))
    for key, low, high in (("latitude", -90, 90), ("longitude", -180, 180), ("radius_km", 0, 2000)):
        if territory.get(key) in (None, ""):
            territory.pop(key, None)
            continue
        try:
            number = float(str(territory[key]).replace(",", "."))
        except ValueError:
            problem(key, f"{territory[key]!r} is not a number")
            continue
        if not low <= number <= high:
            problem(key, f"{number} is out of range [{low}, {high}]")
        territory[key] = number
    item["territory"] = territory


def _capacity(item: dict[str, Any], problem: Any) -> None:
    capacity = item.get("capacity")
    if capacity is None:
        return
    if not isinstance(capacity, Mapping):
        problem("capacity", "expected a mapping (staff, turnover)")
        return
    capacity = dict(capacity)
    if capacity.get("staff") not in (None, ""):
        try:
            capacity["staff"] = int(str(capacity["staff"]).replace(" ", ""))
            if capacity["staff"] < 0:
                problem("staff", "must not be negative")
        except ValueError:
            problem("staff", f"{capacity['staff']!r} is not a whole number")
    if capacity.get("turnover") not in (None, ""):
        try:
            capacity["turnover"] = parse_money(capacity["turnover"])
        except ValueError:
            problem("turnover", f"{capacity['turnover']!r} is not an amount")
    item["capacity"] = {k: v for k, v in capacity.items() if v not in (None, "")}


def _check_unique(actors: list[Actor], path: Path, problems: list[str]) -> None:
    seen: set[str] = set()
    for actor in actors:
        if actor.id in seen:
            problems.append(f"{path}: actor id {actor.id!r} appears more than once")
        seen.add(actor.id)
