"""Every figure of the project, drawn from tables computed elsewhere: those of a run's results
folder (``figures/*.png``: :func:`plot_cohesion`, :func:`plot_members`, saved by :func:`save`)
and those embedded in reports (:func:`png`).

Every function takes the data it draws (already computed and tested: :mod:`sim.report.run`,
:mod:`sim.report.compare`, :mod:`sim.report.sweep`, :mod:`sim.results.threshold`) and returns
a matplotlib figure; nothing here computes a statistic. Conventions: seaborn's colour-blind
palette; every series also differs by line style and marker, bands by hatching or dashed edges,
and heatmaps use ``cividis`` (monotonic in lightness), so each figure reads printed in
greyscale; axes name their units; months are shown as dates.

Figures are drawn on :class:`matplotlib.figure.Figure` with the Agg canvas, without pyplot or
seaborn: importing those cost ``csto run`` another 0.3 s (docs/performance.md). Seaborn's
palette, style and sizes are kept here as matplotlib settings (:data:`COLOURBLIND`,
:data:`WHITEGRID`, :func:`notebook`; tests/test_figures.py checks them against seaborn).
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator, ScalarFormatter

from sim.report.prose import TIMELINE_KINDS, outcome_label, outcome_words
from sim.results.replicates import FREEZE
from sim.scenario import schema

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

    from sim.report.sweep import SweepCrossing

matplotlib.rcParams["text.parse_math"] = False  # text given by a user is never markup

#: Resolution of the PNG files a run's results folder holds, and of figures in reports.
FILE_DPI: Final = 150
REPORT_DPI: Final = 110


# --- conventions ---------------------------------------------------------------------------


#: Line styles and markers that tell series apart without colour.
LINESTYLES: Final[tuple[Any, ...]] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)))


MARKERS: Final = ("o", "s", "^", "D", "v", "P", "X", "h", "p")


HATCHES: Final = ("", "//", "..", "xx", "\\\\", "++")


#: Seaborn's colour-blind palette (``seaborn.color_palette("colorblind")``).
COLOURBLIND: Final = tuple(
    to_rgb(colour)
    for colour in (
        "#0173B2",
        "#DE8F05",
        "#029E73",
        "#D55E00",
        "#CC78BC",
        "#CA9161",
        "#FBAFE4",
        "#949494",
        "#ECE133",
        "#56B4E9",
    )
)

#: Seaborn's "whitegrid" style (``seaborn.axes_style("whitegrid")``) as matplotlib settings,
#: less its default colour map, which only seaborn registers (every figure names its own).
WHITEGRID: Final[dict[RcKeyType, Any]] = {
    "figure.facecolor": "white",
    "axes.labelcolor": ".15",
    "xtick.direction": "out",
    "ytick.direction": "out",
    "xtick.color": ".15",
    "ytick.color": ".15",
    "axes.axisbelow": True,
    "grid.linestyle": "-",
    "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": [
        "Arial",
        "DejaVu Sans",
        "Liberation Sans",
        "Bitstream Vera Sans",
        "sans-serif",
    ],
    "lines.solid_capstyle": "round",
    "patch.edgecolor": "w",
    "patch.force_edgecolor": True,
    "xtick.top": False,
    "ytick.right": False,
    "axes.grid": True,
    "axes.facecolor": "white",
    "axes.edgecolor": ".8",
    "grid.color": ".8",
    "axes.spines.left": True,
    "axes.spines.bottom": True,
    "axes.spines.right": True,
    "axes.spines.top": True,
    "xtick.bottom": False,
    "ytick.left": False,
}

#: How seaborn's ``lineplot`` draws markers: a thin white edge.
LINEPLOT_MARKERS: Final = {"markeredgewidth": 0.75, "markeredgecolor": "w"}


def notebook(font_scale: float) -> dict[RcKeyType, Any]:
    """Seaborn's "notebook" sizes with fonts scaled by ``font_scale``
    (``seaborn.plotting_context("notebook", font_scale=...)``) as matplotlib settings."""
    sizes: dict[RcKeyType, Any] = {
        "axes.linewidth": 1.25,
        "grid.linewidth": 1,
        "lines.linewidth": 1.5,
        "lines.markersize": 6,
        "patch.linewidth": 1,
        "xtick.major.width": 1.25,
        "ytick.major.width": 1.25,
        "xtick.minor.width": 1,
        "ytick.minor.width": 1,
        "xtick.major.size": 6,
        "ytick.major.size": 6,
        "xtick.minor.size": 4,
        "ytick.minor.size": 4,
    }
    fonts: dict[RcKeyType, float] = {
        "font.size": 12,
        "axes.labelsize": 12,
        "axes.titlesize": 12,
        "xtick.labelsize": 11,
        "ytick.labelsize": 11,
        "legend.fontsize": 11,
        "legend.title_fontsize": 12,
    }
    return sizes | {key: size * font_scale for key, size in fonts.items()}


def palette() -> list[tuple[float, float, float]]:
    """Seaborn's colour-blind palette."""
    return list(COLOURBLIND)


def style(index: int) -> dict[str, Any]:
    """Colour, line style and marker of the ``index``-th series."""
    colours = palette()
    return {
        "color": colours[index % len(colours)],
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
        "marker": MARKERS[index % len(MARKERS)],
    }


def _context(font_scale: float | None = None) -> Any:
    """Seaborn's "whitegrid" style, with its "notebook" sizes if ``font_scale`` is given."""
    settings = WHITEGRID | (notebook(font_scale) if font_scale is not None else {})
    return matplotlib.rc_context(settings)


def subplots(
    nrows: int = 1,
    ncols: int = 1,
    *,
    figsize: tuple[float, float],
    layout: Literal["constrained", "compressed", "tight"] | None = "constrained",
    **grid: Any,
) -> tuple[Figure, Any]:
    """A figure on the Agg canvas and its axes, as ``matplotlib.pyplot.subplots`` makes them
    (``grid``: sharex, sharey, squeeze), held by no global registry of figures."""
    fig = Figure(figsize=figsize, layout=layout)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **grid)


class DateLocator(mdates.AutoDateLocator):
    """Matplotlib's ``AutoDateLocator``, remembering the ticks of each view interval: laying a
    figure out asks for them dozens of times (a sixth of the time a run takes to draw its
    figures), and they depend on the interval alone."""

    def __init__(self, minticks: int, maxticks: int) -> None:
        super().__init__(minticks=minticks, maxticks=maxticks)  # type: ignore[no-untyped-call]
        self._ticks: dict[tuple[float, ...], Any] = {}

    def __call__(self) -> Any:
        if self.axis is None:
            return super().__call__()  # type: ignore[no-untyped-call]
        view = tuple(self.axis.get_view_interval())
        if view not in self._ticks:
            self._ticks[view] = super().__call__()  # type: ignore[no-untyped-call]
        return self._ticks[view].copy()


def format_months(ax: Axes) -> None:
    """Month ticks as dates ("Jan 2024")."""
    locator = DateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))  # type: ignore[no-untyped-call]
    for label in ax.get_xticklabels():
        label.set_rotation(30)
        label.set_horizontalalignment("right")


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=REPORT_DPI, metadata={"Software": None})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    """The figure as SVG bytes, without a date or random ids (the figure stays open)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "csto", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def mean_line(
    ax: Axes, data: pd.DataFrame, index: int, label: str, markersize: float, **line: Any
) -> None:
    """A mean line over months (``date``, ``mean``) with its shaded 95% interval of the mean."""
    look = style(index)
    ax.fill_between(
        data["date"],
        data["ci_low"].fillna(data["mean"]),
        data["ci_high"].fillna(data["mean"]),
        color=look["color"],
        alpha=0.25,
        linewidth=0,
    )
    ax.plot(
        data["date"],
        data["mean"],
        label=label,
        markersize=markersize,
        markevery=max(1, len(data) // 8),
        **line,
        **look,
    )


def _band(ax: Axes, x: Any, data: pd.DataFrame, index: int, label: str | None = None) -> None:
    """Mean line, shaded 95% interval of the mean, dashed middle-95% range."""
    look = style(index)
    ax.fill_between(
        x,
        data["ci_low"].fillna(data["mean"]),
        data["ci_high"].fillna(data["mean"]),
        color=look["color"],
        alpha=0.3,
        linewidth=0,
        hatch=HATCHES[index % len(HATCHES)] or None,
    )
    ax.plot(
        x,
        data["mean"],
        color=look["color"],
        linestyle=look["linestyle"],
        marker=look["marker"],
        markersize=3,
        markevery=max(1, len(data) // 12),
        linewidth=1.8,
        label=label,
    )
    if "low" in data and "high" in data:
        for column in ("low", "high"):
            ax.plot(x, data[column], color=look["color"], linestyle=(0, (2, 2)), linewidth=0.7)


def _band_legend(
    ax: Axes,
    extra: Sequence[Any] = (),
    loc: Any = "best",
    middle: bool = True,
    outside: bool = False,
) -> None:
    """The legend of bands (over the random draws); ``outside`` puts it right of the axes, so
    that it covers no line."""
    handles, _ = ax.get_legend_handles_labels()
    handles = [
        *handles,
        Patch(facecolor="0.6", alpha=0.4, label="95% interval of the mean (over the draws)"),
    ]
    if middle:
        handles.append(
            Line2D(
                [],
                [],
                color="0.3",
                linestyle=(0, (2, 2)),
                linewidth=0.8,
                label="middle 95% of replicates",
            )
        )
    handles += list(extra)
    if outside:
        ax.legend(
            handles=handles, fontsize="small", loc=loc, bbox_to_anchor=(1.01, 1.0), frameon=False
        )
    else:
        ax.legend(handles=handles, fontsize="small", loc=loc, frameon=True)


# --- the figures of reports ----------------------------------------------------------------


def member_lines(bands: Mapping[str, pd.DataFrame], ylabels: Mapping[str, str]) -> Figure:
    """One panel per member column (e.g. trust, dependence): a line per member, mean over
    replicates with its 95% interval of the mean."""
    with _context():
        fig, axes = subplots(
            1, len(bands), figsize=(5.5 * len(bands), 4.2), sharey=True, layout="constrained"
        )
        flat = np.atleast_1d(axes)
        for ax, (column, band) in zip(flat, bands.items(), strict=True):
            for index, name in enumerate(schema.MEMBERS):
                data = band[band["member"] == name]
                mean_line(ax, data, index, name, markersize=4, linewidth=1.6)
            ax.set_ylim(0, 1)
            ax.set_ylabel(ylabels.get(column, column))
            ax.set_xlabel("Month")
            ax.set_title(column.capitalize())
            format_months(ax)
        handles, labels = flat[0].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=len(labels),
            fontsize="small",
            title="mean over replicates, with its 95% interval over the draws",
            title_fontsize="small",
            frameon=False,
        )
    return fig


#: Colour index of each kind of band of a fan chart (what its spread is over).
FAN_COVERS: Final = {"draws": 0, "parameters": 1, "draws and parameters": 2}
FAN_WORDS: Final = {
    "draws": "replicates (random draws)",
    "parameters": "parameter draws",
    "draws and parameters": "runs (random draws and parameters)",
}


def fan_chart(panels: Mapping[str, pd.DataFrame], ylabel: str = "Index (0–1)") -> Figure:
    """Fan charts, one panel per title: nested central bands (``level``) around the median,
    one colour per kind of spread (``covers``: over the random draws, over parameters, or
    both), labelled with what they cover (the tables of :func:`sim.report.run.fan`)."""
    count = len(panels)
    columns = min(count, 3)
    rows = -(-count // columns)
    with _context():
        fig, axes = subplots(
            rows,
            columns,
            figsize=(4.3 * columns, 3.1 * rows + 0.8),
            sharex=True,
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        flat = list(axes.flat)
        handles: dict[str, Any] = {}
        for ax, (title, table) in zip(flat, panels.items(), strict=False):
            for covers, part in table.groupby("covers", sort=False):
                colour = palette()[FAN_COVERS.get(str(covers), 3)]
                levels = sorted(set(part["level"]), reverse=True)
                for depth, level in enumerate(levels):
                    band = part[part["level"] == level]
                    ax.fill_between(
                        band["date"],
                        band["low"],
                        band["high"],
                        color=colour,
                        alpha=0.18 + 0.17 * depth,
                        linewidth=0,
                    )
                    key = f"{covers}-{level}"
                    handles.setdefault(
                        key,
                        Patch(
                            facecolor=colour,
                            alpha=0.18 + 0.17 * depth,
                            label=f"middle {level:.0%} of {FAN_WORDS.get(str(covers), covers)}",
                        ),
                    )
                middle = part[part["level"] == levels[0]]
                ax.plot(middle["date"], middle["median"], color=colour, linewidth=1.6)
                handles.setdefault(
                    f"{covers}-median",
                    Line2D([], [], color=colour, linewidth=1.6, label=f"median, {covers}"),
                )
            ax.set_title(title, fontsize="small")
            ax.set_ylim(0, 1)
            ax.tick_params(labelbottom=True)
            format_months(ax)
        for ax in flat[count:]:
            ax.axis("off")
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        fig.legend(
            handles=list(handles.values()),
            loc="outside lower center",
            ncols=min(len(handles), 4),
            fontsize="small",
            frameon=False,
        )
    return fig


def timeline(table: pd.DataFrame, title: str = "") -> Figure:
    """Events by month: a row per kind, a marker where it happened, its area the share of
    replicates in which it happened that month; scenario-given events in black."""
    kinds = [kind for kind in TIMELINE_KINDS if kind in set(table["kind"])]
    kinds += sorted(set(table["kind"]) - set(kinds))
    with _context():
        fig, ax = subplots(figsize=(10, 0.55 * max(len(kinds), 3) + 1.6), layout="constrained")
        for row, kind in enumerate(kinds):
            data = table[table["kind"] == kind]
            look = style(row)
            given = data["origin"] == "scenario"
            ax.scatter(
                data.loc[~given, "date"],
                np.full(int((~given).sum()), row),
                s=20 + 180 * data.loc[~given, "share"].to_numpy(),
                color=look["color"],
                marker=look["marker"],
                alpha=0.8,
                edgecolors="0.2",
                linewidths=0.4,
            )
            ax.scatter(
                data.loc[given, "date"],
                np.full(int(given.sum()), row),
                s=140,
                color="black",
                marker="*",
            )
        ax.set_yticks(range(len(kinds)), [TIMELINE_KINDS.get(kind, kind) for kind in kinds])
        ax.set_ylim(len(kinds) - 0.5, -0.5)
        ax.set_xlabel("Month the event happened")
        ax.set_ylabel("Kind of event")
        format_months(ax)
        sizes = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                color="0.5",
                markersize=np.sqrt(20 + 180 * share),
                label=f"in {share:.0%} of replicates",
            )
            for share in (0.1, 0.5, 1.0)
        ]
        sizes.append(
            Line2D(
                [],
                [],
                marker="*",
                linestyle="none",
                color="black",
                markersize=11,
                label="given by the scenario",
            )
        )
        ax.legend(
            handles=sizes,
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
        )
        ax.set_title(title or "Event timeline")
    return fig


def compare_trajectories(
    bands: pd.DataFrame, names: Sequence[str], ylabel: str = "Cohesion index (0–1)"
) -> Figure:
    """One panel per scenario, side by side: mean and bands; the baseline's mean repeated as a
    grey reference line in the other panels."""
    with _context():
        fig, axes = subplots(
            1,
            len(names),
            figsize=(4.2 * len(names), 4.2),
            sharey=True,
            layout="constrained",
            squeeze=False,
        )
        base = bands[bands["scenario"] == names[0]]
        for index, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
            data = bands[bands["scenario"] == name]
            _band(ax, data["date"], data, index, label=f"{name}, mean")
            if index:
                ax.plot(
                    base["date"],
                    base["mean"],
                    color="0.45",
                    linestyle=(0, (6, 3)),
                    linewidth=1.2,
                    label=f"{names[0]} (baseline), mean",
                )
            ax.set_title(name)
            ax.set_xlabel("Month")
            ax.set_ylim(0, 1)
            format_months(ax)
            _band_legend(ax, loc="lower left")
        axes[0][0].set_ylabel(ylabel)
    return fig


def compare_differences(
    differences: pd.DataFrame,
    names: Sequence[str],
    ylabel: str = "Difference in cohesion",
    negligible: float = 0.0,
) -> Figure:
    """Each scenario's paired difference to the baseline over time, with its 95% interval over
    the draws; a grey band around zero spans differences too small to matter."""
    with _context():
        fig, ax = subplots(figsize=(9, 4.5), layout="constrained")
        if negligible > 0:
            ax.axhspan(-negligible, negligible, color="0.88", zorder=0, linewidth=0)
        for index, name in enumerate(names[1:], start=1):
            data = differences[differences["scenario"] == name]
            _band(ax, data["date"], data.drop(columns=["low", "high"]), index, label=name)
        ax.axhline(0.0, color="black", linewidth=0.9)
        ax.set_ylabel(textwrap.fill(f"{ylabel} (scenario − {names[0]})", 36))
        ax.set_xlabel("Month")
        format_months(ax)
        extra = [Patch(facecolor="0.6", alpha=0.4, label="paired 95% interval over the draws")]
        if negligible > 0:
            extra.append(Patch(facecolor="0.88", label="too small to matter (negligible)"))
        ax.legend(
            handles=[*ax.get_legend_handles_labels()[0], *extra], fontsize="small", loc="best"
        )
        ax.set_title(f"Difference to {names[0]}, replicate by replicate (same seeds)")
    return fig


def forest(table: pd.DataFrame, title: str = "") -> Figure:
    """Paired differences of final outcomes: a panel per scale (unit), a row per outcome and
    scenario, a point and its 95% interval, a grey band for differences too small to matter
    (``outcome``, ``scenario``, ``difference``, ``ci_low``, ``ci_high``, and ``negligible``,
    ``verdict`` where given); outcomes equal in every replicate as hollow points at zero."""
    from sim.results.outcomes import REGISTRY

    def scale(outcome: str) -> str:
        entry = REGISTRY.by_name.get(outcome)
        if entry is None:
            return "outcome units"
        return "outcomes on a 0–1 scale" if entry.bounds == (0.0, 1.0) else entry.unit

    units = {outcome: scale(outcome) for outcome in dict.fromkeys(table["outcome"])}
    scales = list(dict.fromkeys(units.values()))
    scenarios = list(dict.fromkeys(table["scenario"]))
    sizes = [sum(units[o] == unit for o in units) * len(scenarios) for unit in scales]
    with _context():
        fig, axes = subplots(
            len(scales),
            1,
            figsize=(9, 0.28 * sum(sizes) + 1.1 * len(scales) + 0.6),
            layout="constrained",
            squeeze=False,
            height_ratios=[size + 2 for size in sizes],
        )
        for ax, unit in zip(axes[:, 0], scales, strict=True):
            data = table[table["outcome"].map(units) == unit].reset_index(drop=True)
            labels: list[str] = []
            for row, item in data.iterrows():
                position = int(str(row))
                look = style(scenarios.index(item["scenario"]) + 1)
                difference = float(item["difference"])
                finite = np.isfinite(item["ci_low"]) and np.isfinite(item["ci_high"])
                low = float(item["ci_low"]) if finite else difference
                high = float(item["ci_high"]) if finite else difference
                same = str(item.get("verdict", "")) == "no difference"
                ax.errorbar(
                    [difference],
                    [position],
                    xerr=[[difference - low], [high - difference]],
                    color=look["color"],
                    marker=look["marker"],
                    markerfacecolor="none" if same else look["color"],
                    capsize=3,
                    linestyle="none",
                    label=str(item["scenario"]),
                )
                # the outcome named once (colour and marker tell the scenarios apart), without
                # its parenthesis and wrapped, so long names leave the panel its width
                words = re.sub(r" \(.*\)$", "", outcome_words(str(item["outcome"])))
                first = position == 0 or data.at[position - 1, "outcome"] != item["outcome"]
                labels.append(textwrap.fill(words, 42) if first else "")
            negligible = float(data["negligible"].max()) if "negligible" in data else 0.0
            if negligible > 0:
                ax.axvspan(-negligible, negligible, color="0.85", zorder=0, linewidth=0)
            ax.axvline(0.0, color="black", linewidth=0.9)
            reach = np.nanmax(
                np.abs(data[["difference", "ci_low", "ci_high"]].to_numpy(np.float64)), initial=0.0
            )
            reach = max(float(reach), 2 * negligible, 1e-3) * 1.15
            ax.set_xlim(-reach, reach)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))
            formatter = ScalarFormatter(useOffset=False)
            formatter.set_scientific(False)
            ax.xaxis.set_major_formatter(formatter)
            ax.set_yticks(range(len(data)), labels, fontsize="small")
            ax.set_ylim(len(data) - 0.5, -0.5)
            ax.set_xlabel(f"Difference to the baseline ({unit})")
            ax.set_ylabel("Outcome")
        handles: list[Any] = [
            Line2D(
                [],
                [],
                color=style(index + 1)["color"],
                marker=style(index + 1)["marker"],
                linestyle="none",
                label=name,
            )
            for index, name in enumerate(scenarios)
        ]
        handles.append(Patch(facecolor="0.85", label="too small to matter (negligible)"))
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                markerfacecolor="none",
                color="0.3",
                linestyle="none",
                label="equal in every replicate",
            )
        )
        axes[0, 0].legend(
            handles=handles,
            fontsize="small",
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            ncols=min(len(handles), 3),
            frameon=False,
        )
        fig.suptitle(
            title or "Difference to the baseline, with its paired 95% interval over the draws"
        )
    return fig


def threshold_curve(
    curve: pd.DataFrame,
    level: float,
    critical: float | None,
    interval: tuple[float, float],
    ylabel: str,
    title: str = "",
    scenario_range: tuple[float, float] | None = None,
    floor: float | None = None,
) -> Figure:
    """The replicate-mean outcome against constant capacity, the level, and the critical
    capacity with its bootstrap 95% interval; the range of capacity the scenario takes and its
    floor, where given."""
    with _context():
        fig, ax = subplots(figsize=(9, 4.8), layout="constrained")
        context: list[Any] = []
        if scenario_range is not None:
            ax.axvspan(*scenario_range, color="0.88", zorder=0, linewidth=0)
            context.append(Patch(facecolor="0.88", label="capacity in the scenario as written"))
        if floor is not None:
            ax.axvline(floor, color="0.35", linestyle=":", linewidth=1.4)
            context.append(
                Line2D([], [], color="0.35", linestyle=":", label=f"scenario's floor {floor:g}")
            )
        _band(ax, curve["capacity"], curve, 0, label="mean over replicates")
        ax.axhline(level, color="0.3", linestyle=(0, (6, 3)), linewidth=1.1)
        extra: list[Any] = [
            Line2D([], [], color="0.3", linestyle=(0, (6, 3)), label=f"level {level:g}")
        ]
        if critical is not None:
            low, high = interval
            if np.isfinite(low) and np.isfinite(high):
                ax.axvspan(low, high, facecolor="none", edgecolor="0.2", hatch="///", linewidth=0)
                extra.append(
                    Patch(
                        facecolor="none",
                        edgecolor="0.2",
                        hatch="///",
                        label="bootstrap 95% interval",
                    )
                )
            ax.axvline(critical, color="black", linewidth=1.5)
            extra.append(
                Line2D(
                    [], [], color="black", linewidth=1.5, label=f"critical capacity {critical:.3f}"
                )
            )
        ax.set_xlabel("Russia's capacity for the region, held constant (share of pre-war)")
        ax.set_ylabel(ylabel)
        ax.set_xlim(float(curve["capacity"].min()), float(curve["capacity"].max()))
        _band_legend(ax, [*extra, *context], loc="upper left", outside=True)
        ax.set_title(title or "Where the outcome crosses the level")
    return fig


def responses(
    curves: Mapping[str, pd.DataFrame],
    outcome: str,
    crossing: SweepCrossing | None = None,
    level: float | None = None,
    limits: tuple[float, float] | None = None,
) -> Figure:
    """The response of one outcome to each swept parameter: a panel per parameter. A share
    (``limits`` given, e.g. 0–1) is drawn on its whole range, so that a share that is zero
    everywhere shows as a line on the floor, not as a band filling the panel."""
    from sim.results.outcomes import REGISTRY

    count = len(curves)
    with _context():
        fig, flat, columns = _panel_grid(count)
        entry = REGISTRY.by_name.get(outcome)
        binary = entry is not None and entry.type == "bool"
        for index, (ax, (parameter, curve)) in enumerate(zip(flat, curves.items(), strict=False)):
            shown = curve.drop(columns=["low", "high"]) if binary else curve
            _band(ax, curve["x"], shown, index, label="mean over runs")
            if level is not None:
                ax.axhline(level, color="0.3", linestyle=(0, (6, 3)), linewidth=1.0)
            if crossing is not None and crossing.parameter == parameter and crossing.critical:
                if np.isfinite(crossing.ci_low) and np.isfinite(crossing.ci_high):
                    ax.axvspan(
                        crossing.ci_low,
                        crossing.ci_high,
                        facecolor="none",
                        edgecolor="0.2",
                        hatch="///",
                        linewidth=0,
                    )
                ax.axvline(crossing.critical, color="black", linewidth=1.5)
                ax.annotate(
                    f"critical {crossing.critical:.3f}",
                    (crossing.critical, level if level is not None else 0.5),
                    xytext=(6, 8),
                    textcoords="offset points",
                    fontsize="small",
                )
            ax.set_xlabel(parameter_label(parameter))
            ax.set_title(parameter, fontsize="small")
            if limits is not None:
                ax.set_ylim(*limits)
            if index % columns == 0:
                ax.set_ylabel(textwrap.fill(outcome_label(outcome), 40))
        for ax in flat[count:]:
            ax.axis("off")
        _band_legend(flat[0], loc="best", middle=not binary)
    return fig


def _panel_grid(count: int) -> tuple[Figure, list[Axes], int]:
    """A figure with ``count`` panels (one per swept parameter), at most three a row."""
    columns = min(count, 3)
    rows = -(-count // columns)
    fig, axes = subplots(
        rows,
        columns,
        figsize=(4.3 * columns, 3.5 * rows + 0.4),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    return fig, list(axes.flat), columns


def member_responses(
    curves: Mapping[str, Mapping[str, pd.DataFrame]],
    ylabel: str = "Final alignment (0 exit – 1 loyal)",
    limits: tuple[float, float] | None = (0.0, 1.0),
) -> Figure:
    """A member outcome of each member against each swept parameter (means only)."""
    count = len(curves)
    with _context():
        fig, flat, _ = _panel_grid(count)
        for ax, (parameter, by_member) in zip(flat, curves.items(), strict=False):
            for index, (member, curve) in enumerate(by_member.items()):
                ax.plot(curve["x"], curve["mean"], label=member, markersize=4, **style(index))
            if limits is not None:
                ax.set_ylim(*limits)
            ax.set_xlabel(parameter_label(parameter))
            ax.set_title(parameter, fontsize="small")
            ax.set_ylabel(textwrap.fill(ylabel, 40))
        for ax in flat[count:]:
            ax.axis("off")
        flat[0].legend(fontsize="small", loc="best")
    return fig


def heatmaps(
    tables: Mapping[tuple[str, str], pd.DataFrame],
    outcome: str,
    noise: Mapping[tuple[str, str], bool] | None = None,
) -> Figure:
    """Mean outcome over pairs of parameters, one panel per pair, on a shared colour scale;
    panels whose cells differ by no more than chance (``noise``) hatched and titled so."""
    count = len(tables)
    columns = min(count, 3)
    rows = -(-count // columns)
    values = np.concatenate([table.to_numpy(np.float64).ravel() for table in tables.values()])
    finite = values[np.isfinite(values)]
    vmin = float(finite.min()) if len(finite) else 0.0
    vmax = float(finite.max()) if len(finite) else 1.0
    with _context():
        fig, axes = subplots(
            rows,
            columns,
            figsize=(4.4 * columns, 3.8 * rows + 0.4),
            layout="constrained",
            squeeze=False,
        )
        flat = list(axes.flat)
        image = None
        for ax, ((first, second), table) in zip(flat, tables.items(), strict=False):
            x = table.columns.to_numpy(np.float64)
            y = table.index.to_numpy(np.float64)
            image = ax.pcolormesh(
                _edges(x),
                _edges(y),
                table.to_numpy(np.float64),
                cmap="cividis",
                vmin=vmin,
                vmax=vmax,
                shading="flat",
            )
            ax.set_xlabel(parameter_label(first))
            ax.set_ylabel(parameter_label(second))
            ax.grid(False)
            if noise and noise.get((first, second)):
                ax.add_patch(
                    Rectangle(
                        (0, 0),
                        1,
                        1,
                        transform=ax.transAxes,
                        facecolor="white",
                        alpha=0.55,
                        hatch="xx",
                        edgecolor="0.4",
                        linewidth=0,
                    )
                )
                ax.set_title("noise: cells differ by chance only", fontsize="small")
        for ax in flat[count:]:
            ax.axis("off")
        if image is not None:
            fig.colorbar(image, ax=flat[:count], label=f"mean {outcome_label(outcome)}")
    return fig


def _edges(centres: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if len(centres) == 1:
        return np.array([centres[0] - 0.5, centres[0] + 0.5])
    middle = (centres[:-1] + centres[1:]) / 2
    first = centres[0] - (middle[0] - centres[0])
    last = centres[-1] + (centres[-1] - middle[-1])
    return np.concatenate([[first], middle, [last]])


def sobol_bars(indices: pd.DataFrame, outcome: str) -> Figure:
    """Sobol first-order (S1) and total (ST) indices per parameter with 95% intervals."""
    with _context():
        fig, ax = subplots(figsize=(8, 0.5 * len(indices) + 2), layout="constrained")
        positions = np.arange(len(indices))
        colours = palette()
        for offset, (column, label, hatch, colour) in enumerate(
            (("S1", "first order S1", "", colours[0]), ("ST", "total ST", "//", colours[1]))
        ):
            ax.barh(
                positions + (offset - 0.5) * 0.4,
                indices[column],
                height=0.38,
                xerr=indices[f"{column}_conf"],
                color=colour,
                hatch=hatch,
                edgecolor="0.2",
                capsize=3,
                label=label,
            )
        ax.set_yticks(positions, list(indices["parameter"]))
        ax.invert_yaxis()
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel(f"Sobol index of {outcome_label(outcome)} (share of variance)")
        ax.set_ylabel("Swept parameter")
        ax.legend(fontsize="small", title="bars: 95% interval")
    return fig


def morris_scatter(indices: pd.DataFrame, outcome: str) -> Figure:
    """Morris mu* (mean absolute elementary effect, with its 95% interval) against sigma."""
    with _context():
        fig, ax = subplots(figsize=(7.5, 5), layout="constrained")
        for index, row in indices.reset_index(drop=True).iterrows():
            look = style(int(str(index)))
            ax.errorbar(
                [row["mu_star"]],
                [row["sigma"]],
                xerr=[[row["mu_star_conf"]], [row["mu_star_conf"]]],
                color=look["color"],
                marker=look["marker"],
                linestyle="none",
                capsize=3,
                label=str(row["parameter"]),
            )
        ax.set_xlabel(f"μ* (mean |elementary effect| on {outcome_label(outcome)})")
        ax.set_ylabel("σ (spread of the effects: interactions, non-linearity)")
        ax.legend(fontsize="small", loc="best")
    return fig


def sensitivity_matrix(table: pd.DataFrame, method: str) -> Figure:
    """Which parameter moves which outcome: a cell per parameter (rows) and outcome
    (columns), the total Sobol index ST, or Morris μ* as a share of the outcome's largest;
    cells below what matters left blank (``table``: ``outcome``, ``parameter`` and the
    indices, as :func:`sim.report.sweep.sensitivity_table`)."""
    from sim.report.sweep import influence, negligible_influence

    outcomes = list(dict.fromkeys(table["outcome"]))
    parameters = list(dict.fromkeys(table["parameter"]))
    values = np.full((len(parameters), len(outcomes)), np.nan)
    for column, outcome in enumerate(outcomes):
        rows = table[table["outcome"] == outcome]
        strength = influence(rows, method).to_numpy(np.float64)
        shown = strength >= negligible_influence(str(outcome), method)
        if method == "morris":
            top = np.nanmax(strength) if np.isfinite(strength).any() else 1.0
            strength = strength / top if top > 0 else strength
        for row, parameter in enumerate(rows["parameter"]):
            index = parameters.index(parameter)
            if shown[row]:
                values[index, column] = strength[row]
    with _context():
        fig, ax = subplots(
            figsize=(max(6.0, 0.55 * len(outcomes) + 4.5), 0.45 * len(parameters) + 2.8),
            layout="constrained",
        )
        image = ax.imshow(np.clip(values, 0, 1), cmap="cividis_r", vmin=0, vmax=1, aspect="auto")
        for row in range(len(parameters)):
            for column in range(len(outcomes)):
                value = values[row, column]
                if np.isfinite(value):
                    ax.text(
                        column,
                        row,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if value > 0.5 else "black",
                    )
        ax.set_xticks(range(len(outcomes)), [str(o) for o in outcomes], rotation=60, ha="right")
        ax.set_yticks(range(len(parameters)), parameters)
        ax.grid(False)
        label = "total Sobol index ST" if method == "sobol" else "μ* / largest μ* of the outcome"
        fig.colorbar(image, ax=ax, label=label, shrink=0.8)
        ax.set_title("Blank: below what matters (the parameter barely moves the outcome)")
    return fig


def prim_boxes(found: Any, outcome: str) -> Figure:
    """A PRIM result (:class:`sim.discovery.Discovery`): the first box's peeling trajectory
    (coverage against density, the chosen box circled) and every box's limits as shares of
    the swept ranges."""
    with _context():
        fig, (left, right) = subplots(
            1, 2, figsize=(11, 4.2), layout="constrained", width_ratios=[1, 1.4]
        )
        path = found.boxes[0].trajectory
        left.plot(path["coverage"], path["density"], color=style(0)["color"], marker="o", ms=3)
        chosen = path[path["chosen"]]
        left.plot(
            chosen["coverage"],
            chosen["density"],
            marker="o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor="black",
            linestyle="none",
            label="chosen box",
        )
        left.axhline(found.base_rate, color="0.4", linestyle=":", label="share of all runs")
        left.set_xlim(0, 1.02)
        left.set_ylim(0, 1.02)
        left.set_xlabel("Coverage (share of the runs with the outcome inside)")
        left.set_ylabel("Density (share of the box's runs with the outcome)")
        left.legend(fontsize="small", loc="lower left")
        left.set_title("Peeling trajectory, box 1", fontsize="small")
        labels: list[str] = []
        row = 0
        for number, box in enumerate(found.boxes, start=1):
            look = style(number - 1)
            for name, (low, high) in box.limits.items():
                start, end = found.ranges[name]
                width = end - start if end > start else 1.0
                right.barh(
                    row,
                    (high - low) / width,
                    left=(low - start) / width,
                    color=look["color"],
                    hatch=HATCHES[(number - 1) % len(HATCHES)] or None,
                    edgecolor="0.2",
                    height=0.6,
                )
                right.text(1.01, row, f"{low:.3g} – {high:.3g}", va="center", fontsize="small")
                labels.append(f"box {number}: {name}")
                row += 1
        right.set_yticks(range(len(labels)), labels, fontsize="small")
        right.set_ylim(len(labels) - 0.5, -0.5)
        right.set_xlim(0, 1)
        right.set_xlabel("Position within the swept range (0 = its low end, 1 = its high end)")
        right.set_title(f"Limits of each box: {outcome}", fontsize="small")
    return fig


def parameter_label(path: str) -> str:
    """Axis label for a swept dotted path: its meaning from the schema and its unit."""
    spec = schema.leaf(path)
    if spec is None:
        return path
    unit = {"unit": "0–1", "int": "whole number"}.get(spec.kind, f"{spec.low:g}–{spec.high:g}")
    return textwrap.fill(f"{spec.meaning} ({unit})", 42)


# --- a run's cohesion and members (also saved in its folder's figures/) --------------------


#: Line style of each kind of marked event (greyscale-safe: no two share a style).
EVENT_STYLES: Final[dict[str, tuple[Any, str]]] = {
    "clash": ("--", "clash"),
    "appeal_answered": ("-.", "appeal answered"),
    "appeal_ignored": ((0, (3, 1, 1, 1, 1, 1)), "appeal ignored"),
    "coercion": (":", "coercion / pipeline suspension"),
    "security_pledge": ((0, (1, 1)), "security pledge"),
    "mobilisation_shock": ("-", "mobilisation shock"),
}


def _concise_dates(ax: Axes) -> None:
    locator = DateLocator(minticks=4, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    )


def plot_cohesion(band: pd.DataFrame, title: str = "") -> Figure:
    """Cohesion over time: mean line, 95% band of the mean, middle-95% range, capacity."""
    palette = list(COLOURBLIND)
    with _context(font_scale=0.9):
        fig, ax = subplots(figsize=(8, 4.5), layout="constrained")
        replicates = int(band["n"].max())
        ax.fill_between(
            band["date"],
            band["ci_low"].fillna(band["mean"]),
            band["ci_high"].fillna(band["mean"]),
            color=palette[0],
            alpha=0.3,
            linewidth=0,
            label="95% interval of the mean",
        )
        ax.plot(
            band["date"],
            band["mean"],
            color=palette[0],
            linewidth=2,
            marker="o",
            markersize=3,
            label=f"cohesion, mean of {replicates} replicates",
            **LINEPLOT_MARKERS,
        )
        for column in ("low", "high"):
            ax.plot(
                band["date"],
                band[column],
                color=palette[0],
                linestyle="--",
                linewidth=0.9,
                label="middle 95% of replicates" if column == "low" else None,
            )
        ax.plot(
            band["date"],
            band["capacity"],
            color=palette[3],
            linestyle=":",
            linewidth=2,
            label="Russia's capacity for the region (share of pre-war)",
        )
        ax.set_ylim(0, 1)
        ax.set_ylabel("Cohesion index (0–1)")
        ax.set_xlabel("Month (state at the start of each month)")
        ax.set_title(title or "Alliance cohesion")
        _concise_dates(ax)
        ax.legend(loc="lower left", fontsize="small", frameon=True)
    return fig


def plot_members(
    bands: pd.DataFrame,
    marks: pd.DataFrame,
    title: str = "",
    exit_threshold: float | None = None,
) -> Figure:
    """Each member's alignment (mean, 95% band, middle-95% range) with events marked."""
    palette = list(COLOURBLIND)
    with _context(font_scale=0.85):
        fig, axes = subplots(
            2, 3, figsize=(11, 6.5), sharex=True, sharey=True, layout="constrained"
        )
        flat = list(axes.flat)
        used_kinds: set[str] = set()
        for index, name in enumerate(schema.MEMBERS):
            ax = flat[index]
            colour = palette[index % len(palette)]
            data = bands[bands["member"] == name]
            ax.fill_between(
                data["date"],
                data["ci_low"].fillna(data["mean"]),
                data["ci_high"].fillna(data["mean"]),
                color=colour,
                alpha=0.3,
                linewidth=0,
            )
            ax.plot(data["date"], data["mean"], color=colour, linewidth=2)
            ax.plot(data["date"], data["low"], color=colour, linestyle="--", linewidth=0.8)
            ax.plot(data["date"], data["high"], color=colour, linestyle="--", linewidth=0.8)
            ax.axhline(0.5, color="0.6", linewidth=1.0)
            if exit_threshold is not None:
                ax.axhline(exit_threshold, color="0.1", linewidth=1.4)
            own = marks[marks["member"] == name]
            for mark in own.to_dict("records"):
                kind = str(mark["kind"])
                if kind == FREEZE:
                    ax.plot(
                        [mark["date"]],
                        [0.03],
                        marker="X",
                        color="black",
                        linestyle="none",
                        markersize=4 + 8 * float(mark["share"]),
                    )
                elif kind in EVENT_STYLES:
                    ax.axvline(
                        mark["date"], color="0.25", linestyle=EVENT_STYLES[kind][0], linewidth=1.1
                    )
                used_kinds.add(kind)
            ax.set_title(name)
            ax.set_ylim(0, 1)
            # shared axes: only the bottom row and the left column name them
            ax.set_xlabel("Month", visible=index // axes.shape[1] == axes.shape[0] - 1)
            ax.set_ylabel("Alignment (0 exit – 1 loyal)", visible=index % axes.shape[1] == 0)
            ax.tick_params(labelbottom=True)
            _concise_dates(ax)
        if len(bands):
            # half a month either side, so that an event of the first or last month (marked
            # mid-month) stands clear of the panel's edge
            first, last = pd.Timestamp(bands["date"].min()), pd.Timestamp(bands["date"].max())
            flat[0].set_xlim(first - pd.Timedelta(days=31), last + pd.Timedelta(days=16))
        legend_ax = flat[len(schema.MEMBERS)]
        legend_ax.axis("off")
        handles = [
            Line2D([], [], color="0.3", linewidth=2, label="mean over replicates"),
            Line2D([], [], color="0.3", alpha=0.4, linewidth=8, label="95% interval of the mean"),
            Line2D([], [], color="0.3", linestyle="--", label="middle 95% of replicates"),
            Line2D([], [], color="0.6", linewidth=1.0, label="hedging (0.5)"),
        ]
        if exit_threshold is not None:
            handles.append(
                Line2D(
                    [], [], color="0.1", linewidth=1.4, label=f"exit threshold ({exit_threshold:g})"
                )
            )
        for kind, (style, label) in EVENT_STYLES.items():
            if kind in used_kinds:
                handles.append(
                    Line2D([], [], color="0.25", linestyle=style, label=f"{label} (scenario)")
                )
        if FREEZE in used_kinds:
            handles.append(
                Line2D(
                    [],
                    [],
                    color="black",
                    marker="X",
                    linestyle="none",
                    label="participation frozen (size: share of replicates)",
                )
            )
        legend_ax.legend(handles=handles, loc="center", fontsize="small", frameon=False)
        fig.suptitle(title or "Alignment of each member with Russia")
    return fig


def driver_paths(
    cumulative: pd.DataFrame,
    drivers: Sequence[str],
    title: str = "",
    change: str = "alignment_change",
) -> Figure:
    """What pulled and pushed each member: a panel per member, a line per driver, its
    contribution to the member's alignment summed over the months so far (the table of
    :func:`sim.report.drivers.cumulative_drivers`), and, thick and black, their sum, the
    alignment's change since the start; one legend for every panel."""
    from sim.report.story import driver_words

    with _context(font_scale=0.85):
        fig, axes = subplots(
            2, 3, figsize=(12, 7.2), sharex=True, sharey=True, layout="constrained"
        )
        flat = list(axes.flat)
        members = [name for name in schema.MEMBERS if name in set(cumulative["member"])]
        for index, name in enumerate(members):
            ax = flat[index]
            data = cumulative[cumulative["member"] == name]
            ax.axhline(0.0, color="0.55", linewidth=0.9)
            for number, column in enumerate(drivers):
                ax.plot(
                    data["date"],
                    data[column],
                    linewidth=1.5,
                    markersize=3.5,
                    markevery=max(1, len(data) // 6),
                    label=driver_words(column),
                    **style(number),
                )
            ax.plot(
                data["date"],
                data[change],
                color="black",
                linewidth=2.6,
                label="alignment's change since the start (the sum of the lines)",
            )
            ax.set_title(name)
            ax.set_xlabel("Month", visible=index // axes.shape[1] == axes.shape[0] - 1)
            ax.set_ylabel(
                "Contribution to alignment, summed\nover the months so far",
                visible=index % axes.shape[1] == 0,
            )
            ax.tick_params(labelbottom=True)
            _concise_dates(ax)
        legend_ax = flat[len(members)] if len(members) < len(flat) else None
        for ax in flat[len(members) :]:
            ax.axis("off")
        if legend_ax is not None:
            handles, labels = flat[0].get_legend_handles_labels()
            legend_ax.legend(
                handles,
                [textwrap.fill(label, 34) for label in labels],
                loc="center",
                fontsize="small",
                frameon=False,
                title="+ toward Russia, − away (mean over runs)",
                title_fontsize="small",
            )
        fig.suptitle(title or "What pulled and pushed each member")
    return fig


#: Cohesion's parts: words and colour index in :func:`plot_cohesion_parts`.
COHESION_PART_STYLES: Final = {
    "cohesion_alignment": ("from the active members' alignment", 0),
    "cohesion_action": ("from collective action (joint drills, summits)", 2),
    "cohesion_strain": ("taken off by strain between members (zero or less)", 3),
}


def plot_cohesion_parts(parts: pd.DataFrame, title: str = "") -> Figure:
    """What made up cohesion: its three parts over time (means over runs) and, thick and black,
    cohesion itself, their sum (the table of :func:`sim.report.drivers.cohesion_parts`)."""
    with _context(font_scale=0.9):
        fig, ax = subplots(figsize=(9, 5.2), layout="constrained")
        ax.axhline(0.0, color="0.55", linewidth=0.9)
        for column, (label, index) in COHESION_PART_STYLES.items():
            look = style(index)
            ax.plot(
                parts["date"],
                parts[column],
                linewidth=1.8,
                markersize=4,
                markevery=max(1, len(parts) // 8),
                label=label,
                **look,
            )
        ax.plot(
            parts["date"],
            parts["cohesion"],
            color="black",
            linewidth=2.6,
            label="cohesion (the sum of the parts)",
        )
        low = min(-0.05, float(parts[list(COHESION_PART_STYLES)].min().min()) - 0.05)
        ax.set_ylim(low, 1.0)
        ax.set_ylabel("Contribution to cohesion (index 0–1)")
        ax.set_xlabel("Month (state at the start of each month)")
        ax.set_title(title or "What made up cohesion")
        _concise_dates(ax)
        fig.legend(
            *ax.get_legend_handles_labels(),
            loc="outside lower center",
            ncols=2,
            fontsize="small",
            frameon=False,
        )
    return fig


def driver_differences(
    table: pd.DataFrame, names: Sequence[str], change: str = "alignment_change"
) -> Figure:
    """Which drivers differ between scenarios: a panel per member, a bar per driver (and, on
    top, their sum: the alignment's change) and scenario against the baseline (``names[0]``),
    the paired difference of its total over the horizon with its 95% interval; a grey band
    for differences too small to matter (the rows of ``drivers.csv``,
    :func:`sim.results.drivers.driver_differences`)."""
    from sim.report.story import driver_words

    others = [name for name in names[1:] if name in set(table["scenario"])]
    members = [name for name in schema.MEMBERS if name in set(table["member"])]
    rows = [change, *dict.fromkeys(d for d in table["driver"] if str(d).startswith("driver_"))]
    labels = ["alignment's change (the sum)", *(driver_words(str(d)) for d in rows[1:])]
    negligible = float(table["negligible"].max()) if len(table) else 0.0
    shown = table[table["driver"].isin(rows)]
    reach = np.nanmax(
        np.abs(shown[["difference", "ci_low", "ci_high"]].to_numpy(np.float64)), initial=0.0
    )
    reach = max(float(reach), 2 * negligible, 1e-3) * 1.1
    height = 0.8 / max(len(others), 1)
    with _context(font_scale=0.85):
        fig, axes = subplots(
            2,
            3,
            figsize=(12, 0.34 * len(rows) * 2 + 2.2),
            sharex=True,
            sharey=True,
            layout="constrained",
        )
        flat = list(axes.flat)
        positions = np.arange(len(rows), dtype=np.float64)
        for index, member in enumerate(members):
            ax = flat[index]
            if negligible > 0:
                ax.axvspan(-negligible, negligible, color="0.88", zorder=0, linewidth=0)
            ax.axvline(0.0, color="black", linewidth=0.9)
            ax.axhline(0.5, color="0.6", linewidth=0.8)
            for number, name in enumerate(others):
                part = shown[(shown["member"] == member) & (shown["scenario"] == name)]
                part = part.set_index("driver").reindex(rows)
                look = style(number + 1)
                offset = (number - (len(others) - 1) / 2) * height
                values = part["difference"].to_numpy(np.float64)
                low = part["ci_low"].to_numpy(np.float64)
                high = part["ci_high"].to_numpy(np.float64)
                errors = np.vstack([np.nan_to_num(values - low), np.nan_to_num(high - values)])
                ax.barh(
                    positions + offset,
                    values,
                    height=height * 0.9,
                    xerr=errors,
                    color=look["color"],
                    hatch=HATCHES[(number + 1) % len(HATCHES)] or None,
                    edgecolor="0.25",
                    linewidth=0.5,
                    capsize=2,
                    error_kw={"elinewidth": 0.9, "ecolor": "0.15"},
                    label=name,
                )
            ax.set_title(member)
            ax.set_xlim(-reach, reach)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
            formatter = ScalarFormatter(useOffset=False)
            formatter.set_scientific(False)
            ax.xaxis.set_major_formatter(formatter)
            ax.set_yticks(positions, labels)
            ax.set_ylim(len(rows) - 0.5, -0.5)
            ax.tick_params(labelbottom=True)
            ax.set_xlabel(
                f"Difference to {names[0]}",
                visible=index // axes.shape[1] == axes.shape[0] - 1 or index + 3 >= len(members),
            )
        for ax in flat[len(members) :]:
            ax.axis("off")
        if len(members) < len(flat):
            handles: list[Any] = [
                Patch(
                    facecolor=style(number + 1)["color"],
                    hatch=HATCHES[(number + 1) % len(HATCHES)] or None,
                    edgecolor="0.25",
                    label=f"{name} − {names[0]}",
                )
                for number, name in enumerate(others)
            ]
            handles.append(
                Line2D([], [], color="0.15", marker="|", markersize=10, label="paired 95% interval")
            )
            if negligible > 0:
                handles.append(
                    Patch(
                        facecolor="0.88",
                        edgecolor="none",
                        label=f"too small to matter (±{negligible:g}: negligible)",
                    )
                )
            flat[len(members)].legend(
                handles=handles, loc="center", fontsize="small", frameon=False
            )
        fig.suptitle("Each driver's total over the months: scenario minus baseline, run by run")
    return fig


def save(fig: Figure, path: Path) -> None:
    """Save a figure as PNG."""
    fig.savefig(path, dpi=FILE_DPI, metadata={"Software": None})


def member_scenarios(bands: pd.DataFrame, names: Sequence[str]) -> Figure:
    """One panel per member, one line per scenario: mean alignment with its 95% band."""
    with _context():
        fig, axes = subplots(
            2, 3, figsize=(12, 6.8), sharex=True, sharey=True, layout="constrained"
        )
        flat = list(axes.flat)
        for ax, member in zip(flat, schema.MEMBERS, strict=False):
            for index, name in enumerate(names):
                data = bands[(bands["member"] == member) & (bands["scenario"] == name)]
                mean_line(ax, data, index, name, markersize=3)
            ax.set_title(member)
            ax.set_ylim(0, 1)
            ax.set_ylabel("Alignment (0 exit – 1 loyal)")
            ax.set_xlabel("Month")
            format_months(ax)
        flat[-1].axis("off")
        handles, labels = flat[0].get_legend_handles_labels()
        flat[-1].legend(handles, labels, loc="center", title="scenario (mean, 95% band)")
    return fig
