"""Figures read from the notice store: notices collected, reserved contracts and social clauses.

A notice counts in the period when it was *first collected* (stored) in it — whatever its own
publication date — through the store's `first_seen_from`/`first_seen_before` window, with its
counts and facets (no notice is listed). The store is shared by every served territory, so the
collection is counted nationally, with a column for the notices located in the territory's
départements (a notice's place of performance, its lots' or its buyer's département). Reserved
contracts and social clauses are counted among the calls for tenders located in the territory
(the plan's "share of tenders with a social consideration"), with the national share beside it.
"""

from __future__ import annotations

from veilleuse.app.statistics_inputs import StatisticsInputs
from veilleuse.app.statistics_model import Chart, ChartKind, StatRow, StatTable, Unit, share
from veilleuse.core.models import NoticeKind
from veilleuse.digests.render import source_label

KIND_ORDER = (
    NoticeKind.TENDER,
    NoticeKind.FUNDING_CALL,
    NoticeKind.PIN,
    NoticeKind.AWARD,
    NoticeKind.OTHER,
)
KIND_COLUMNS = {
    NoticeKind.TENDER: "Appels d'offres",
    NoticeKind.FUNDING_CALL: "Appels à projets et aides",
    NoticeKind.PIN: "Pré-informations",
    NoticeKind.AWARD: "Attributions",
    NoticeKind.OTHER: "Autres avis",
}


def departments_label(inputs: StatisticsInputs) -> str:
    deps = inputs.territory.departments
    if not deps:
        return "aucun département défini pour ce territoire"
    return "dép. " + ", ".join(deps)


def _source_labels(sources: list[str]) -> dict[str, str]:
    labels = {s: source_label(s) for s in sources}
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    return {s: f"{label} ({s})" if label in shared else label for s, label in labels.items()}


def notices_collected(inputs: StatisticsInputs) -> StatTable:
    """Notices first collected in the period, by source and kind, nationally; and how many of
    them are located in the territory's départements."""
    national = inputs.facets()["source"]
    by_kind = {kind: inputs.facets(kinds=[kind])["source"] for kind in KIND_ORDER}
    local_note = departments_label(inputs)
    has_local = bool(inputs.territory.departments)
    local = inputs.facets(local=True)["source"] if has_local else {}
    sources = sorted(national, key=lambda s: (-national[s], s))
    labels = _source_labels(sources)
    rows = [
        StatRow(
            key=source,
            label=labels[source],
            values=[
                *(by_kind[kind].get(source, 0) for kind in KIND_ORDER),
                national[source],
                local.get(source, 0) if has_local else None,
            ],
        )
        for source in sources
    ]
    total = [
        *(sum(by_kind[kind].values()) for kind in KIND_ORDER),
        sum(national.values()),
        sum(local.values()) if has_local else None,
    ]
    return StatTable(
        key="notices",
        title="Avis collectés par source et par type",
        scope=(
            "Avis enregistrés pour la première fois pendant la période, toutes zones : la veille "
            "est commune à tous les territoires servis (comptés au niveau national). Dernière "
            f"colonne : ceux localisés dans le territoire ({local_note})."
        ),
        dimension="Source",
        columns=[*(KIND_COLUMNS[k] for k in KIND_ORDER), "Total national", "Dont territoire"],
        units=[Unit.COUNT] * (len(KIND_ORDER) + 2),
        rows=rows,
        total=total,
        chart=Chart(kind=ChartKind.STACKED, columns=list(range(len(KIND_ORDER)))),
        summary=(
            f"{total[len(KIND_ORDER)]} avis collectés au niveau national, dont "
            f"{total[-1] if has_local else 'un nombre inconnu'} dans le territoire ; "
            + "; ".join(f"{r.label} : {r.values[len(KIND_ORDER)]}" for r in rows[:6])
        ),
    )


def _social_counts(inputs: StatisticsInputs, local: bool) -> tuple[int, int, int, int]:
    """(tenders, reserved, with a social clause, reserved or with a social clause)."""
    tender = [NoticeKind.TENDER]
    tenders = inputs.count(local, kinds=tender)
    reserved = inputs.count(local, kinds=tender, reserved=True)
    social = inputs.count(local, kinds=tender, social_clause=True)
    both = inputs.count(local, kinds=tender, reserved=True, social_clause=True)
    return tenders, reserved, social, reserved + social - both


SOCIAL_ROWS = (
    ("tenders", "Appels d'offres collectés"),
    ("reserved", "Marchés réservés (ESAT/EA, insertion, ESS)"),
    ("social_clause", "Avec une clause sociale"),
    ("social_consideration", "Réservés ou avec une clause sociale"),
)


def social_considerations(inputs: StatisticsInputs) -> StatTable:
    """Reserved contracts and social clauses among the calls for tenders first collected in
    the period: in the territory's départements and nationally, each with its share."""
    has_local = bool(inputs.territory.departments)
    local = _social_counts(inputs, True) if has_local else None
    national = _social_counts(inputs, False)
    rows = []
    for index, (key, label) in enumerate(SOCIAL_ROWS):
        values: list[float | int | None] = []
        for counts in (local, national):
            if counts is None:
                values += [None, None]
            else:
                part = share(counts[index], counts[0]) if index else None
                values += [counts[index], part]
        rows.append(StatRow(key=key, label=label, values=values))
    where = departments_label(inputs)
    local_share = rows[3].values[1]
    return StatTable(
        key="social",
        title="Marchés réservés et clauses sociales",
        scope=(
            "Appels d'offres enregistrés pour la première fois pendant la période, localisés "
            f"dans le territoire ({where}), et au niveau national. Détection automatique à partir "
            "des champs structurés et du texte des avis ; part des appels d'offres."
        ),
        dimension="Appels d'offres",
        columns=["Territoire", "Part territoire (%)", "National", "Part nationale (%)"],
        units=[Unit.COUNT, Unit.PERCENT, Unit.COUNT, Unit.PERCENT],
        rows=rows,
        chart=Chart(kind=ChartKind.BARS, columns=[1, 3]),
        summary=(
            f"Dans le territoire, {_percent_text(local_share)} des appels d'offres sont réservés "
            f"ou portent une clause sociale, contre {_percent_text(rows[3].values[3])} au "
            "niveau national."
        ),
    )


def _percent_text(value: float | int | None) -> str:
    return "—" if value is None else f"{value:.1f} %".replace(".", ",")
