"""Tables written as spreadsheet files: CSV for French Excel, or XLSX.

CSV files are UTF-8 with a BOM and `;` separators, so French Excel opens them as they are
(dates as DD/MM/YYYY, decimal commas). XLSX files have real dates and numbers, a bold frozen
header with a filter and set column widths. Text is untrusted (it comes from sources): a cell
that a spreadsheet would read as a formula is written as text, and white space is folded to
one line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s.,/()]+")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SPACES = re.compile(r"[^\S\u00a0\u202f]+")  # white space, but not the non-breaking kinds


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


def csv_bytes(head: list[list[str]], rows: list[list[Any]]) -> bytes:
    """The `head` lines (preamble and header, as text) then the rows, as CSV for French Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for line in head:
        writer.writerow([_csv_cell(v) for v in line])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    sheet_name: str,
    preamble: list[str],
    header: list[str],
    rows: list[list[Any]],
    widths: list[int],
) -> bytes:
    """One sheet: preamble lines, a blank line, the bold frozen header with a filter, the rows."""
    return xlsx_book_bytes([Sheet(sheet_name, preamble, header, rows, widths)])


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name (at most 31 characters), preamble, header, rows."""

    name: str
    preamble: list[str]
    header: list[str]
    rows: list[list[Any]]
    widths: list[int]


def xlsx_book_bytes(sheets: list[Sheet]) -> bytes:
    """A workbook of `sheets`, in order, each laid out as `xlsx_bytes` lays out its one sheet."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    for number, data in enumerate(sheets):
        sheet = first if number == 0 else book.create_sheet()
        sheet.title = data.name
        _fill_sheet(sheet, data)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _fill_sheet(sheet: Any, data: Sheet) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    for number, line in enumerate(data.preamble, start=1):
        cell = sheet.cell(row=number, column=1, value=_xlsx_text(line))
        cell.data_type = "s"
        if number == 1:
            cell.font = Font(bold=True, size=13)
    header_row = len(data.preamble) + 2 if data.preamble else 1
    for column, name in enumerate(data.header, start=1):
        cell = sheet.cell(row=header_row, column=column, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
    for offset, row in enumerate(data.rows, start=1):
        for column, value in enumerate(row, start=1):
            _xlsx_cell(sheet.cell(row=header_row + offset, column=column), value)
    for column, width in enumerate(data.widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    last = f"{get_column_letter(len(data.header))}{header_row + max(len(data.rows), 1)}"
    sheet.auto_filter.ref = f"A{header_row}:{last}"


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
