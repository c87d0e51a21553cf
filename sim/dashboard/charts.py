"""The dashboard's charts, written as SVG text the browser draws.

Bands over draws (:mod:`sim.dashboard.runs`), the stepped replicate's history and the drivers
of its members' moves (:mod:`sim.dashboard.stepping`). A chart is a few polygons and polylines
over month steps, so it is written directly as SVG: a redraw costs milliseconds on the server
(matplotlib inside Solara's server took most of a second per redraw), the browser draws it
sharp at any size, and nothing is fetched. Colours follow the reports' colour-blind palette and
series also differ by dash pattern, so a chart reads in greyscale.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.dashboard.runs import Bands
from sim.dashboard.stepping import series_label
from sim.scenario import month_label, schema

FloatArray = npt.NDArray[np.float64]

#: Seaborn's colour-blind palette, as the reports use it.
PALETTE: Final = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
)  # fmt: skip
DASHES: Final = ("", "6 3", "2 2", "8 3 2 3", "1 3")
PARENT: Final = "#444444"
#: Panel size in pixels, and the margins that hold the axes' labels.
WIDTH, HEIGHT = 300, 190
LEFT, RIGHT, TOP, BOTTOM = 38, 20, 22, 24


@dataclass(frozen=True)
class Line:
    """A line over steps (NaN leaves a gap)."""

    values: FloatArray
    colour: str
    label: str = ""
    dash: str = ""
    width: float = 1.8


@dataclass(frozen=True)
class Band:
    """The area between two lines over steps (steps where either is NaN are left out)."""

    low: FloatArray
    high: FloatArray
    colour: str
    opacity: float
    label: str = ""


@dataclass(frozen=True)
class Panel:
    """One chart: a title, bands drawn first, then lines, over ``steps`` months."""

    title: str
    steps: int
    start: str
    bands: tuple[Band, ...] = ()
    lines: tuple[Line, ...] = ()
    unit_range: bool = True
    """Fix the y axis to 0-1 when every value lies in it."""
    extra: tuple[str, ...] = field(default=())


def _finite(values: Sequence[FloatArray]) -> FloatArray:
    joined = np.concatenate([np.ravel(v) for v in values]) if values else np.array([])
    finite: FloatArray = joined[np.isfinite(joined)]
    return finite


def _y_range(panel: Panel) -> tuple[float, float]:
    values = _finite(
        [*(b.low for b in panel.bands), *(b.high for b in panel.bands)]
        + [line.values for line in panel.lines]
    )
    if values.size == 0:
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    if panel.unit_range and low >= 0 and high <= 1:
        return 0.0, 1.0
    if math.isclose(low, high):
        return low - 0.5, high + 0.5
    pad = (high - low) * 0.05
    return low - pad, high + pad


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def _month_ticks(steps: int) -> list[int]:
    every = 1 if steps <= 8 else max(6, math.ceil(steps / 4 / 6) * 6)
    return list(range(0, steps + 1, every))


def panel_svg(panel: Panel, x0: float = 0, y0: float = 0) -> str:
    """One panel's SVG elements, its top left corner at ``(x0, y0)``."""
    low, high = _y_range(panel)
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(step: float) -> float:
        return x0 + LEFT + inner_w * step / max(panel.steps, 1)

    def py(value: float) -> float:
        return y0 + TOP + inner_h * (1 - (value - low) / (high - low))

    parts = [
        f'<text x="{x0 + WIDTH / 2:.1f}" y="{y0 + 14:.1f}" text-anchor="middle" '
        f'font-size="12" font-weight="bold">{html.escape(panel.title)}</text>'
    ]
    for tick in _ticks(low, high):
        y = py(tick)
        parts.append(
            f'<line x1="{x0 + LEFT}" x2="{x0 + WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#e4e4e4"/>'
            f'<text x="{x0 + LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9">'
            f"{tick:g}</text>"
        )
    for step in _month_ticks(panel.steps):
        x = px(step)
        label = month_label(panel.start, step)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0 + HEIGHT - BOTTOM}" '
            f'y2="{y0 + HEIGHT - BOTTOM + 3}" stroke="#888"/>'
            f'<text x="{x:.1f}" y="{y0 + HEIGHT - BOTTOM + 13}" text-anchor="middle" '
            f'font-size="9">{label}</text>'
        )
    parts.append(
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{inner_w}" height="{inner_h}" '
        'fill="none" stroke="#999"/>'
    )
    for band in panel.bands:
        keep = np.flatnonzero(np.isfinite(band.low) & np.isfinite(band.high))
        if keep.size == 0:
            continue
        steps = [int(s) for s in keep]
        upper = [f"{px(s):.1f},{py(float(band.high[s])):.1f}" for s in steps]
        lower = [f"{px(s):.1f},{py(float(band.low[s])):.1f}" for s in steps[::-1]]
        parts.append(
            f'<polygon points="{" ".join(upper + lower)}" fill="{band.colour}" '
            f'fill-opacity="{band.opacity}" stroke="none"/>'
        )
    for line in panel.lines:
        for segment in _segments(line.values):
            points = " ".join(f"{px(s):.1f},{py(float(line.values[s])):.1f}" for s in segment)
            dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
            if len(segment) == 1:
                s = segment[0]
                parts.append(
                    f'<circle cx="{px(s):.1f}" cy="{py(float(line.values[s])):.1f}" r="2.5" '
                    f'fill="{line.colour}"/>'
                )
            else:
                parts.append(
                    f'<polyline points="{points}" fill="none" stroke="{line.colour}" '
                    f'stroke-width="{line.width}"{dash}/>'
                )
    return "".join(parts)


def _segments(values: FloatArray) -> list[list[int]]:
    segments: list[list[int]] = [[]]
    for step, value in enumerate(values):
        if np.isfinite(value):
            segments[-1].append(step)
        elif segments[-1]:
            segments.append([])
    return [segment for segment in segments if segment]


def legend_svg(items: Sequence[Band | Line], x0: float, y0: float) -> str:
    """A legend: one row per item, a swatch and its label."""
    parts: list[str] = []
    for row, item in enumerate(item for item in items if item.label):
        y = y0 + 16 * row
        if isinstance(item, Band):
            swatch = (
                f'<rect x="{x0}" y="{y - 8}" width="18" height="10" fill="{item.colour}" '
                f'fill-opacity="{item.opacity}"/>'
            )
        else:
            dash = f' stroke-dasharray="{item.dash}"' if item.dash else ""
            swatch = (
                f'<line x1="{x0}" x2="{x0 + 18}" y1="{y - 3}" y2="{y - 3}" '
                f'stroke="{item.colour}" stroke-width="{item.width}"{dash}/>'
            )
        parts.append(
            f'{swatch}<text x="{x0 + 24}" y="{y}" font-size="10">{html.escape(item.label)}</text>'
        )
    return "".join(parts)


def grid_svg(
    panels: Sequence[Panel], columns: int, legend: Sequence[Band | Line] = (), title: str = ""
) -> str:
    """Panels in a grid, ``columns`` wide, a legend in the next free cell (or below)."""
    cells = len(panels) + (1 if legend else 0)
    rows = max(1, math.ceil(cells / columns))
    head = 20 if title else 0
    width, height = WIDTH * columns, HEIGHT * rows + head
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width * 1.4:.0f}px" font-family="sans-serif" '
        'role="img">'
    ]
    if title:
        parts.append(
            f'<text x="{width / 2}" y="14" text-anchor="middle" font-size="13">'
            f"{html.escape(title)}</text>"
        )
    for index, panel in enumerate(panels):
        row, column = divmod(index, columns)
        parts.append(panel_svg(panel, column * WIDTH, head + row * HEIGHT))
    if legend:
        row, column = divmod(len(panels), columns)
        parts.append(legend_svg(legend, column * WIDTH + LEFT, head + row * HEIGHT + TOP + 12))
    parts.append("</svg>")
    return "".join(parts)


# --- the dashboard's charts ------------------------------------------------------------------


def _band_items(table: FloatArray, bands: Bands, colour: str) -> tuple[Band, Band, Line]:
    return (
        Band(table[bands.quantile(0.05)], table[bands.quantile(0.95)], colour, 0.18, "middle 90%"),
        Band(table[bands.quantile(0.25)], table[bands.quantile(0.75)], colour, 0.35, "middle 50%"),
        Line(table[bands.quantile(0.5)], colour, "median"),
    )


def _parent_items(table: FloatArray, bands: Bands) -> tuple[Line, Line, Line]:
    return (
        Line(table[bands.quantile(0.5)], PARENT, "parent: median", "6 3", 1.3),
        Line(table[bands.quantile(0.05)], PARENT, "parent: middle 90%", "1 3", 1.0),
        Line(table[bands.quantile(0.95)], PARENT, "", "1 3", 1.0),
    )


def alliance_bands(bands: Bands, columns: Sequence[str], parent: Bands | None = None) -> str:
    """One panel per alliance-level column: its bands over draws, and the parent's median and
    middle 90% (dotted and dashed) if given."""
    panels: list[Panel] = []
    legend: list[Band | Line] = []
    for index, name in enumerate(c for c in columns if c in bands.alliance):
        colour = PALETTE[index % len(PALETTE)]
        items = _band_items(bands.alliance[name], bands, colour)
        extra = _parent_items(parent.alliance[name], parent) if parent is not None else ()
        panels.append(
            Panel(series_label(name), bands.steps, bands.start, items[:2], (items[2], *extra))
        )
        if not legend:
            legend = [*items, *extra]
    return grid_svg(panels, 3, legend)


def member_bands(bands: Bands, column: str, parent: Bands | None = None) -> str:
    """One panel per member: a member column's bands over draws (and the parent's)."""
    table = bands.members[column]
    panels: list[Panel] = []
    legend: list[Band | Line] = []
    for index, name in enumerate(schema.MEMBERS):
        colour = PALETTE[index % len(PALETTE)]
        items = _band_items(table[:, :, index], bands, colour)
        extra = (
            _parent_items(parent.members[column][:, :, index], parent) if parent is not None else ()
        )
        panels.append(Panel(name, bands.steps, bands.start, items[:2], (items[2], *extra)))
        if not legend:
            legend = [*items, *extra]
    return grid_svg(panels, 3, legend, title=series_label(column))


def member_history(start: str, horizon: int, values: FloatArray, column: str) -> str:
    """A member column of the stepped replicate so far (a row per step from 0, a column per
    member), one line per member, on an axis spanning the whole run."""
    padded = np.full((horizon + 1, values.shape[1]), np.nan)
    padded[: values.shape[0]] = values
    lines = tuple(
        Line(padded[:, index], PALETTE[index % len(PALETTE)], name, DASHES[index % len(DASHES)])
        for index, name in enumerate(schema.MEMBERS)
    )
    return grid_svg([Panel(series_label(column), horizon, start, (), lines)], 1, lines)


def drivers_chart(drivers: pd.DataFrame, title: str) -> str:
    """The drivers of each member's move this month: a group of bars per member, pushes up and
    pulls down from zero."""
    values = drivers.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    extent = float(np.abs(finite).max()) if finite.size else 1.0
    extent = extent or 1.0
    width, height = 620, 220
    inner_h = height - 60
    zero = 30 + inner_h / 2
    group = (width - 60) / max(len(drivers.index), 1)
    bar = group * 0.8 / max(len(drivers.columns), 1)
    full = height + 16 * len(drivers.columns)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full}" '
        'width="100%" font-family="sans-serif" role="img">',
        f'<text x="{width / 2}" y="16" text-anchor="middle" font-size="12" font-weight="bold">'
        f"{html.escape(title)}</text>",
        f'<line x1="50" x2="{width - 10}" y1="{zero}" y2="{zero}" stroke="#333"/>',
    ]
    for m, member in enumerate(drivers.index):
        x_group = 50 + m * group + group * 0.1
        parts.append(
            f'<text x="{50 + m * group + group / 2:.1f}" y="{height - 12}" text-anchor="middle" '
            f'font-size="10">{html.escape(str(member))}</text>'
        )
        for d, _name in enumerate(drivers.columns):
            value = values[m, d]
            if not np.isfinite(value):
                continue
            size = inner_h / 2 * abs(value) / extent
            top = zero - size if value >= 0 else zero
            parts.append(
                f'<rect x="{x_group + d * bar:.1f}" y="{top:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{size:.1f}" fill="{PALETTE[d % len(PALETTE)]}"/>'
            )
    for d, name in enumerate(drivers.columns):
        y = height + 4 + 16 * d
        parts.append(
            f'<rect x="50" y="{y - 9}" width="12" height="10" fill="{PALETTE[d % len(PALETTE)]}"/>'
            f'<text x="68" y="{y}" font-size="10">{html.escape(str(name))}</text>'
        )
    parts.append(
        f'<text x="12" y="{zero}" font-size="9" transform="rotate(-90 12 {zero})" '
        'text-anchor="middle">push (+) or pull (−) on alignment</text></svg>'
    )
    return "".join(parts)
