"""Figures of what Veilleuse delivered to the territory's actors: the digest items of the period.

An opportunity is *delivered* when it is an item of a digest e-mail sent (status `sent`) during
the period to an actor assigned to the territory; pending or failed digests do not count. An
actor is *reached* when it received at least one item in the period; the base is every actor
assigned to the territory today, active or paused.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from veilleuse.app.actor_admin import FAMILY_LABELS
from veilleuse.app.statistics_inputs import StatisticsInputs
from veilleuse.app.statistics_model import Chart, ChartKind, StatRow, StatTable, Unit, share
from veilleuse.core.models import EssFamily
from veilleuse.matching.cpv import cpv_label

NO_CPV = "sans-cpv"
MISSING = "hors-index"


def delivered_by_family(inputs: StatisticsInputs) -> StatTable:
    """Items delivered, actors reached and actors in the base, per ESS family."""
    family_of = {a: e.actor.family for a, e in inputs.actors.items()}
    items: Counter[EssFamily] = Counter()
    reached: dict[EssFamily, set[str]] = defaultdict(set)
    for actor_id, _ in inputs.delivered:
        family = family_of[actor_id]
        items[family] += 1
        reached[family].add(actor_id)
    base = Counter(family_of.values())
    families = sorted(base, key=lambda f: (-items[f], -base[f], FAMILY_LABELS[f]))
    rows = [
        StatRow(
            key=f.value,
            label=FAMILY_LABELS[f],
            values=[items[f], len(reached[f]), base[f], share(len(reached[f]), base[f])],
        )
        for f in families
    ]
    total_reached = sum(len(r) for r in reached.values())
    total_base = len(family_of)
    return StatTable(
        key="delivery_family",
        title="Opportunités envoyées et structures touchées, par famille de l'ESS",
        scope=(
            "Avis envoyés dans les lettres de veille parties pendant la période aux structures "
            "rattachées au territoire (un avis par structure au plus) ; une structure est "
            "touchée si elle en a reçu au moins un. Base : toutes les structures du territoire, "
            "actives ou en pause."
        ),
        dimension="Famille de l'ESS",
        columns=[
            "Opportunités envoyées",
            "Structures touchées",
            "Structures de la base",
            "Part touchée (%)",
        ],
        units=[Unit.COUNT, Unit.COUNT, Unit.COUNT, Unit.PERCENT],
        rows=rows,
        total=[sum(items.values()), total_reached, total_base, share(total_reached, total_base)],
        chart=Chart(kind=ChartKind.BARS, columns=[1, 2]),
        summary=(
            f"{sum(items.values())} opportunités envoyées ; {total_reached} structures touchées "
            f"sur {total_base} dans la base."
        ),
    )


def division_label(division: str) -> str:
    if division == NO_CPV:
        return "Sans code CPV (aides, appels à projets…)"
    if division == MISSING:
        return "Avis retiré de l'index"
    label = cpv_label(division + "000000")
    return f"{division} — {label}" if label else division


def delivered_by_cpv_division(inputs: StatisticsInputs) -> StatTable:
    """Items delivered per CPV division (2 digits) of the notice; a notice of two divisions
    counts in both, one without a CPV code in its own row."""
    notices = inputs.delivered_notices
    items: Counter[str] = Counter()
    distinct: dict[str, set[str]] = defaultdict(set)
    for _, uid in inputs.delivered:
        notice = notices.get(uid)
        divisions = {c[:2] for c in notice.all_cpv() if c[:2].isdigit()} if notice else set()
        keys = divisions or {NO_CPV if notice else MISSING}
        for key in keys:
            items[key] += 1
            distinct[key].add(uid)
    ordered = sorted(items, key=lambda k: (k in (NO_CPV, MISSING), -items[k], k))
    rows = [
        StatRow(key=k, label=division_label(k), values=[items[k], len(distinct[k])])
        for k in ordered
    ]
    top = [r for r in rows if r.key not in (NO_CPV, MISSING)][:3]
    return StatTable(
        key="delivery_cpv",
        title="Opportunités envoyées, par division CPV",
        scope=(
            "Mêmes envois que le tableau par famille, répartis selon la division (2 premiers "
            "chiffres) des codes CPV de l'avis et de ses lots : un avis de deux divisions compte "
            "dans chacune, le total des lignes peut donc dépasser le nombre d'envois."
        ),
        dimension="Division CPV",
        columns=["Opportunités envoyées", "Avis distincts"],
        units=[Unit.COUNT, Unit.COUNT],
        rows=rows,
        total=[len(inputs.delivered), len({uid for _, uid in inputs.delivered})],
        chart=Chart(kind=ChartKind.BARS, columns=[0], max_rows=10),
        summary="Divisions les plus envoyées : "
        + ("; ".join(f"{r.label} ({r.values[0]})" for r in top) or "aucune"),
    )


def reach_values(inputs: StatisticsInputs) -> dict[str, float | int | None]:
    """The headline figures of delivery: items, actors reached, their share of the base."""
    reached = {actor for actor, _ in inputs.delivered}
    return {
        "opportunities_delivered": len(inputs.delivered),
        "actors_reached": len(reached),
        "actors_reached_share": share(len(reached), len(inputs.actors)),
    }
