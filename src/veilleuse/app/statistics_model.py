"""The shapes of the steering committee's statistics, shared by the page, the XLSX report, the
charts and the JSON API: every figure is a `StatTable` (rows with a key, a label and values, one
unit per column), and the figures that a plan may set a target for are `Indicator`s.

Pydantic models, so the API answers with exactly what the page shows (`model_dump`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # 0–100, one decimal
    EUR = "eur"


class ChartKind(StrEnum):
    """How `web.charts` draws a table: bars per row (grouped when several columns), stacked
    bars, or a funnel (bars narrowing down the rows, in row order)."""

    BARS = "bars"
    STACKED = "stacked"
    FUNNEL = "funnel"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Chart(_Frozen):
    kind: ChartKind = ChartKind.BARS
    #: indexes of the value columns drawn (into `StatTable.columns`)
    columns: list[int] = Field(default_factory=lambda: [0])
    #: at most this many rows are drawn (the first ones); the table keeps them all
    max_rows: int = 12


class StatRow(_Frozen):
    key: str = Field(description="Stable identifier of the row (a source, a family, a stage…)")
    label: str = Field(description="French label of the row")
    values: list[float | int | None]


class StatTable(_Frozen):
    """One figure: a title, what exactly is counted and where from (`scope`), rows, a total."""

    key: str
    title: str
    scope: str = Field(description="What is counted, over which perimeter, from which data")
    dimension: str = Field(description="Heading of the rows' column")
    columns: list[str]
    units: list[Unit]
    rows: list[StatRow]
    total: list[float | int | None] | None = None
    chart: Chart | None = None
    #: the chart's short text alternative (also the SVG's <title>), written by the figure
    summary: str = ""


class Indicator(_Frozen):
    """A headline figure of the plan, with its target for the period when one is set."""

    metric: str
    label: str
    unit: Unit
    value: float | int | None = Field(description="None when it cannot be computed (0 / 0)")
    target: float | None = None
    #: value / target in percent (one decimal), when both are known and the target is not 0
    reached: float | None = None
    #: how the target applies (exact period, yearly target prorated to the period…)
    target_note: str | None = None


class TerritoryRef(_Frozen):
    id: str
    name: str
    departments: list[str]


class PeriodRef(_Frozen):
    kind: str
    start: date
    end: date
    label: str


class CommitteeStatistics(_Frozen):
    territory: TerritoryRef
    period: PeriodRef
    generated_at: datetime
    indicators: list[Indicator]
    tables: list[StatTable]

    def table(self, key: str) -> StatTable:
        return next(t for t in self.tables if t.key == key)

    def indicator(self, metric: str) -> Indicator:
        return next(i for i in self.indicators if i.metric == metric)


def share(part: int | float, whole: int | float) -> float | None:
    """`part` / `whole` in percent, one decimal; None when `whole` is 0."""
    return round(100.0 * part / whole, 1) if whole else None
