"""Served territories from the command line: a summary of each (its communes resolved against
the administrative division, its actors, its buyers' search) and the import of territory
definitions from YAML or JSON, for a network that serves other territories than the demo's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError as PydanticError

from veilleuse.app import territories
from veilleuse.app.context import Context
from veilleuse.app.territory_searches import buyers_query
from veilleuse.core import territory as geo
from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.errors import ValidationError
from veilleuse.core.normalise import fold


@dataclass
class TerritorySummary:
    territory: PlanTerritory
    #: EPCI SIREN → name
    epcis: dict[str, str]
    #: INSEE code → name, sorted by name
    communes: dict[str, str]
    postcodes: list[str]
    actors: int
    buyers_query: str
    #: codes the administrative data does not know
    unknown: list[str] = field(default_factory=list)


def summarise(ctx: Context, territory: PlanTerritory) -> TerritorySummary:
    table, groups = geo.communes(), geo.epcis()
    resolved = geo.resolve(territory)
    names = sorted(((table[c].name, c) for c in resolved.communes), key=lambda p: fold(p[0]))
    return TerritorySummary(
        territory=territory,
        epcis={s: groups[s].name for s in territory.epcis if s in groups},
        communes={code: name for name, code in names},
        postcodes=sorted(resolved.postcodes | set(resolved.shared)),
        actors=len(territories.actor_ids_in(ctx, [territory.id])),
        buyers_query=buyers_query(territory),
        unknown=geo.unknown_codes(territory),
    )


def summaries(ctx: Context) -> list[TerritorySummary]:
    return [summarise(ctx, t) for t in territories.list_territories(ctx)]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    #: actor id → territory id, for actors placed by their commune
    assigned: dict[str, str] = field(default_factory=dict)


def read_definitions(path: Path) -> list[PlanTerritory]:
    """The territories of a YAML or JSON file: one mapping or a list of them, with `id` (or
    `slug`), `name`, and any of `communes` (INSEE), `epcis` (SIREN), `departments`. Codes the
    administrative data does not know are refused, naming the file and the territory."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path} : fichier illisible ({exc})") from exc
    items = data if isinstance(data, list) else [data]
    found = []
    for number, item in enumerate(items, start=1):
        found.append(_definition(path, number, item))
    return found


def _definition(path: Path, number: int, item: Any) -> PlanTerritory:
    where = f"{path}, territoire n° {number}"
    if not isinstance(item, dict):
        raise ValidationError(f"{where} : un territoire est un dictionnaire (id, name…)")
    item = dict(item)
    if "slug" in item and "id" not in item:
        item["id"] = item.pop("slug")
    for one, many in (("epci", "epcis"), ("commune", "communes"), ("department", "departments")):
        if one in item:
            value = item.pop(one)
            item.setdefault(many, value if isinstance(value, list) else [value])
    try:
        territory = PlanTerritory.model_validate(
            {k: [str(v) for v in val] if isinstance(val, list) else val for k, val in item.items()}
        )
    except PydanticError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))} : {e['msg']}" for e in exc.errors())
        raise ValidationError(f"{where} : {problems}") from exc
    unknown = geo.unknown_codes(territory)
    if unknown:
        raise ValidationError(
            f"{where} ({territory.id}) : codes inconnus du découpage administratif : "
            + ", ".join(unknown)
        )
    if not (territory.communes or territory.epcis or territory.departments):
        raise ValidationError(f"{where} ({territory.id}) : ni commune, ni EPCI, ni département")
    return territory


def import_territories(ctx: Context, path: Path, assign: bool = True) -> ImportReport:
    """Create or update the territories of a file (all or none: the file is read whole first);
    with `assign`, place the unassigned actors whose commune lies in one of them."""
    report = ImportReport()
    for territory in read_definitions(path):
        created = territories.ensure_territory(ctx, territory)
        (report.created if created else report.updated).append(territory.id)
    if assign:
        report.assigned = territories.assign_by_place(ctx)
    return report
