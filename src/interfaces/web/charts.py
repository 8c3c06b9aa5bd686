"""Charts drawn on the server as SVG geometry (no chart library, no script): the templates
draw the rectangles and polyline these functions lay out. Presentation attributes only (no
``style``), so the pages' CSP (``style-src 'self'``) allows them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT = 600, 200
MARGIN = 30


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Point:
    label: str
    value: int
    x: float
    y: float


def bars(values: Sequence[tuple[str, int]]) -> list[Bar]:
    """One bar per value, scaled to the largest (at least 1, so zeros draw as zeros)."""
    if not values:
        return []
    top = max(1, *(value for _, value in values))
    slot = (WIDTH - 2 * MARGIN) / len(values)
    drawn = []
    for index, (label, value) in enumerate(values):
        height = (HEIGHT - 2 * MARGIN) * value / top
        drawn.append(
            Bar(label, value, MARGIN + index * slot + slot * 0.15, HEIGHT - MARGIN - height, slot * 0.7, height)
        )
    return drawn


def line(values: Sequence[tuple[str, int]]) -> list[Point]:
    """Points left to right (oldest first), scaled to the largest value."""
    if not values:
        return []
    top = max(1, *(value for _, value in values))
    step = (WIDTH - 2 * MARGIN) / max(1, len(values) - 1)
    return [
        Point(label, value, MARGIN + index * step, HEIGHT - MARGIN - (HEIGHT - 2 * MARGIN) * value / top)
        for index, (label, value) in enumerate(values)
    ]


def polyline(points: Sequence[Point]) -> str:
    return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in points)


@dataclass(frozen=True, slots=True)
class LoadRow:
    """One listing's horizontal bar: sold, then held, out of its capacity (the bar's full width)."""

    name: str
    y: float
    sold_width: float
    held_x: float
    held_width: float
    sold: int
    held: int
    capacity: int


ROW, LABEL, BAR = 34, 220, 340


def load_rows(loads: Sequence[Any]) -> list[LoadRow]:
    """Rows of ``ListingLoad``s, each bar as wide as its listing's capacity."""
    rows = []
    for index, load in enumerate(loads):
        scale = BAR / max(1, load.capacity)
        sold, held = load.sold * scale, load.held * scale
        rows.append(LoadRow(load.name, index * ROW, sold, LABEL + sold, held, load.sold, load.held, load.capacity))
    return rows
