"""Targets of the local ESS plan: what the steering committee compares the figures with.

A target is set per served territory, for a period (usually a calendar year, or any range of
days), on one metric of `METRICS` (e.g. 10 grouped bids submitted a year; 30 % of the calls for
tenders with a social consideration). Percentages are written as percentages (30, not 0.3).

Which target a displayed period is compared with (`applicable_target`): one set for exactly
that period; otherwise the shortest target period containing it — a rate as it is, a count or
an amount prorated to the displayed period's days (a yearly 10 becomes 5.0 for a 181-day
first semester, and the note says so). A period straddling two target periods has no target.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from veilleuse.app.statistics_model import Unit
from veilleuse.app.statistics_period import Period, PeriodKind
from veilleuse.core.deadlines import format_date_fr


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: Unit


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric("notices_collected", "Avis collectés (niveau national)", Unit.COUNT),
        Metric("opportunities_delivered", "Opportunités envoyées aux structures", Unit.COUNT),
        Metric("actors_reached", "Structures touchées", Unit.COUNT),
        Metric("actors_reached_share", "Part des structures de la base touchées", Unit.PERCENT),
        Metric("reserved_share", "Part des appels d'offres réservés", Unit.PERCENT),
        Metric("social_clause_share", "Part des appels d'offres avec clause sociale", Unit.PERCENT),
        Metric(
            "social_consideration_share",
            "Part des appels d'offres réservés ou avec clause sociale",
            Unit.PERCENT,
        ),
        Metric("interests", "Intérêts exprimés par les structures", Unit.COUNT),
        Metric("bids_formed", "Groupements constitués", Unit.COUNT),
        Metric("bids_submitted", "Réponses groupées déposées", Unit.COUNT),
        Metric("bids_won", "Réponses groupées gagnées", Unit.COUNT),
        Metric("win_rate", "Taux de succès des réponses groupées", Unit.PERCENT),
        Metric("amount_won", "Montant gagné en groupement", Unit.EUR),
        Metric("funding_submitted", "Demandes de financement déposées ensemble", Unit.COUNT),
        Metric("funding_won", "Financements obtenus ensemble", Unit.COUNT),
    )
}


@dataclass(frozen=True)
class PlanTarget:
    """A stored target: `value` for `metric` over the days `start` to `end` (both included)."""

    id: int
    territory_id: str
    start: date
    end: date
    metric: str
    value: float

    @property
    def period(self) -> Period:
        """The target's period: a year when it covers exactly one, else a range of days."""
        whole = (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31)
        if whole and self.start.year == self.end.year:
            return Period.year(self.start.year)
        return Period.between(self.start, self.end)

    @property
    def metric_label(self) -> str:
        found = METRICS.get(self.metric)
        return found.label if found else self.metric


@dataclass(frozen=True)
class AppliedTarget:
    value: float
    note: str


def applicable_target(targets: Iterable[PlanTarget], period: Period) -> AppliedTarget | None:
    """The target of one metric that the figure of `period` is compared with (see the module
    docstring), or None. `targets` are the metric's targets of the territory."""
    candidates = [t for t in targets if t.start <= period.start and period.end <= t.end]
    if not candidates:
        return None
    target = min(candidates, key=lambda t: ((t.end - t.start).days, t.start))
    own = target.period
    if (target.start, target.end) == (period.start, period.end):
        return AppliedTarget(target.value, f"objectif fixé pour la période ({own.label})")
    metric = METRICS.get(target.metric)
    if metric is not None and metric.unit is Unit.PERCENT:
        return AppliedTarget(target.value, f"objectif {_of(own)}")
    days = own.days
    value = round(target.value * period.days / days, 1)
    return AppliedTarget(
        value,
        f"objectif {_of(own)} ({_number(target.value)}) au prorata de la période "
        f"({period.days} jours sur {days})",
    )


def _of(period: Period) -> str:
    if period.kind is PeriodKind.YEAR:
        return f"annuel {period.start.year}"
    return f"du {format_date_fr(period.start)} au {format_date_fr(period.end)}"


def _number(value: float) -> str:
    return (str(int(value)) if float(value).is_integer() else f"{value:.1f}").replace(".", ",")


def reached(value: float | int | None, target: float | None) -> float | None:
    """`value` / `target` in percent (one decimal); None when either is unknown or target 0."""
    if value is None or target is None or target == 0:
        return None
    return round(100.0 * value / target, 1)
