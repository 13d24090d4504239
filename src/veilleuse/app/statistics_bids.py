"""Figures of the grouped-bid register: stages reached, the funnel, outcomes and the win rate.

Read from the register's history (`GroupedBid.history`: one dated event per change of stage,
the creation included), for the bids of the territory (`GroupedBid.territory_id`):

- a bid *enters* a stage during the period when the event of that change is dated in it (a bid
  registered late, directly at « déposée », enters only that stage);
- the *funnel* follows the bids opened (created) during the period to the furthest stage each
  reached so far: a bid created at « déposée », lost or declared unsuccessful passed every stage
  before « déposée »; an abandoned one, the stage it was abandoned from;
- an *outcome* (won, lost, unsuccessful) counts in the period of its event; the win rate is
  won / (won + lost + unsuccessful) — abandoned bids, never judged, are left out.
"""

from __future__ import annotations

from collections import Counter

from veilleuse.app.statistics_inputs import StatisticsInputs
from veilleuse.app.statistics_model import Chart, ChartKind, StatRow, StatTable, Unit, share
from veilleuse.core.bids import STAGE_LABELS, BidKind, BidStage, GroupedBid

S = BidStage
#: the stages every successful bid goes through, in order
MAIN_PATH = (S.SPOTTED, S.INTEREST, S.TEAM_FORMED, S.SUBMITTED, S.WON)
RANK = {stage: rank for rank, stage in enumerate(MAIN_PATH)} | {S.LOST: 3, S.UNSUCCESSFUL: 3}
OUTCOMES = (S.WON, S.LOST, S.UNSUCCESSFUL)
STAGE_ORDER = (*MAIN_PATH, S.LOST, S.UNSUCCESSFUL, S.ABANDONED)
KIND_COLUMNS = {BidKind.TENDER: "Marchés publics", BidKind.FUNDING: "Appels à projets"}
FUNNEL_LABELS = {
    S.SPOTTED: "Repérées (ouvertes dans la période)",
    S.INTEREST: "Intérêt des structures",
    S.TEAM_FORMED: "Équipe formée",
    S.SUBMITTED: "Candidature déposée",
    S.WON: "Gagnée",
}


def stage_label(stage: BidStage) -> str:
    return STAGE_LABELS[stage].capitalize()


def furthest_rank(bid: GroupedBid) -> int:
    """How far along `MAIN_PATH` the bid went, from its history (its stage if it has none)."""
    ranks = []
    for event in bid.history or []:
        if event.to_stage is S.ABANDONED:
            ranks.append(RANK.get(event.from_stage, 0) if event.from_stage else 0)
        else:
            ranks.append(RANK[event.to_stage])
    return max(ranks) if ranks else RANK.get(bid.stage, 0)


def entered(inputs: StatisticsInputs) -> list[tuple[GroupedBid, BidStage]]:
    """(bid, stage) of every change of stage dated in the period, creations included."""
    return [
        (bid, event.to_stage)
        for bid in inputs.bids
        for event in bid.history
        if inputs.period.contains(event.at)
    ]


def opened(inputs: StatisticsInputs) -> list[GroupedBid]:
    """The bids created during the period (their first event, else their creation instant)."""
    return [
        b
        for b in inputs.bids
        if inputs.period.contains(b.history[0].at if b.history else b.created_at)
    ]


def bids_by_stage(inputs: StatisticsInputs) -> StatTable:
    counts: Counter[tuple[BidStage, BidKind]] = Counter(
        (stage, bid.kind) for bid, stage in entered(inputs)
    )
    kinds = tuple(KIND_COLUMNS)
    rows = [
        StatRow(
            key=stage.value,
            label=stage_label(stage),
            values=[*(counts[stage, k] for k in kinds), sum(counts[stage, k] for k in kinds)],
        )
        for stage in STAGE_ORDER
    ]
    submitted = next(r for r in rows if r.key == S.SUBMITTED.value).values
    return StatTable(
        key="bids_stage",
        title="Candidatures groupées : étapes franchies pendant la période",
        scope=(
            "Candidatures groupées du territoire, chaque changement d'étape compté à sa date "
            "(historique du registre, création comprise). Une candidature enregistrée "
            "directement à une étape avancée n'est comptée qu'à cette étape."
        ),
        dimension="Étape",
        columns=[*KIND_COLUMNS.values(), "Total"],
        units=[Unit.COUNT] * 3,
        rows=rows,
        chart=Chart(kind=ChartKind.STACKED, columns=[0, 1]),
        summary=(
            f"{submitted[2]} candidatures groupées déposées pendant la période, dont "
            f"{submitted[1]} demandes de financement."
        ),
    )


def bids_funnel(inputs: StatisticsInputs) -> StatTable:
    cohort = opened(inputs)
    reached: Counter[BidStage] = Counter()
    suggested: Counter[BidStage] = Counter()
    for bid in cohort:
        rank = furthest_rank(bid)
        for stage in MAIN_PATH[: rank + 1]:
            reached[stage] += 1
            suggested[stage] += int(bid.from_suggestion)
    rows = [
        StatRow(
            key=stage.value,
            label=FUNNEL_LABELS[stage],
            values=[reached[stage], share(reached[stage], len(cohort)), suggested[stage]],
        )
        for stage in MAIN_PATH
    ]
    return StatTable(
        key="bids_funnel",
        title="Entonnoir des candidatures groupées, de l'opportunité repérée au marché gagné",
        scope=(
            "Candidatures groupées du territoire ouvertes pendant la période, suivies jusqu'à "
            "aujourd'hui : chaque ligne compte celles qui ont atteint au moins cette étape. "
            "Dernière colonne : celles créées à partir d'une suggestion de groupement de Veilleuse."
        ),
        dimension="Étape atteinte",
        columns=["Candidatures", "Part des repérées (%)", "Dont suggérées par Veilleuse"],
        units=[Unit.COUNT, Unit.PERCENT, Unit.COUNT],
        rows=rows,
        chart=Chart(kind=ChartKind.FUNNEL, columns=[0]),
        summary=(
            f"Sur {len(cohort)} candidatures groupées ouvertes, {reached[S.SUBMITTED]} déposées "
            f"et {reached[S.WON]} gagnées à ce jour."
        ),
    )


def bids_outcomes(inputs: StatisticsInputs) -> StatTable:
    decided: Counter[tuple[BidKind, BidStage]] = Counter(
        (bid.kind, stage) for bid, stage in entered(inputs) if stage in OUTCOMES
    )

    def values(kinds: tuple[BidKind, ...]) -> list[float | int | None]:
        counts = [sum(decided[k, stage] for k in kinds) for stage in OUTCOMES]
        return [*counts, share(counts[0], sum(counts))]

    rows = [StatRow(key=k.value, label=KIND_COLUMNS[k], values=values((k,))) for k in KIND_COLUMNS]
    total = values(tuple(KIND_COLUMNS))
    rate = "—" if total[3] is None else f"{total[3]:.1f} %".replace(".", ",")
    return StatTable(
        key="bids_outcomes",
        title="Résultats des candidatures groupées et taux de succès",
        scope=(
            "Résultats enregistrés pendant la période pour les candidatures groupées du "
            "territoire. Taux de succès = gagnées / (gagnées + perdues + infructueuses) ; les "
            "candidatures abandonnées n'entrent pas dans le taux."
        ),
        dimension="Type de candidature",
        columns=["Gagnées", "Perdues", "Infructueuses", "Taux de succès (%)"],
        units=[Unit.COUNT, Unit.COUNT, Unit.COUNT, Unit.PERCENT],
        rows=rows,
        total=total,
        chart=Chart(kind=ChartKind.STACKED, columns=[0, 1, 2]),
        summary=f"{total[0]} gagnées, {total[1]} perdues, {total[2]} infructueuses : "
        f"taux de succès {rate}.",
    )
