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

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from veilleuse.app.context import Context
from veilleuse.app.statistics_model import Unit
from veilleuse.app.statistics_period import Period, PeriodKind, parse_period
from veilleuse.core.accounts import Permission, Role, User, can, visible_territories
from veilleuse.core.deadlines import format_date_fr
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.records import plan_targets as target_records
from veilleuse.records import territories as territory_records
from veilleuse.records.plan_targets import StoredTarget


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
        """The target's period: a year or a semester when it covers exactly one, else a range."""
        for candidate in (
            Period.year(self.start.year),
            Period.semester(self.start.year, 1),
            Period.semester(self.start.year, 2),
        ):
            if (candidate.start, candidate.end) == (self.start, self.end):
                return candidate
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
    if period.kind is PeriodKind.SEMESTER:
        return f"du {period.label}"
    return f"du {format_date_fr(period.start)} au {format_date_fr(period.end)}"


def _number(value: float) -> str:
    return (str(int(value)) if float(value).is_integer() else f"{value:.1f}").replace(".", ",")


def reached(value: float | int | None, target: float | None) -> float | None:
    """`value` / `target` in percent (one decimal); None when either is unknown or target 0."""
    if value is None or target is None or target == 0:
        return None
    return round(100.0 * value / target, 1)


# --------------------------------------------------------------------------- use cases

#: who acts from the command line: whoever runs it holds the data folder, so every right
COMMAND_LINE = User(id=0, email="ligne-de-commande", name="ligne de commande", role=Role.ADMIN)
#: the greatest value a target may take (a typo such as 1e12 is refused)
MAX_VALUE = 1e10
_SPACES = re.compile(r"[\s\u00a0\u202f]")


def _target(stored: StoredTarget) -> PlanTarget:
    return PlanTarget(
        stored.id,
        stored.territory_id,
        stored.starts_on,
        stored.ends_on,
        stored.metric,
        stored.value,
    )


def parse_metric(text: str) -> Metric:
    found = METRICS.get(text.strip())
    if found is None:
        raise ValidationError(f"indicateur inconnu : {text!r} (au choix : {', '.join(METRICS)})")
    return found


def parse_value(text: str | float, metric: Metric) -> float:
    """'30', '30,5', '30 %', '12 500 €' → a number; a share is at most 100 (percent)."""
    if isinstance(text, int | float):
        value = float(text)
    else:
        cleaned = _SPACES.sub("", text).rstrip("%€").replace(",", ".")
        try:
            value = float(cleaned)
        except ValueError:
            raise ValidationError(f"objectif « {text} » : un nombre est attendu") from None
    if not 0 <= value <= MAX_VALUE or value != value:  # NaN is not a target
        raise ValidationError(f"objectif « {text} » : un nombre positif est attendu")
    if metric.unit is Unit.PERCENT and value > 100:
        raise ValidationError(f"« {metric.label} » est une part : au plus 100 (%)")
    return value


def need_edit(user: User) -> None:
    if not can(user, Permission.TARGETS_EDIT):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de fixer les objectifs du plan."
        )


def set_target(
    ctx: Context, user: User, territory_id: str, period: Period, metric: str, value: str | float
) -> tuple[PlanTarget, bool]:
    """Set (or replace) the target of `metric` for the territory over `period`; returns the
    target and whether it is new. Needs `targets.edit` (the administrator)."""
    need_edit(user)
    if territory_records.get_territory(ctx.records, territory_id) is None:
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")
    chosen = parse_metric(metric)
    number = parse_value(value, chosen)
    target_id, created = target_records.set_target(
        ctx.records, territory_id, period.start, period.end, chosen.key, number, by=user.email
    )
    return PlanTarget(
        target_id, territory_id, period.start, period.end, chosen.key, number
    ), created


def list_targets(ctx: Context, user: User, territory_id: str | None = None) -> list[PlanTarget]:
    """The targets `user` may read (`reports.view`, their territories), of one territory or all."""
    if not can(user, Permission.REPORTS_VIEW):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de consulter les objectifs du plan."
        )
    visible = visible_territories(user)
    wanted: set[str] | None = {territory_id} if territory_id else None
    if visible is not None:
        wanted = visible & wanted if wanted is not None else visible
    return [_target(t) for t in target_records.list_targets(ctx.records, wanted)]


def delete_target(ctx: Context, user: User, target_id: int) -> PlanTarget:
    """Remove a target (`targets.edit`); returns what it was."""
    need_edit(user)
    found = target_records.get_target(ctx.records, target_id)
    if found is None or not target_records.delete_target(ctx.records, target_id):
        raise NotFoundError(f"objectif inconnu : {target_id}")
    return _target(found)


def targets_for(ctx: Context, territory_id: str, period: Period) -> dict[str, AppliedTarget]:
    """Metric → the target its figure of `period` is compared with (`applicable_target`)."""
    by_metric: dict[str, list[PlanTarget]] = defaultdict(list)
    for stored in target_records.targets_overlapping(
        ctx.records, territory_id, period.start, period.end
    ):
        by_metric[stored.metric].append(_target(stored))
    applied = {m: applicable_target(ts, period) for m, ts in by_metric.items()}
    return {m: a for m, a in applied.items() if a is not None}


def parse_cli_period(text: str, today: date) -> Period:
    """'2025', '2025-S1' or '2025-02-01..2025-04-30' (the command line's period argument)."""
    value = text.strip()
    if ".." in value:
        first, last = value.split("..", 1)
        return parse_period(first=first, last=last, today=today)
    year, _, half = value.upper().partition("-S")
    return parse_period(year, half or None, today=today)
