"""Exports: a search's notices and the actor directory as CSV (French Excel) or XLSX files.

A search export says what it is before the table: a title, when it was made (Paris time), the
search page it comes from, every active filter in French (`describe_filters`), the sort, and —
when the row limit (`exports.max_rows`) cut it — "Export limité à 5 000 lignes sur 12 345
résultats". With words, the export holds the notices that contain them (text search: every
word, else any word), whatever the page's mode: a semantic ranking has no end, a file must.

CSV files are UTF-8 with a BOM and `;` separators, so French Excel opens them as they are;
XLSX files have real dates and numbers, a bold frozen header and set column widths. Text from
sources is untrusted: a cell that a spreadsheet would read as a formula is written as text.

The actor export is a plain table (header on the first line, no preamble) in the column format
`core.actors_io.load_actors` reads, so it can be edited and imported back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, search
from veilleuse.app.search_params import search_page_url
from veilleuse.app.search_wording import STATUS_LABELS, describe_filters, describe_sort
from veilleuse.core.actors_io import CSV_COLUMNS, CSV_OPTIONAL_COLUMNS
from veilleuse.core.models import Actor, Notice
from veilleuse.core.normalise import PARIS
from veilleuse.digests.render import KIND_LABELS, format_date_fr, source_label
from veilleuse.matching.cpv import cpv_label
from veilleuse.records import actors as actor_records
from veilleuse.search.store import estimated_amount_eur

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTOR_COLUMNS = (*CSV_COLUMNS, *CSV_OPTIONAL_COLUMNS)
NOTICE_COLUMNS = (
    ("Identifiant", 22),
    ("Source", 14),
    ("Type", 20),
    ("Titre", 60),
    ("Acheteur / financeur", 36),
    ("Départements", 14),
    ("Codes CPV", 20),
    ("Libellés CPV", 50),
    ("Date limite", 17),
    ("Publié le", 12),
    ("Montant estimé (€)", 18),
    ("Marché réservé", 10),
    ("Clause sociale", 10),
    ("Statut", 10),
    ("Lien", 50),
    ("Fiche Veilleuse", 50),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s.,/()]+")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # white space, but not the non-breaking kinds


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Export:
    """A file ready to download: `rows` notices (or actors) out of `total`."""

    filename: str
    media_type: str
    content: bytes
    rows: int
    truncated: bool
    total: int


def _count_fr(value: int) -> str:
    """'12 345' (a space between thousands, as people write it in a sentence)."""
    return f"{value:,}".replace(",", " ")


def _moment_fr(now: datetime) -> str:
    local = now.astimezone(PARIS)
    return f"{format_date_fr(local.date())} à {local.hour}\u00a0h\u00a0{local.minute:02d}"


def _stamp(now: datetime) -> str:
    return now.astimezone(PARIS).strftime("%Y%m%d-%H%M")


# --------------------------------------------------------------------------- search export


def export_search(
    ctx: Context,
    query: SearchQuery,
    fmt: ExportFormat | str = ExportFormat.CSV,
    limit: int | None = None,
    *,
    now: datetime | None = None,
) -> Export:
    """The notices of `query` (from the first one, in its sort order) as a CSV or XLSX file.

    At most `limit` rows (default: the `exports.max_rows` setting); the file says when the
    result was cut. Raises ValueError for an unknown format.
    """
    fmt = ExportFormat(fmt)
    now = now or ctx.now()
    rows_max = limit or ctx.settings.exports.max_rows
    mode = SearchMode.TEXT if query.has_words() else query.mode
    run = query.model_copy(
        update={"mode": mode, "limit": rows_max, "offset": 0, "with_facets": False}
    )
    report = search(ctx, run.model_copy(update={"highlights": False}))
    notices = [hit.notice for hit in report.hits]
    truncated = report.total > len(notices)
    base_url = ctx.settings.web.base_url
    preamble = [
        "Veilleuse — avis exportés d'une recherche",
        f"Exporté le {_moment_fr(now)} (heure de Paris)",
        f"Recherche : {search_page_url(base_url, run)}",
        *(describe_filters(run) or ["Aucun filtre : tous les avis"]),
        describe_sort(run),
        (
            f"Export limité à {_count_fr(len(notices))} lignes sur "
            f"{_count_fr(report.total)} résultats"
            if truncated
            else f"{_count_fr(len(notices))} avis"
        ),
    ]
    header = [name for name, _ in NOTICE_COLUMNS]
    rows = [_notice_row(n, base_url) for n in notices]
    if fmt is ExportFormat.CSV:
        content = _csv_bytes([[line] for line in preamble] + [[], header], rows)
    else:
        widths = [width for _, width in NOTICE_COLUMNS]
        content = _xlsx_bytes("Avis", preamble, header, rows, widths)
    return Export(
        filename=f"veilleuse-recherche-{_stamp(now)}.{fmt.value}",
        media_type=CSV_MEDIA_TYPE if fmt is ExportFormat.CSV else XLSX_MEDIA_TYPE,
        content=content,
        rows=len(rows),
        truncated=truncated,
        total=report.total,
    )


def _flag(value: bool | None) -> str:
    return "" if value is None else ("oui" if value else "non")


def _deadline(value: date | datetime | None) -> date | datetime | None:
    """A deadline as a spreadsheet shows it: a Paris wall-clock time, or the day alone."""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).replace(tzinfo=None)
    return value


def _notice_row(notice: Notice, base_url: str) -> list[Any]:
    codes = notice.all_cpv()
    return [
        notice.uid,
        source_label(notice.source),
        KIND_LABELS[notice.kind],
        notice.title,
        notice.buyer.name or "",
        ", ".join(notice.all_departments()),
        " ".join(codes),
        " ; ".join(f"{c} {cpv_label(c) or ''}".strip() for c in codes),
        _deadline(notice.deadline),
        notice.published,
        estimated_amount_eur(notice),
        _flag(notice.reserved),
        _flag(notice.social_clause),
        STATUS_LABELS[notice.status],
        notice.url or "",
        f"{base_url.rstrip('/')}/avis/{notice.uid}",
    ]


# --------------------------------------------------------------------------- actor export


def export_actors(
    ctx: Context,
    actors: Sequence[Actor] | None = None,
    fmt: ExportFormat | str = ExportFormat.CSV,
    *,
    now: datetime | None = None,
) -> Export:
    """Actors (default: every active one) in the import format of `core.actors_io`.

    Round trip limits: only the first contact (name, e-mail, phone) is written, CPV codes
    only when declared (suggested ones stay out, so an import update keeps them as they are),
    and digest preferences are not part of the format.
    """
    fmt = ExportFormat(fmt)
    now = now or ctx.now()
    chosen = list(actors) if actors is not None else actor_records.list_actors(ctx.records)
    rows = [_actor_row(actor) for actor in chosen]
    header = list(ACTOR_COLUMNS)
    if fmt is ExportFormat.CSV:
        content = _csv_bytes([header], rows)
    else:
        widths = [max(10, min(40, len(name) + 4)) for name in header]
        content = _xlsx_bytes("Acteurs", [], header, rows, widths)
    return Export(
        filename=f"veilleuse-acteurs-{_stamp(now)}.{fmt.value}",
        media_type=CSV_MEDIA_TYPE if fmt is ExportFormat.CSV else XLSX_MEDIA_TYPE,
        content=content,
        rows=len(rows),
        truncated=False,
        total=len(rows),
    )


def _actor_row(actor: Actor) -> list[Any]:
    contact = actor.contacts[0] if actor.contacts else None
    territory, capacity = actor.territory, actor.capacity
    values: dict[str, Any] = {
        "id": actor.id,
        "name": actor.name,
        "siret": actor.siret or "",
        "family": actor.family.value,
        "description": actor.description,
        "cpv": " ".join(c.code for c in actor.cpv_interests if c.declared),
        "departments": " ".join(territory.departments),
        "commune": territory.commune or "",
        "latitude": territory.latitude,
        "longitude": territory.longitude,
        "radius_km": territory.radius_km,
        "staff": capacity.staff,
        "turnover": capacity.turnover,
        "email": (contact.email if contact else None) or "",
        "phone": (contact.phone if contact else None) or "",
        "legal_form": actor.legal_form or "",
        "provenance": actor.provenance or "",
        "contact_name": (contact.name if contact else None) or "",
    }
    return [values[name] for name in ACTOR_COLUMNS]


# --------------------------------------------------------------------------- writers


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _safe_text(value: str) -> str:
    """Text a spreadsheet will not run: a leading =, +, -, @ is quoted unless it is a number."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text.replace(".", ",")  # French Excel reads a decimal comma
    if isinstance(value, int):
        return str(value)
    return _safe_text(_one_line(str(value)))


def _csv_bytes(head: list[list[str]], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in head:
        writer.writerow([_csv_cell(v) for v in line])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(
    sheet_name: str,
    preamble: list[str],
    header: list[str],
    rows: list[list[Any]],
    widths: list[int],
) -> bytes:
    """One sheet: preamble lines, a blank line, the bold frozen header with a filter, the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name
    for number, line in enumerate(preamble, start=1):
        cell = sheet.cell(row=number, column=1, value=_xlsx_text(line))
        cell.data_type = "s"
        if number == 1:
            cell.font = Font(bold=True, size=13)
    header_row = len(preamble) + 2 if preamble else 1
    for column, name in enumerate(header, start=1):
        cell = sheet.cell(row=header_row, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    for offset, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            _xlsx_cell(sheet.cell(row=header_row + offset, column=column), value)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    last = f"{get_column_letter(len(header))}{header_row + max(len(rows), 1)}"
    sheet.auto_filter.ref = f"A{header_row}:{last}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_text(value: str) -> str:
    return _ILLEGAL_XML.sub(" ", value)


def _xlsx_cell(cell: Any, value: Any) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        cell.value = value
        cell.number_format = "DD/MM/YYYY HH:MM"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "DD/MM/YYYY"
    elif isinstance(value, bool):
        cell.value = "oui" if value else "non"
    elif isinstance(value, float | int):
        cell.value = value
        if isinstance(value, float) and value >= 1000:
            cell.number_format = "#,##0"
    else:
        cell.value = _xlsx_text(_one_line(str(value)))
        cell.data_type = "s"  # never a formula, whatever the text starts with
