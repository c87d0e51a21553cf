"""The dashboard's figures, drawn as PNG bytes from data computed elsewhere.

Bands over draws (:mod:`sim.dashboard.runs`) and the history of the stepped replicate
(:mod:`sim.dashboard.stepping`). Figures are built with matplotlib's object interface (no
pyplot state), so two sessions may draw at once; they follow the reports' conventions
(:mod:`sim.report.figures`: a colour-blind palette, series told apart by line style too).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")

import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.dashboard.runs import Bands
from sim.dashboard.stepping import series_label
from sim.results.run import step_date
from sim.scenario import schema

matplotlib.rcParams["text.parse_math"] = False  # scenario names and labels are never markup

FloatArray = npt.NDArray[np.float64]

#: Resolution of the page's figures (pixels per inch).
DPI: Final = 80
#: Seaborn's colour-blind palette (as the reports use), without importing seaborn.
PALETTE: Final = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4", "#949494",
)  # fmt: skip
LINESTYLES: Final[tuple[Any, ...]] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))
PARENT_COLOUR: Final = "#555555"


def png(fig: Figure) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _month_axis(ax: Axes, start: str, steps: int) -> None:
    """Steps on the x axis, labelled with the months they stand at (fixed ticks: a date axis
    costs most of a figure's drawing time)."""
    every = max(1, int(np.ceil(steps / 4 / 6)) * 6) if steps > 8 else 1
    ticks = list(range(0, steps + 1, every))
    ax.set_xticks(ticks, [step_date(start, step)[:7] for step in ticks])
    ax.set_xlim(0, steps)


def _unit_axis(ax: Axes, values: FloatArray) -> None:
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 0 and finite.max() <= 1:
        ax.set_ylim(-0.02, 1.02)


def _band(ax: Axes, x: npt.NDArray[np.int64], table: FloatArray, bands: Bands, colour: str) -> None:
    low, high = table[bands.quantile(0.05)], table[bands.quantile(0.95)]
    inner_low, inner_high = table[bands.quantile(0.25)], table[bands.quantile(0.75)]
    ax.fill_between(x, low, high, color=colour, alpha=0.15, linewidth=0, label="middle 90%")
    ax.fill_between(
        x, inner_low, inner_high, color=colour, alpha=0.3, linewidth=0, label="middle 50%"
    )
    ax.plot(x, table[bands.quantile(0.5)], color=colour, linewidth=1.8, label="median")


def _parent(ax: Axes, x: npt.NDArray[np.int64], table: FloatArray, bands: Bands) -> None:
    ax.plot(
        x, table[bands.quantile(0.5)], color=PARENT_COLOUR, linestyle="--", linewidth=1.2,
        label="parent: median",
    )  # fmt: skip
    for q in (0.05, 0.95):
        ax.plot(
            x, table[bands.quantile(q)], color=PARENT_COLOUR, linestyle=":", linewidth=0.9,
            label="parent: middle 90%" if q == 0.05 else None,
        )  # fmt: skip


def alliance_bands(
    bands: Bands, columns: Sequence[str], parent: Bands | None = None, title: str = ""
) -> bytes:
    """One panel per alliance-level column: its bands over draws (and the parent's median and
    middle 90%, dashed, if given)."""
    chosen = [name for name in columns if name in bands.alliance]
    fig = Figure(figsize=(4.2 * max(len(chosen), 1), 3.0))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.84, wspace=0.18)
    axes = fig.subplots(1, max(len(chosen), 1), squeeze=False)[0]
    x = np.arange(bands.steps + 1, dtype=np.int64)
    for index, (ax, name) in enumerate(zip(axes, chosen, strict=False)):
        table = bands.alliance[name]
        _band(ax, x, table, bands, PALETTE[index % len(PALETTE)])
        if parent is not None and name in parent.alliance:
            _parent(ax, x, parent.alliance[name], parent)
        ax.set_title(series_label(name))
        _unit_axis(ax, table)
        _month_axis(ax, bands.start, bands.steps)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize="small", loc="lower left")
    if title:
        fig.suptitle(title, fontsize="medium")
    return png(fig)


def member_bands(bands: Bands, column: str, parent: Bands | None = None, title: str = "") -> bytes:
    """One panel per member: a member column's bands over draws (and the parent's)."""
    table = bands.members[column]
    fig = Figure(figsize=(12.6, 5.4))
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.08, top=0.88, wspace=0.08, hspace=0.25)
    axes = fig.subplots(2, 3, sharex=True, sharey=True).ravel()
    x = np.arange(bands.steps + 1, dtype=np.int64)
    for index, name in enumerate(schema.MEMBERS):
        ax = axes[index]
        _band(ax, x, table[:, :, index], bands, PALETTE[index % len(PALETTE)])
        if parent is not None and column in parent.members:
            _parent(ax, x, parent.members[column][:, :, index], parent)
        ax.set_title(name)
        _unit_axis(ax, table)
        _month_axis(ax, bands.start, bands.steps)
        ax.grid(alpha=0.3)
    for ax in axes[len(schema.MEMBERS) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center", bbox_to_anchor=(0.84, 0.28), frameon=False)
    fig.suptitle(title or series_label(column), fontsize="medium")
    return png(fig)


def member_history(start: str, horizon: int, values: FloatArray, column: str) -> bytes:
    """A member column of the stepped replicate so far (steps 0 .. now: ``values`` has a row
    per step, a column per member), one line per member, on an axis that spans the whole run
    (so the lines grow as the months pass)."""
    fig = Figure(figsize=(6.4, 3.2))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.9)
    ax = fig.subplots()
    x = np.arange(values.shape[0])
    for index, name in enumerate(schema.MEMBERS):
        ax.plot(
            x,
            values[:, index],
            color=PALETTE[index % len(PALETTE)],
            linestyle=LINESTYLES[index % len(LINESTYLES)],
            marker="o" if len(x) == 1 else None,
            label=name,
        )
    _unit_axis(ax, values)
    _month_axis(ax, start, horizon)
    ax.set_title(series_label(column))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower left", ncols=3)
    return png(fig)


def drivers_chart(drivers: pd.DataFrame, title: str) -> bytes:
    """The drivers of each member's move this month: one group of bars per member."""
    fig = Figure(figsize=(6.4, 3.2))
    fig.subplots_adjust(left=0.12, right=0.98, bottom=0.12, top=0.9)
    ax = fig.subplots()
    names: Mapping[int, str] = dict(enumerate(drivers.columns))
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(drivers.index))
    for index, name in names.items():
        ax.bar(
            x + index * width - 0.4 + width / 2,
            drivers[name].to_numpy(dtype=np.float64),
            width,
            color=PALETTE[index % len(PALETTE)],
            label=name,
        )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [str(name) for name in drivers.index])
    ax.set_ylabel("push (+) or pull (−) on alignment")
    ax.set_title(title)
    ax.legend(fontsize="small", ncols=2)
    return png(fig)
