"""Amounts won by the territory's grouped bids, and the interest its actors expressed.

A bid's amount counts in the period of its « gagnée » event, in euros (`amount_won`; an amount
in another currency is left out). By ESS family: the family of the lead (mandataire) — the
figure the plan asks for — and, beside it, the amount split between the members' families by
their shares of the amount won (recorded when the bid is won). By place: the project has no
commune → EPCI reference table, so amounts are given by the *département* of the lead (the
first of its profile), not by EPCI.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from veilleuse.app.actor_admin import FAMILY_LABELS
from veilleuse.app.statistics_bids import entered
from veilleuse.app.statistics_inputs import StatisticsInputs
from veilleuse.app.statistics_model import Chart, ChartKind, StatRow, StatTable, Unit
from veilleuse.app.wording import format_amount_fr
from veilleuse.core.bids import BidKind, BidStage, GroupedBid
from veilleuse.core.geo import department_name
from veilleuse.core.models import EssFamily

UNKNOWN = "inconnu"


def won_bids(inputs: StatisticsInputs) -> list[GroupedBid]:
    """Bids won during the period with an amount in euros."""
    return [
        bid
        for bid, stage in entered(inputs)
        if stage is BidStage.WON
        and bid.amount_won is not None
        and bid.amount_won.currency.upper() == "EUR"
    ]


def _lead_id(bid: GroupedBid) -> str | None:
    lead = bid.lead() or (bid.members[0] if bid.members else None)
    return lead.actor_id if lead else None


def _family_label(key: str) -> str:
    return FAMILY_LABELS.get(EssFamily(key), key) if key != UNKNOWN else "Famille inconnue"


def _won_rows(inputs: StatisticsInputs, won: list[GroupedBid]) -> list[StatRow]:
    """One row per family: amount by the lead's family (all, tenders, funding), bids won by a
    lead of the family, amount by the members' shares."""
    ids = {m.actor_id for bid in won for m in bid.members}
    actors = inputs.actors_by_id(ids)
    family = {a: actors[a].family.value if a in actors else UNKNOWN for a in ids}
    by_lead: dict[str, float] = defaultdict(float)
    by_kind: dict[tuple[str, BidKind], float] = defaultdict(float)
    count: Counter[str] = Counter()
    by_share: dict[str, float] = defaultdict(float)
    for bid in won:
        amount = bid.amount_won.amount if bid.amount_won else 0.0
        lead = _lead_id(bid)
        key = family[lead] if lead else UNKNOWN
        by_lead[key] += amount
        by_kind[key, bid.kind] += amount
        count[key] += 1
        for member in bid.members:
            by_share[family[member.actor_id]] += amount * (member.share_percent or 0.0) / 100
    keys = sorted(
        set(by_lead) | set(by_share), key=lambda k: (-by_lead.get(k, 0), -by_share.get(k, 0), k)
    )
    return [
        StatRow(
            key=k,
            label=_family_label(k),
            values=[
                round(by_lead.get(k, 0.0), 2),
                round(by_kind[k, BidKind.TENDER], 2),
                round(by_kind[k, BidKind.FUNDING], 2),
                count[k],
                round(by_share.get(k, 0.0), 2),
            ],
        )
        for k in keys
    ]


def _euros(value: float) -> str:
    return format_amount_fr(value)


def won_by_family(inputs: StatisticsInputs) -> StatTable:
    won = won_bids(inputs)
    rows = _won_rows(inputs, won)
    total = [
        round(sum(float(r.values[c] or 0) for r in rows), 2) if c != 3 else len(won)
        for c in range(5)
    ]
    return StatTable(
        key="won_family",
        title="Montants gagnés en groupement, par famille de l'ESS",
        scope=(
            "Candidatures groupées du territoire gagnées pendant la période (montant gagné, en "
            "euros), rangées selon la famille de l'ESS du mandataire ; dernière colonne : le "
            "même montant réparti entre les familles des membres selon leurs parts."
        ),
        dimension="Famille de l'ESS",
        columns=[
            "Montant gagné (mandataire)",
            "dont marchés publics",
            "dont appels à projets",
            "Candidatures gagnées",
            "Montant selon les parts des membres",
        ],
        units=[Unit.EUR, Unit.EUR, Unit.EUR, Unit.COUNT, Unit.EUR],
        rows=rows,
        total=total,
        chart=Chart(kind=ChartKind.BARS, columns=[0, 4]),
        summary=f"{len(won)} candidatures groupées gagnées pour un montant total de "
        f"{_euros(float(total[0]))}"
        + "".join(f" ; {r.label} : {_euros(float(r.values[0] or 0))}" for r in rows[:4]),
    )


def won_by_department(inputs: StatisticsInputs) -> StatTable:
    won = won_bids(inputs)
    leads = inputs.actors_by_id({a for bid in won if (a := _lead_id(bid))})
    amounts: dict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    for bid in won:
        actor = leads.get(_lead_id(bid) or "")
        deps = actor.territory.departments if actor else []
        key = deps[0] if deps else UNKNOWN
        amounts[key] += bid.amount_won.amount if bid.amount_won else 0.0
        count[key] += 1
    keys = sorted(amounts, key=lambda k: (-amounts[k], k))
    rows = [
        StatRow(
            key=k,
            label=f"{k} — {department_name(k) or k}" if k != UNKNOWN else "Département inconnu",
            values=[round(amounts[k], 2), count[k]],
        )
        for k in keys
    ]
    return StatTable(
        key="won_department",
        title="Montants gagnés en groupement, par département du mandataire",
        scope=(
            "Mêmes candidatures gagnées, rangées selon le département du mandataire (le premier "
            "de son profil). Le projet n'a pas de table de correspondance commune → EPCI : la "
            "répartition par EPCI n'est pas disponible, elle est donnée par département."
        ),
        dimension="Département du mandataire",
        columns=["Montant gagné", "Candidatures gagnées"],
        units=[Unit.EUR, Unit.COUNT],
        rows=rows,
        total=[round(sum(amounts.values()), 2), len(won)],
        chart=Chart(kind=ChartKind.BARS, columns=[0]),
        summary="Montants gagnés par département du mandataire : "
        + ("; ".join(f"{r.label} : {_euros(float(r.values[0] or 0))}" for r in rows) or "aucun"),
    )


def interests_by_family(inputs: StatisticsInputs) -> StatTable:
    counts: Counter[str] = Counter()
    actors: dict[str, set[str]] = defaultdict(set)
    notices: dict[str, set[str]] = defaultdict(set)
    for interest in inputs.interests:
        entry = inputs.actors.get(interest.actor_id)
        key = entry.actor.family.value if entry else UNKNOWN
        counts[key] += 1
        actors[key].add(interest.actor_id)
        notices[key].add(interest.notice_uid)
    keys = sorted(counts, key=lambda k: (-counts[k], k))
    rows = [
        StatRow(key=k, label=_family_label(k), values=[counts[k], len(actors[k]), len(notices[k])])
        for k in keys
    ]
    total_notices = len({i.notice_uid for i in inputs.interests})
    total_actors = len({i.actor_id for i in inputs.interests})
    return StatTable(
        key="interests",
        title="Intérêts exprimés par les structures, par famille de l'ESS",
        scope=(
            "Intérêts pour un avis exprimés pendant la période par les structures du territoire "
            "(par elles-mêmes depuis leur espace, ou enregistrés pour elles par l'équipe)."
        ),
        dimension="Famille de l'ESS",
        columns=["Intérêts exprimés", "Structures", "Avis distincts"],
        units=[Unit.COUNT] * 3,
        rows=rows,
        total=[len(inputs.interests), total_actors, total_notices],
        chart=Chart(kind=ChartKind.BARS, columns=[0]),
        summary=f"{len(inputs.interests)} intérêts exprimés par {total_actors} structures "
        f"pour {total_notices} avis.",
    )
