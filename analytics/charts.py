"""The geometry of the downloads bar chart, drawn as SVG by the server (``includes/bar_chart.html``).

No chart library and nothing fetched at run time: the bars are rectangles whose ``<title>`` names the day
and its count (a pointer shows it), the SVG as a whole is one image with a text alternative, and the same
figures follow as a table in a ``<details>`` for screen readers, keyboards and copying. It works without
JavaScript and prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from django.utils.html import format_html_join

WIDTH, HEIGHT = 720, 180  # the viewBox; the SVG scales to the width it is given
LEFT, BOTTOM, TOP = 44, 22, 8  # room for the count labels, the day labels and the top label
BAR_COLOUR = "#007d7e"  # Wagtail's teal: over 3:1 against the admin's light and dark backgrounds


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int

    @property
    def label(self) -> str:
        return f"{day_label(self.day)}: {downloads(self.count)}"


@dataclass
class Tick:
    """A count on the vertical axis and its gridline (``y``), or a day under the bars (``x``)."""

    position: float
    text: str
    anchor: str = "middle"  # the first and last day labels keep inside the chart


@dataclass
class BarChart:
    title: str
    series: list[tuple[date, int]]
    bars: list[Bar] = field(default_factory=list)
    counts: list[Tick] = field(default_factory=list)
    days: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM

    @property
    def total(self) -> int:
        return sum(count for _, count in self.series)

    def bars_html(self) -> str:
        """The bars as SVG, written here rather than by a template loop: a year is 365 of them."""
        return format_html_join(
            "\n",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}</title></rect>',
            ((bar.x, bar.y, bar.width, bar.height, BAR_COLOUR, bar.label) for bar in self.bars),
        )

    def rows_html(self) -> str:
        """The figures as the rows of the table that follows the chart."""
        return format_html_join(
            "\n",
            '<tr><th scope="row">{}</th><td class="downloads-number">{}</td></tr>',
            ((f"{day:%a} {day_label(day)}", f"{count:,}") for day, count in self.series),
        )

    @property
    def summary(self) -> str:
        """The text alternative of the whole image: span, total and the busiest day."""
        if not self.series:
            return "No days to show."
        first, last = self.series[0][0], self.series[-1][0]
        text = f"{downloads(self.total)} from {day_label(first)} to {day_label(last)}"
        if self.total:
            day, count = max(self.series, key=lambda item: item[1])
            text += f"; most on {day_label(day)} ({downloads(count)})"
        return text + "."


def day_label(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def downloads(count: int) -> str:
    return f"{count:,} download{'' if count == 1 else 's'}"


def nice_top(largest: int) -> int:
    """A round number at or above ``largest`` for the top of the axis (1, 2, 5, 10, 20, 50, ...)."""
    if largest <= 1:
        return 1
    power = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 5, 10):
        if step * power >= largest:
            return step * power
    return 10 * power


def bar_chart(series: list[tuple[date, int]], title: str) -> BarChart:
    """The chart of ``series`` (a count per day, in order), scaled to the largest day."""
    chart = BarChart(title=title, series=series)
    if not series:
        return chart
    plot_width = WIDTH - LEFT
    plot_height = chart.baseline - TOP
    top = nice_top(max(count for _, count in series))
    slot = plot_width / len(series)
    gap = slot * 0.2 if slot > 3 else 0
    for index, (day, count) in enumerate(series):
        height = plot_height * count / top
        chart.bars.append(
            Bar(
                x=round(LEFT + index * slot + gap / 2, 2),
                y=round(chart.baseline - height, 2),
                width=round(slot - gap, 2),
                height=round(height, 2),
                day=day,
                count=count,
            )
        )
    chart.counts = [
        Tick(position=round(chart.baseline - plot_height * share, 2), text=f"{round(top * share):,}")
        for share in (0, 0.5, 1)
        if share == 0 or top * share == round(top * share)
    ]
    # Days under the bars: the first, the last and a few between, never crowded.
    marks = sorted({0, len(series) - 1, *range(0, len(series), max(1, math.ceil(len(series) / 5)))})
    if len(marks) > 2 and marks[-1] - marks[-2] < len(series) / 10:
        marks.pop(-2)
    chart.days = [
        Tick(position=round(LEFT + (index + 0.5) * slot, 2), text=short_day(series[index][0]))
        for index in marks
    ]
    chart.days[0].position, chart.days[0].anchor = LEFT, "start"
    if len(chart.days) > 1:
        chart.days[-1].position, chart.days[-1].anchor = WIDTH, "end"
    return chart


def short_day(day: date) -> str:
    return f"{day.day} {day:%b}"
