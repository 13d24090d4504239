"""Export of the grouped-bid register: the bids a user sees, as CSV (French Excel) or XLSX.

Like the search export (`app.exports`), the file says what it is before the table: a title,
when it was made (Paris time), every active filter in French (`describe_bid_filters`; the user's
own territories included, so a file says whose bids it lists) and the
number of rows (or that the `exports.max_rows` limit cut it). One line per bid; its members
in one cell (« Nom (rôle, lots, part) », the lead first); stages, reasons, roles and forms in
the French words of `core.bids`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from veilleuse.app.context import Context
from veilleuse.app.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Export, ExportFormat
from veilleuse.app.grouped_bids import count_bids, list_bids, member_names, need_view, scoped
from veilleuse.app.spreadsheets import csv_bytes, xlsx_bytes
from veilleuse.app.territories import list_territories
from veilleuse.core.accounts import User
from veilleuse.core.bids import BidFilters, BidMember, GroupedBid
from veilleuse.core.deadlines import format_date_fr
from veilleuse.core.normalise import PARIS
from veilleuse.records import actors as actor_records

BID_COLUMNS = (
    ("N°", 6),
    ("Nature", 16),
    ("Titre", 50),
    ("Avis", 24),
    ("Territoire", 22),
    ("Étape", 18),
    ("Mandataire", 28),
    ("Membres", 60),
    ("Lots", 20),
    ("Forme", 20),
    ("Montant gagné", 14),
    ("Devise", 8),
    ("Raison", 20),
    ("Précision", 30),
    ("Issu d'une suggestion", 10),
    ("Résultat proposé", 24),
    ("Contact", 24),
    ("E-mail du contact", 28),
    ("Documents", 40),
    ("Créé le", 17),
    ("Mis à jour le", 17),
    ("Fiche Veilleuse", 40),
)


def _moment(value: datetime) -> str:
    local = value.astimezone(PARIS)
    return f"{format_date_fr(local.date())} à {local.hour}\u00a0h\u00a0{local.minute:02d}"


def _day(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return _moment(value)
    return value.strftime("%d/%m/%Y")


def _count(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def describe_bid_filters(ctx: Context, filters: BidFilters) -> list[str]:
    """The active filters in French, one line each (empty when nothing narrows the list)."""
    lines = []
    if filters.territories is not None:
        names = {t.id: t.name for t in list_territories(ctx)}
        lines.append(
            "Territoires : " + (", ".join(names.get(t, t) for t in filters.territories) or "aucun")
        )
    if filters.stages:
        lines.append("Étapes : " + ", ".join(s.label for s in filters.stages))
    if filters.open_only:
        lines.append("Groupements en cours seulement")
    if filters.kinds:
        lines.append("Nature : " + ", ".join(k.label for k in filters.kinds))
    if filters.notice_uids:
        lines.append("Avis : " + ", ".join(filters.notice_uids))
    if filters.actor_ids:
        members = member_names_of(ctx, filters.actor_ids)
        lines.append("Structures membres : " + ", ".join(members))
    if filters.from_suggestion is not None:
        lines.append(
            "Issus d'une suggestion" if filters.from_suggestion else "Créés sans suggestion"
        )
    for what, low, high in (
        ("Créés", filters.created_from, filters.created_to),
        ("Mis à jour", filters.updated_from, filters.updated_to),
    ):
        if low is not None and high is not None:
            lines.append(f"{what} du {_day(low)} au {_day(high)}")
        elif low is not None:
            lines.append(f"{what} à partir du {_day(low)}")
        elif high is not None:
            lines.append(f"{what} jusqu'au {_day(high)}")
    return lines


def member_names_of(ctx: Context, actor_ids: list[str]) -> list[str]:
    """The names of these actors (the id for one no longer stored), in order."""
    found = {a.id: a.name for a in actor_records.get_actors(ctx.records, actor_ids)}
    return [found.get(a, a) for a in actor_ids]


def export_bids(
    ctx: Context,
    user: User,
    filters: BidFilters | None = None,
    fmt: ExportFormat | str = ExportFormat.CSV,
    limit: int | None = None,
    *,
    now: datetime | None = None,
) -> Export:
    """The bids of `filters` that `user` sees (oldest first) as a CSV or XLSX file.

    At most `limit` rows (default: the `exports.max_rows` setting); the file says when the
    list was cut. Needs `grouped_bids.view`; raises ValueError for an unknown format.
    """
    need_view(user)
    fmt = ExportFormat(fmt)
    now = now or ctx.now()
    filters = filters or BidFilters()
    rows_max = limit or ctx.settings.exports.max_rows
    total = count_bids(ctx, user, filters)
    bids = list_bids(ctx, user, filters.model_copy(update={"limit": rows_max, "offset": 0}))
    names = member_names(ctx, bids)
    territories = {t.id: t.name for t in list_territories(ctx)}
    base_url = ctx.settings.web.base_url.rstrip("/")
    truncated = total > len(bids)
    preamble = [
        "Veilleuse — groupements (candidatures groupées)",
        f"Exporté le {_moment(now)} (heure de Paris)",
        *(
            describe_bid_filters(ctx, scoped(user, filters))
            or ["Aucun filtre : tous les groupements visibles"]
        ),
        (
            f"Export limité à {_count(len(bids))} lignes sur {_count(total)} groupements"
            if truncated
            else f"{_count(len(bids))} groupements"
        ),
    ]
    header = [name for name, _ in BID_COLUMNS]
    rows = [_row(bid, names, territories, base_url) for bid in bids]
    if fmt is ExportFormat.CSV:
        content = csv_bytes([[line] for line in preamble] + [[], header], rows)
    else:
        content = xlsx_bytes("Groupements", preamble, header, rows, [w for _, w in BID_COLUMNS])
    stamp = now.astimezone(PARIS).strftime("%Y%m%d-%H%M")
    return Export(
        filename=f"veilleuse-groupements-{stamp}.{fmt.value}",
        media_type=CSV_MEDIA_TYPE if fmt is ExportFormat.CSV else XLSX_MEDIA_TYPE,
        content=content,
        rows=len(rows),
        truncated=truncated,
        total=total,
    )


def _member(member: BidMember, names: dict[str, str]) -> str:
    parts = [member.role.label]
    if member.lots:
        parts.append("lots " + ", ".join(member.lots))
    if member.share_percent is not None:
        parts.append(f"{member.share_percent:g}\u00a0%".replace(".", ","))
    return f"{names.get(member.actor_id, member.actor_id)} ({', '.join(parts)})"


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(PARIS).replace(tzinfo=None) if value else None


def _row(
    bid: GroupedBid, names: dict[str, str], territories: dict[str, str], base_url: str
) -> list[Any]:
    lead = bid.lead()
    proposal = bid.proposal
    return [
        bid.id,
        bid.kind.label,
        bid.title,
        bid.notice_uid,
        territories.get(bid.territory_id or "", bid.territory_id or ""),
        bid.stage.label,
        names.get(lead.actor_id, lead.actor_id) if lead else "",
        " ; ".join(_member(m, names) for m in bid.members),
        ", ".join(bid.lots()),
        bid.form.label if bid.form else "",
        bid.amount_won.amount if bid.amount_won else None,
        bid.amount_won.currency if bid.amount_won else "",
        bid.loss_reason.label if bid.loss_reason else "",
        bid.loss_detail or "",
        bid.from_suggestion,
        f"{proposal.outcome.label} ({proposal.award_uid})" if proposal else "",
        bid.contact_name or "",
        bid.contact_email or "",
        " ".join(bid.documents),
        _local(bid.created_at),
        _local(bid.updated_at),
        f"{base_url}/groupements/{bid.id}",
    ]
