"""Exports: a search's notices and the actor directory as CSV (French Excel) or XLSX files.

A search export says what it is before the table: a title, when it was made (Paris time), the
search page it comes from, every active filter in French (`describe_filters`), the sort, and —
when the row limit (`exports.max_rows`) cut it — "Export limité à 5 000 lignes sur 12 345
résultats". With words, the export holds the notices that contain them (text search: every
word, else any word), whatever the page's mode: a semantic ranking has no end, a file must.

The files are written by `app.spreadsheets`: CSV for French Excel, XLSX with real dates and
numbers; a cell that a spreadsheet would read as a formula is written as text.

The actor export is a plain table (header on the first line, no preamble) in the column format
`core.actors_io.load_actors` reads, so it can be edited and imported back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.search import SearchMode, SearchQuery, search
from veilleuse.app.search_params import search_page_url
from veilleuse.app.search_wording import STATUS_LABELS, describe_filters, describe_sort
from veilleuse.app.spreadsheets import csv_bytes, xlsx_bytes
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
        content = csv_bytes([[line] for line in preamble] + [[], header], rows)
    else:
        widths = [width for _, width in NOTICE_COLUMNS]
        content = xlsx_bytes("Avis", preamble, header, rows, widths)
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
        content = csv_bytes([header], rows)
    else:
        widths = [max(10, min(40, len(name) + 4)) for name in header]
        content = xlsx_bytes("Acteurs", [], header, rows, widths)
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
