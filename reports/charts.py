"""Chart geometry for server-rendered inline SVG (pure: no ORM, no request, no JavaScript).

Templates draw the shapes with SVG presentation attributes and CSS classes only: the CSP forbids inline scripts
and inline style attributes, and no chart library or CDN is used.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from reports.periods import month_label


@dataclass(frozen=True)
class Bar:
    """One rectangle of a chart, with its label and value for the tooltip (<title>)."""

    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    value: str
    key: str = ""  # the group's label as given (a month key "2026-01")
    series: str = ""  # the series' name


@dataclass(frozen=True)
class Tick:
    """A value gridline or an axis label."""

    x: float
    y: float
    text: str
    sub: str = ""  # a second line under an axis label (a month's year)


@dataclass(frozen=True)
class Chart:
    """Everything a template needs to draw a chart: view box, bars, axis labels, legend."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    x_labels: tuple[Tick, ...]
    gridlines: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]
    empty: bool


def months_between(start: datetime.date, end: datetime.date) -> list[str]:
    """Every month "YYYY-MM" from start's month to end's month, inclusive (gaps in data show as zero bars)."""
    months: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _is_month(label: str) -> bool:
    return len(label) == 7 and label[4] == "-" and label[:4].isdigit() and label[5:].isdigit()


def _shown(label: str) -> str:
    """A month key "2026-01" as people read it, "Jan 2026"; any other label as it is."""
    return month_label(label) if _is_month(label) else label


def short_money(amount: Decimal | float) -> str:
    """A compact axis label: $1.2M, $350k, $90."""
    value = float(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"${value / limit:.1f}{suffix}".replace(".0", "")
    return f"${value:.0f}"


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above value (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def grouped_bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[Decimal]]],
    *,
    width: int = 720,
    height: int = 252,
) -> Chart:
    """Vertical grouped bars: one group per label, one bar per series (name, css class, values); negatives as 0."""
    left, right, top, bottom = 56, 8, 10, 40
    plot_width, plot_height = width - left - right, height - top - bottom
    peak = max((float(v) for _, _, values in series for v in values), default=0.0)
    ceiling = _nice_ceiling(peak)
    group_width = plot_width / max(len(labels), 1)
    bar_width = max(group_width * 0.8 / max(len(series), 1), 1.0)
    bars: list[Bar] = []
    for index, label in enumerate(labels):
        for position, (name, css, values) in enumerate(series):
            value = max(float(values[index]), 0.0)
            bar_height = plot_height * value / ceiling
            x = left + index * group_width + group_width * 0.1 + position * bar_width
            bars.append(
                Bar(
                    x=round(x, 1),
                    y=round(top + plot_height - bar_height, 1),
                    width=round(bar_width, 1),
                    height=round(bar_height, 1),
                    css=css,
                    label=f"{_shown(label)} {name}",
                    value=f"{Decimal(values[index]):,.2f}",
                    key=label,
                    series=name,
                )
            )
    # Months read "Jan" with "2026" under the first label and every January; a label needs about 28 units of
    # width (a longer one such as "Jan 2026" on one line would collide at twelve months): skip labels to fit.
    shown = [_shown(label) for label in labels]
    step = max(1, math.ceil(max((min(len(text), 4) * 7 for text in shown), default=0) / group_width))
    x_labels: list[Tick] = []
    for i, text in enumerate(shown):
        if i % step:
            continue
        first, _, year = text.partition(" ") if _is_month(labels[i]) else (text, "", "")
        sub = year if year and (not x_labels or labels[i].endswith("-01")) else ""
        x_labels.append(Tick(round(left + i * group_width + group_width / 2, 1), height - 20, first, sub))
    gridlines = tuple(
        Tick(left - 6, round(top + plot_height - plot_height * f, 1), short_money(ceiling * f))
        for f in (0, 0.25, 0.5, 0.75, 1)
    )
    return Chart(
        width=width,
        height=height,
        bars=tuple(bars),
        x_labels=tuple(x_labels),
        gridlines=gridlines,
        legend=tuple((name, css) for name, css, _ in series),
        empty=peak <= 0,
    )


@dataclass(frozen=True)
class ShareRow:
    """One row of a horizontal share bar: label, value text and the bar width as a percentage of the widest."""

    label: str
    value: str
    percent: float
    css: str


def share_rows(items: Sequence[tuple[str, Decimal, str]]) -> list[ShareRow]:
    """Horizontal bars scaled to the largest positive value (label, amount, css class)."""
    peak = max((float(amount) for _, amount, _ in items), default=0.0)
    return [
        ShareRow(
            label=label,
            value=f"{amount:,.2f}",
            percent=round(100 * max(float(amount), 0.0) / peak, 1) if peak > 0 else 0.0,
            css=css,
        )
        for label, amount, css in items
    ]
