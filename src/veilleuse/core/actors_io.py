"""Load and validate ESS actor profiles from YAML, CSV or XLSX files that a network's staff edit.

Every format accepts the words people use (see `core.actor_fields`, which builds each profile).
An XLSX sheet has the CSV columns in its first row and is read into the same row mappings as a
CSV file.

`read_actor_rows` gives one `ParsedActor` per row or item (the actor, or its problems), so a page
can preview a file row by row; `load_actors` reports every problem at once in one
`ValidationError` naming the file, the line, the actor and the field, because a watch officer
fixing a spreadsheet wants the whole list, not one error per run. Messages are in French: they
are read by the network's staff, in the CLI and on the import page alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from veilleuse.core.actor_fields import FieldProblem, build_actor
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import Actor

CSV_COLUMNS = (
    "id", "name", "siret", "family", "description", "cpv", "departments", "commune",
    "latitude", "longitude", "radius_km", "staff", "turnover", "email", "phone",
)  # fmt: skip
CSV_OPTIONAL_COLUMNS = ("legal_form", "provenance", "contact_name")
CSV_REQUIRED = ("id", "name", "family")
ACTOR_FILE_TYPES = (".yaml", ".yml", ".csv", ".xlsx")


def demo_actors_path() -> Path:
    """The bundled demo profiles (real SIAE from Le Marché de l'inclusion + constructed ones)."""
    return Path(str(resources.files("veilleuse.config").joinpath("data/demo_actors.yaml")))


@dataclass
class ParsedActor:
    """One row of a CSV/XLSX file or one item of a YAML list: its actor or its problems."""

    line: int
    actor: Actor | None
    problems: list[FieldProblem] = field(default_factory=list)
    #: the identifier as written, to name the row even when it is invalid
    raw_id: str | None = None
    #: 1-based position in a YAML list (None for table rows)
    item: int | None = None

    def where(self, origin: str) -> str:
        """'<file>:<line>: élément 2: acteur 'x'' — the prefix of this row's messages."""
        label = f"{origin}:{self.line}"
        if self.item is not None:
            label += f": élément {self.item}"
        return f"{label}: acteur {self.raw_id!r}" if self.raw_id else label


def load_actors(path: str | Path) -> list[Actor]:
    """Every actor of a YAML (list of mappings), CSV or XLSX (one row per actor) file, validated.

    Raises ValidationError listing every problem as '<file>:<line>: acteur <id>, champ <f> : why'.
    """
    path = Path(path)
    _check_type(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"{path}: lecture impossible : {exc.strerror or exc}") from exc
    rows = read_actor_rows(path, data)
    problems = [
        f"{row.where(str(path))}{', ' if row.raw_id else ': '}{problem}"
        for row in rows
        for problem in row.problems
    ]
    if problems:
        raise ValidationError("\n".join(problems))
    return [row.actor for row in rows if row.actor is not None]


def read_actor_rows(name: str | Path, data: bytes) -> list[ParsedActor]:
    """Parse a file's bytes (type from `name`'s suffix) into one result per row, writing nothing.

    Problems of the file as a whole (type, encoding, header, YAML syntax) raise ValidationError;
    problems of a row are in its `ParsedActor`. A repeated identifier is a problem of the later row.
    """
    path = Path(name)
    suffix = _check_type(path)
    if suffix == ".xlsx":
        columns, table = _xlsx_table(data, path)
        rows = _table_rows(columns, table, path)
    elif suffix == ".csv":
        columns, table = _csv_table(_decode(data, path))
        rows = _table_rows(columns, table, path)
    else:
        rows = _yaml_rows(_decode(data, path), path)
    _check_unique(rows)
    return rows


def _check_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in ACTOR_FILE_TYPES:
        raise ValidationError(
            f"{path}: type de fichier d'acteurs non pris en charge {suffix!r} "
            "(.csv, .xlsx, .yaml ou .yml)"
        )
    return suffix


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first; French spreadsheets often save Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"{path}: texte ni UTF-8 ni Windows-1252 ({exc})") from exc


# --------------------------------------------------------------------------- YAML


def _yaml_rows(text: str, path: Path) -> list[ParsedActor]:
    try:
        root = yaml.compose(text)
        items = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValidationError(f"{where}: YAML invalide : {getattr(exc, 'problem', exc)}") from exc
    if items is None:
        return []
    if not isinstance(items, list) or not isinstance(root, yaml.SequenceNode):
        raise ValidationError(f"{path}: une liste d'acteurs est attendue au premier niveau")
    rows: list[ParsedActor] = []
    for index, (item, node) in enumerate(zip(items, root.value, strict=True), start=1):
        line = node.start_mark.line + 1
        if not isinstance(item, Mapping):
            problem = FieldProblem(None, "un dictionnaire de champs d'acteur est attendu")
            rows.append(ParsedActor(line, None, [problem], item=index))
            continue
        key_lines = (
            {k.value: k.start_mark.line + 1 for k, _ in node.value}
            if isinstance(node, yaml.MappingNode)
            else {}
        )
        actor, problems = build_actor(item, key_lines)
        rows.append(ParsedActor(line, actor, problems, _raw_id(item), index))
    return rows


# --------------------------------------------------------------------------- CSV and XLSX

#: (line in the file, cells by column name, extra values beyond the header)
TableRow = tuple[int, dict[str, str], bool]


def _csv_table(text: str) -> tuple[list[str], Iterator[TableRow]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip() for c in reader.fieldnames or []]

    def rows() -> Iterator[TableRow]:
        for row in reader:
            cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            yield reader.line_num, cells, None in row

    return columns, rows()


def _xlsx_table(data: bytes, path: Path) -> tuple[list[str], Iterator[TableRow]]:
    """The first sheet: column names in row 1, one actor per following row."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ValidationError(f"{path}: classeur XLSX illisible ({exc})") from exc
    sheet = book.worksheets[0]
    values = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    if not values:
        return [], iter(())
    columns = [c.strip() for c in values[0]]
    while columns and not columns[-1]:
        columns.pop()

    def rows() -> Iterator[TableRow]:
        for line, row in enumerate(values[1:], start=2):
            cells = {c: (row[i] if i < len(row) else "") for i, c in enumerate(columns) if c}
            yield line, cells, any(row[len(columns) :])

    return columns, rows()


def _cell(value: object) -> str:
    """A spreadsheet cell as the text a CSV file would hold ('77310000', not '77310000.0')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _table_rows(columns: list[str], table: Iterator[TableRow], path: Path) -> list[ParsedActor]:
    missing = [c for c in CSV_REQUIRED if c not in columns]
    unknown = [c for c in columns if c and c not in CSV_COLUMNS + CSV_OPTIONAL_COLUMNS]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"colonne(s) manquante(s) : {', '.join(missing)}")
        if unknown:
            parts.append(f"colonne(s) inconnue(s) : {', '.join(unknown)}")
        expected = ",".join(CSV_COLUMNS)
        raise ValidationError(f"{path}:1: {' ; '.join(parts)} (attendues : {expected})")
    rows: list[ParsedActor] = []
    for line, cells, extra in table:
        if extra:
            problem = FieldProblem(None, "plus de valeurs que de colonnes")
            rows.append(ParsedActor(line, None, [problem], cells.get("id") or None))
            continue
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
        actor, problems = build_actor(item)
        rows.append(ParsedActor(line, actor, problems, _raw_id(item)))
    return rows


# --------------------------------------------------------------------------- shared


def _raw_id(item: Mapping[str, Any]) -> str | None:
    value = item.get("id")
    return str(value).strip() or None if value not in (None, "") else None


def _check_unique(rows: list[ParsedActor]) -> None:
    """A repeated identifier (or SIRET) is a problem of every row after the first one."""
    first_id: dict[str, int] = {}
    first_siret: dict[str, int] = {}
    for row in rows:
        if row.actor is None:
            continue
        actor = row.actor
        if actor.id in first_id:
            row.problems.append(
                FieldProblem("id", f"identifiant déjà présent ligne {first_id[actor.id]}")
            )
        else:
            first_id[actor.id] = row.line
        if actor.siret and actor.siret in first_siret:
            row.problems.append(
                FieldProblem("siret", f"SIRET déjà présent ligne {first_siret[actor.siret]}")
            )
        elif actor.siret:
            first_siret[actor.siret] = row.line
        if row.problems:
            row.actor = None
