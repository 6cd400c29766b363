"""The coproduction spectrum: concepts and episodes placed between care the professional leads (0) and care
the person leads (100), drawn as a server-rendered SVG with a text alternative.

Labels are laid out in rows so that none overlaps another: each label goes into the first row (nearest the
axis) where it fits, concepts above the axis and episodes below. Label widths are estimated from their
length, which is enough for the site's sans-serif at 13px.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 760
MARGIN = 70
ROW = 22
AXIS_GAP = 34
CHAR_WIDTH = 7.2
LABEL_PADDING = 12


@dataclass
class Point:
    title: str
    url: str
    position: int  # 0..100
    kind: str  # "concept" or "episode"
    x: float = 0
    y: float = 0
    row: int = 0
    anchor: str = "middle"


@dataclass
class Figure:
    points: list[Point]
    width: int
    height: int
    axis_y: float
    left: float
    right: float


def spectrum_points(index_page) -> list[Point]:
    """Live, public concepts under ``index_page`` and live, public episodes that have a place."""
    from episodes.models import EpisodePage

    from .models import ConceptPage

    concepts = ConceptPage.objects.child_of(index_page).live().public().filter(spectrum__isnull=False)
    episodes = EpisodePage.objects.released().public().filter(spectrum__isnull=False)
    return [
        Point(c.title, c.url or "", c.spectrum, "concept") for c in concepts.order_by("spectrum", "title")
    ] + [Point(e.title, e.url or "", e.spectrum, "episode") for e in episodes.order_by("spectrum", "title")]


def layout(points: list[Point], width: int = WIDTH) -> Figure:
    left, right = MARGIN, width - MARGIN
    rows: dict[str, list[list[tuple[float, float]]]] = {"concept": [], "episode": []}
    for point in sorted(points, key=lambda p: (p.position, p.title)):
        point.x = left + (right - left) * min(max(point.position, 0), 100) / 100
        half = (len(point.title) * CHAR_WIDTH + LABEL_PADDING) / 2
        start, end = point.x - half, point.x + half
        # Keep labels inside the figure: near an edge, a label runs inwards from its marker.
        if start < 4:
            point.anchor, start, end = "start", point.x - 4, point.x - 4 + 2 * half
        elif end > width - 4:
            point.anchor, start, end = "end", point.x + 4 - 2 * half, point.x + 4
        taken = rows[point.kind]
        for number, row in enumerate(taken):
            if all(end <= a or start >= b for a, b in row):
                row.append((start, end))
                point.row = number
                break
        else:
            taken.append([(start, end)])
            point.row = len(taken) - 1
    above, below = len(rows["concept"]), len(rows["episode"])
    axis_y = 20 + AXIS_GAP + above * ROW
    for point in points:
        offset = AXIS_GAP + point.row * ROW
        point.y = axis_y - offset if point.kind == "concept" else axis_y + offset
    height = int(axis_y + AXIS_GAP + below * ROW + 30)
    return Figure(points=points, width=width, height=height, axis_y=axis_y, left=left, right=right)
