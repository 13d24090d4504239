"""The period of the steering committee's statistics: a calendar year, a semester, or a range.

A period is a run of whole days in Paris: it starts at 00:00 (Paris) on its first day and ends
before 00:00 (Paris) the day after its last, so consecutive periods never count an event twice
and an event at 23:30 on 31 December belongs to that year, whatever the offset of the instant.
Front ends read it from a few parameters (`parse_period`): a year, optionally a semester (S1,
S2), or a first and a last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from veilleuse.core.deadlines import format_date_fr
from veilleuse.core.errors import ValidationError
from veilleuse.core.normalise import PARIS

#: the earliest and latest years a period may be asked for (typos such as 20255 are refused)
FIRST_YEAR, LAST_YEAR = 2000, 2100
#: the longest custom range, in days (five years)
MAX_RANGE_DAYS = 5 * 366


class PeriodKind(StrEnum):
    YEAR = "year"
    SEMESTER = "semester"
    RANGE = "range"


class PeriodError(ValidationError):
    """Period parameters refused; `problems` maps each parameter (year, semester, from, to) to
    its French message, so a page shows it beside the field and the API names it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems.values()))


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included."""

    kind: PeriodKind
    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def semester(cls, year: int, half: int) -> Period:
        if half == 1:
            return cls(PeriodKind.SEMESTER, date(year, 1, 1), date(year, 6, 30))
        return cls(PeriodKind.SEMESTER, date(year, 7, 1), date(year, 12, 31))

    @classmethod
    def between(cls, start: date, end: date) -> Period:
        return cls(PeriodKind.RANGE, start, end)

    @property
    def label(self) -> str:
        """'année 2025', '1er semestre 2025', 'du 1er février 2025 au 30 avril 2025'."""
        if self.kind is PeriodKind.YEAR:
            return f"année {self.start.year}"
        if self.kind is PeriodKind.SEMESTER:
            half = "1er" if self.start.month == 1 else "2d"
            return f"{half} semestre {self.start.year}"
        return f"du {format_date_fr(self.start)} au {format_date_fr(self.end)}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def calendar_year(self) -> int | None:
        """The year the whole period lies in, or None when it spans two years."""
        return self.start.year if self.start.year == self.end.year else None

    def instants(self) -> tuple[datetime, datetime]:
        """[first instant, first instant after) in UTC: 00:00 in Paris on each side."""
        low = datetime.combine(self.start, time(0), PARIS)
        high = datetime.combine(self.end + timedelta(days=1), time(0), PARIS)
        return low.astimezone(UTC), high.astimezone(UTC)

    def contains(self, instant: datetime | None) -> bool:
        if instant is None:
            return False
        if instant.tzinfo is None:  # SQLite drops the offset of stored instants: they are UTC
            instant = instant.replace(tzinfo=UTC)
        low, high = self.instants()
        return low <= instant < high

    def query(self) -> dict[str, str]:
        """The page's parameters naming this period (annee, semestre, du, au)."""
        if self.kind is PeriodKind.YEAR:
            return {"annee": str(self.start.year)}
        if self.kind is PeriodKind.SEMESTER:
            return {
                "annee": str(self.start.year),
                "semestre": "S1" if self.start.month == 1 else "S2",
            }
        return {"du": self.start.isoformat(), "au": self.end.isoformat()}


def _year(text: str, problems: dict[str, str]) -> int | None:
    value = text.strip()
    if value.isdigit() and FIRST_YEAR <= int(value) <= LAST_YEAR:
        return int(value)
    problems["year"] = f"Année « {text} » invalide : une année de {FIRST_YEAR} à {LAST_YEAR}."
    return None


def _day(text: str, name: str, problems: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        problems[name] = f"Date « {text} » invalide : attendu AAAA-MM-JJ (ex. 2025-01-31)."
        return None


def _semester(text: str, problems: dict[str, str]) -> int | None:
    value = text.strip().upper()
    if value in {"S1", "1"}:
        return 1
    if value in {"S2", "2"}:
        return 2
    problems["semester"] = f"Semestre « {text} » invalide : S1 ou S2."
    return None


def _range(first: str | None, last: str | None, problems: dict[str, str]) -> Period | None:
    if not first or not last:
        missing = "to" if first else "from"
        problems[missing] = "Une période personnalisée a un premier et un dernier jour."
        return None
    start, end = _day(first, "from", problems), _day(last, "to", problems)
    if start is None or end is None:
        return None
    if end < start:
        problems["to"] = "Le dernier jour précède le premier."
    elif (end - start).days + 1 > MAX_RANGE_DAYS:
        problems["to"] = "Une période personnalisée dure au plus cinq ans."
    elif start.year < FIRST_YEAR or end.year > LAST_YEAR:
        problems["from"] = f"Les dates vont de {FIRST_YEAR} à {LAST_YEAR}."
    return None if problems else Period.between(start, end)


def parse_period(
    year: str | None = None,
    semester: str | None = None,
    first: str | None = None,
    last: str | None = None,
    *,
    today: date,
) -> Period:
    """The period named by the parameters: a range (`first`, `last`: ISO days) when either is
    given, else a semester of `year` when `semester` is given, else the `year` (default: the
    year of `today`). Blank values count as absent. Raises `PeriodError`."""
    year, semester, first, last = (v.strip() if v else None for v in (year, semester, first, last))
    problems: dict[str, str] = {}
    if first or last:
        found = _range(first, last, problems)
    else:
        number = _year(year, problems) if year else today.year
        half = _semester(semester, problems) if semester else None
        found = None
        if number is not None and not problems:
            found = Period.semester(number, half) if half else Period.year(number)
    if found is None:
        raise PeriodError(problems)
    return found
