"""Periods of the committee's statistics (year, semester, range) and which plan target applies."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from veilleuse.app.plan_targets import PlanTarget, applicable_target, reached
from veilleuse.app.statistics_period import Period, PeriodError, PeriodKind, parse_period

TODAY = date(2026, 3, 15)


def test_year_semester_and_range_with_french_labels() -> None:
    assert parse_period(today=TODAY) == Period.year(2026)
    year = parse_period("2025", today=TODAY)
    assert (year.kind, year.start, year.end, year.label) == (
        PeriodKind.YEAR,
        date(2025, 1, 1),
        date(2025, 12, 31),
        "année 2025",
    )
    first = parse_period("2025", "S1", today=TODAY)
    assert (first.start, first.end, first.label) == (
        date(2025, 1, 1),
        date(2025, 6, 30),
        "1er semestre 2025",
    )
    second = parse_period("2025", "s2", today=TODAY)
    assert (second.start, second.end, second.days) == (date(2025, 7, 1), date(2025, 12, 31), 184)
    custom = parse_period(first="2025-02-01", last="2025-04-30", today=TODAY)
    assert custom.kind is PeriodKind.RANGE
    assert custom.label == "du 1er février 2025 au 30 avril 2025"
    assert custom.query() == {"du": "2025-02-01", "au": "2025-04-30"}
    assert second.query() == {"annee": "2025", "semestre": "S2"}
    # blank values are absent
    assert parse_period(" ", "", "", None, today=TODAY) == Period.year(2026)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("20255", None, None, None), "year"),
        (("2025", "S3", None, None), "semester"),
        ((None, None, "2025-02-01", None), "to"),
        ((None, None, None, "2025-02-01"), "from"),
        ((None, None, "2025-02-30", "2025-03-01"), "from"),
        ((None, None, "2025-03-01", "2025-02-01"), "to"),
        ((None, None, "2015-01-01", "2025-01-01"), "to"),
    ],
)
def test_bad_parameters_name_their_field(args: tuple[str | None, ...], field: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(*args, today=TODAY)
    assert field in caught.value.problems


def test_instants_are_paris_midnights() -> None:
    low, high = Period.year(2025).instants()
    assert low == datetime(2024, 12, 31, 23, 0, tzinfo=UTC)  # winter: UTC+1
    assert high == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    low, high = Period.semester(2025, 1).instants()
    assert high == datetime(2025, 6, 30, 22, 0, tzinfo=UTC)  # summer: UTC+2
    assert Period.year(2025).contains(datetime(2024, 12, 31, 23, 30))  # naive: UTC
    assert not Period.year(2025).contains(datetime(2025, 12, 31, 23, 0, tzinfo=UTC))


def target(metric: str, value: float, start: str, end: str) -> PlanTarget:
    return PlanTarget(1, "t", date.fromisoformat(start), date.fromisoformat(end), metric, value)


def test_targets_exact_prorated_or_rate_as_is() -> None:
    yearly = target("bids_submitted", 10, "2025-01-01", "2025-12-31")
    assert yearly.period == Period.year(2025)
    exact = applicable_target([yearly], Period.year(2025))
    assert exact is not None and exact.value == 10 and "année 2025" in exact.note
    half = applicable_target([yearly], Period.semester(2025, 1))
    assert half is not None and half.value == round(10 * 181 / 365, 1)  # 5.0
    assert "au prorata" in half.note and "181 jours sur 365" in half.note
    rate = target("social_consideration_share", 30, "2025-01-01", "2025-12-31")
    applied = applicable_target([rate], Period.semester(2025, 2))
    assert applied is not None and applied.value == 30 and applied.note == "objectif annuel 2025"
    # a period straddling two years has no target; the tightest containing target wins
    assert applicable_target([yearly], Period.between(date(2025, 12, 1), date(2026, 1, 31))) is None
    s2 = target("bids_submitted", 3, "2025-07-01", "2025-12-31")
    applied = applicable_target([yearly, s2], Period.semester(2025, 2))
    assert applied is not None and applied.value == 3
    assert reached(4, 5.0) == 80.0 and reached(None, 5) is None and reached(3, 0) is None
