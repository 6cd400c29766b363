"""The downloads chart's geometry (analytics/charts.py): bars scaled to a round top, each titled with its
day and count, the text alternative, and labels that stay inside the drawing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from analytics.charts import HEIGHT, LEFT, WIDTH, bar_chart, nice_top

DAY = date(2026, 3, 1)


def series(*counts: int) -> list[tuple[date, int]]:
    return [(DAY + timedelta(days=n), count) for n, count in enumerate(counts)]


@pytest.mark.parametrize(
    ("largest", "top"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (420, 500)]
)
def test_axis_top_is_round(largest, top):
    assert nice_top(largest) == top


def test_bars_scale_to_the_top_and_stay_inside():
    chart = bar_chart(series(0, 5, 10), "Downloads")

    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == pytest.approx(2 * heights[1])
    assert all(bar.x >= LEFT and bar.x + bar.width <= WIDTH for bar in chart.bars)
    assert all(0 <= bar.y <= HEIGHT for bar in chart.bars)
    assert [tick.text for tick in chart.counts] == ["0", "5", "10"]


def test_each_bar_says_its_day_and_count_and_the_whole_has_a_summary():
    chart = bar_chart(series(1, 0, 12), "Downloads")

    assert chart.bars[0].label == "1 Mar 2026: 1 download"
    assert chart.bars[2].label == "3 Mar 2026: 12 downloads"
    assert chart.summary == "13 downloads from 1 Mar 2026 to 3 Mar 2026; most on 3 Mar 2026 (12 downloads)."
    assert "<title>3 Mar 2026: 12 downloads</title>" in chart.bars_html()
    assert '<th scope="row">Tue 3 Mar 2026</th>' in chart.rows_html()


def test_a_year_of_days_labels_a_few_and_keeps_the_ends_inside():
    chart = bar_chart(series(*[1] * 365), "Downloads")

    assert len(chart.bars) == 365
    assert 2 <= len(chart.days) <= 6
    assert (chart.days[0].anchor, chart.days[-1].anchor) == ("start", "end")
    assert chart.days[0].position == LEFT and chart.days[-1].position == WIDTH


def test_no_downloads_is_a_flat_chart_that_says_so():
    chart = bar_chart(series(0, 0), "Downloads")

    assert chart.summary == "0 downloads from 1 Mar 2026 to 2 Mar 2026."
    assert all(bar.height == 0 for bar in chart.bars)
