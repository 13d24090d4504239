"""The committee's charts, drawn on the server as SVG documents with matplotlib (no script).

Each chart draws one `StatTable` of `app.statistics` (the page shows the same table beside it)
or the plan's indicators against their targets. Text stays text (`svg.fonttype = none`), the
document carries `role="img"`, a `<title>` and a `<desc>` (its text alternative), and the same
data gives the same bytes (fixed ids, no date). The page references each chart with
`<img src=…>`: the SVG is its own response, so its `style` attributes never meet the page's
Content-Security-Policy.

matplotlib is imported here only (import contract `matplotlib-in-web`), through its object API:
no pyplot, no global figure; one lock, since matplotlib does not promise thread safety.
"""

from __future__ import annotations

import io
import threading
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from veilleuse.app.statistics_model import ChartKind, Indicator, StatRow, StatTable, Unit

matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text as <text>, readable and searchable
        "svg.hashsalt": "veilleuse",  # stable element ids: same data, same bytes
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

#: Okabe–Ito, distinguishable with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
INK, MUTED = "#1d2330", "#565f70"
WIDTH = 7.2  # inches
LABEL_CHARS = 38
_LOCK = threading.Lock()


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _number(value: float, unit: Unit) -> str:
    text = f"{value:,.0f}".replace(",", "\u00a0") if unit is not Unit.PERCENT else f"{value:.1f}"
    text = text.replace(".", ",")
    return {Unit.PERCENT: f"{text} %", Unit.EUR: f"{text} €"}.get(unit, text)


def _figure(rows: int) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, 1.3 + 0.42 * max(rows, 1)), layout="constrained")
    return figure, figure.add_subplot()


def _to_svg(figure: Figure, title: str, description: str) -> bytes:
    buffer = io.StringIO()
    FigureCanvasSVG(figure)
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return _accessible(buffer.getvalue(), title, description).encode("utf-8")


def _accessible(svg: str, title: str, description: str) -> str:
    """`role="img"`, `aria-labelledby`, and `<title>` + `<desc>` as the first children."""
    start = svg.index("<svg")
    end = svg.index(">", start)
    opening = svg[start:end].replace(
        "<svg", '<svg role="img" aria-labelledby="chart-title chart-desc"', 1
    )
    head = (
        f'<title id="chart-title">{escape(title)}</title>'
        f'<desc id="chart-desc">{escape(description)}</desc>'
    )
    return svg[:start] + opening + ">" + head + svg[end + 1 :]


def _empty(ax: Axes) -> None:
    ax.text(0.5, 0.5, "Aucune donnée sur la période", ha="center", va="center", color=MUTED)
    ax.set_axis_off()


def table_chart(table: StatTable) -> bytes:
    """The SVG chart of `table` as its `chart` says (bars, stacked bars or a funnel)."""
    spec = table.chart
    if spec is None:
        raise ValueError(f"table {table.key!r} has no chart")
    rows = [r for r in table.rows if any(r.values[c] is not None for c in spec.columns)][
        : spec.max_rows
    ]
    with _LOCK:
        figure, ax = _figure(len(rows))
        if not rows or all(not (r.values[c] or 0) for r in rows for c in spec.columns):
            _empty(ax)
        elif spec.kind is ChartKind.STACKED:
            _stacked(ax, table, rows, spec.columns)
        elif spec.kind is ChartKind.FUNNEL:
            _funnel(ax, table, rows, spec.columns[0])
        else:
            _bars(ax, table, rows, spec.columns)
        return _to_svg(figure, table.title, table.summary or table.title)


def _bars(ax: Axes, table: StatTable, rows: list[StatRow], columns: list[int]) -> None:
    height = 0.8 / len(columns)
    positions = range(len(rows))
    for n, column in enumerate(columns):
        values = [float(r.values[column] or 0) for r in rows]
        offsets = [p - 0.4 + height * (n + 0.5) for p in positions]
        bars = ax.barh(
            offsets,
            values,
            height=height,
            color=PALETTE[n % len(PALETTE)],
            label=table.columns[column],
        )
        labels = [_number(v, table.units[column]) for v in values]
        ax.bar_label(bars, labels=labels, padding=3, fontsize=8, color=INK)
    _rows_axis(ax, rows)
    if len(columns) > 1:
        _legend(ax)
    ax.margins(x=0.18)


def _stacked(ax: Axes, table: StatTable, rows: list[StatRow], columns: list[int]) -> None:
    left = [0.0] * len(rows)
    for n, column in enumerate(columns):
        values = [float(r.values[column] or 0) for r in rows]
        if not any(values):
            continue
        ax.barh(
            range(len(rows)),
            values,
            left=left,
            color=PALETTE[n % len(PALETTE)],
            label=table.columns[column],
            height=0.6,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        ax.text(total, y, " " + _number(total, Unit.COUNT), va="center", fontsize=8, color=INK)
    _rows_axis(ax, rows)
    _legend(ax)
    ax.margins(x=0.15)


def _funnel(ax: Axes, table: StatTable, rows: list[StatRow], column: int) -> None:
    values = [float(r.values[column] or 0) for r in rows]
    widest = max(values) or 1.0
    lefts = [(widest - v) / 2 for v in values]
    colours = [PALETTE[0]] * (len(rows) - 1) + [PALETTE[2]]
    ax.barh(range(len(rows)), values, left=lefts, color=colours, height=0.7)
    for y, value in enumerate(values):
        ax.text(
            widest / 2,
            y,
            _number(value, table.units[column]),
            ha="center",
            va="center",
            fontsize=9,
            color="#ffffff" if value > widest * 0.15 else INK,
        )
    _rows_axis(ax, rows)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)


def _rows_axis(ax: Axes, rows: list[StatRow]) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", "\u00a0")))
    ax.set_yticks(range(len(rows)), [_short(r.label) for r in rows])
    ax.invert_yaxis()
    ax.tick_params(axis="y", length=0)


def indicators_chart(indicators: list[Indicator], title: str) -> bytes:
    """Share of each target reached (the indicators that have a target), 100 % marked."""
    with_target = [i for i in indicators if i.reached is not None]
    with _LOCK:
        figure, ax = _figure(len(with_target))
        if not with_target:
            _empty(ax)
            return _to_svg(figure, title, "Aucun objectif fixé pour cette période.")
        values = [float(i.reached or 0) for i in with_target]
        colours = [PALETTE[2] if v >= 100 else PALETTE[1] for v in values]
        bars = ax.barh(range(len(values)), values, color=colours, height=0.6)
        ax.bar_label(
            bars,
            labels=[_number(v, Unit.PERCENT) for v in values],
            padding=3,
            fontsize=8,
            color=INK,
        )
        ax.axvline(100, color=INK, linewidth=1, linestyle="--")
        ax.set_yticks(range(len(values)), [_short(i.label) for i in with_target])
        ax.invert_yaxis()
        ax.set_xlabel("Part de l'objectif atteinte (%)")
        ax.margins(x=0.15)
        description = "; ".join(
            f"{i.label} : {_number(i.reached or 0, Unit.PERCENT)} de l'objectif"
            for i in with_target
        )
        return _to_svg(figure, title, description)


def _legend(ax: Axes) -> None:
    """Above the bars, on one line: never over them."""
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=min(len(handles), 3),
        fontsize=8,
        frameon=False,
    )
