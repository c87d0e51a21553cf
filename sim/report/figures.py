"""Figures of a replicate set, each in two parts: the data (tested) and its drawing.

* :func:`cohesion_band` -> :func:`plot_cohesion`: cohesion over time, the mean over replicates
  with its 95% confidence band and the range of the middle 95% of replicates, beside Russia's
  capacity.
* :func:`member_bands` and :func:`event_marks` -> :func:`plot_members`: each member's alignment
  in small multiples, with scenario-given events and freezes marked.

Dates on the x axis are real months: a time-series row at step ``s`` is the state at the end
of the ``s``-th month (its ``date`` is the first day of the next month); an event is marked in
the middle of the month it happened in. Colours come from seaborn's colour-blind palette and
every series also differs by line style or marker, so the figures read in greyscale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.results.replicates import describe
from sim.scenario import schema

matplotlib.rcParams["text.parse_math"] = False  # text given by a user is never markup

#: Line style of each kind of marked event (greyscale-safe: no two share a style).
EVENT_STYLES: Final[dict[str, tuple[Any, str]]] = {
    "clash": ("--", "clash"),
    "appeal_answered": ("-.", "appeal answered"),
    "appeal_ignored": ((0, (3, 1, 1, 1, 1, 1)), "appeal ignored"),
    "coercion": (":", "coercion / pipeline suspension"),
    "security_pledge": ((0, (1, 1)), "security pledge"),
    "mobilisation_shock": ("-", "mobilisation shock"),
}
FREEZE_KIND: Final = "participation_frozen"
DPI: Final = 150


def _dates(labels: pd.Series) -> pd.Series:
    return pd.to_datetime(labels, format="%Y-%m-%d")


def _alliance_rows(timeseries: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate and step (alliance values repeat on each member's row)."""
    return timeseries.drop_duplicates(["replicate", "step"])


def cohesion_band(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Cohesion per step over replicates: ``step``, ``date`` (a timestamp), ``n``, ``mean``,
    ``ci_low``/``ci_high`` (95% interval of the mean), ``low``/``high`` (middle 95% of
    replicates), and ``capacity`` (Russia's, the mean over replicates)."""
    alliance = _alliance_rows(timeseries)
    band = describe(alliance, "cohesion", by=["step", "date"])
    capacity = alliance.groupby("step", sort=True)["capacity"].mean()
    band["capacity"] = band["step"].map(capacity)
    band["date"] = _dates(band["date"])
    return band


def member_bands(timeseries: pd.DataFrame, column: str = "alignment") -> pd.DataFrame:
    """A member column per member and step over replicates, as :func:`cohesion_band`,
    with ``member`` first; members in the schema's order."""
    band = describe(timeseries, column, by=["member", "step", "date"])
    order = {name: index for index, name in enumerate(schema.MEMBERS)}
    band = band.sort_values(
        ["member", "step"], key=lambda c: c.map(order) if c.name == "member" else c
    )
    band["date"] = _dates(band["date"])
    return band.reset_index(drop=True)


def event_marks(events: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Events to mark on the members' panels: scenario-given events and freezes.

    One row per member, month, kind and counterpart: ``member``, ``date`` (mid-month
    timestamp), ``kind``, ``counterpart``, ``share`` (of replicates in which it happened). A
    clash is marked on both members' panels; an event of Russia's (mobilisation) on every panel.
    """
    chosen = events[(events["origin"] == "scenario") | (events["kind"] == FREEZE_KIND)]
    rows: list[dict[str, object]] = []
    for event in chosen.to_dict("records"):
        kind, member, counterpart = (
            str(event["kind"]),
            str(event["member"]),
            str(event["counterpart"]),
        )
        if member not in schema.MEMBERS:  # Russia's own events concern every member
            panels = [(name, member) for name in schema.MEMBERS]
        elif kind == "clash" and counterpart in schema.MEMBERS:
            panels = [(member, counterpart), (counterpart, member)]
        else:
            panels = [(member, counterpart)]
        for target, other in panels:
            rows.append(
                {
                    "member": target,
                    "month": str(event["date"]),
                    "kind": kind,
                    "counterpart": other,
                    "replicate": int(event["replicate"]),
                }
            )
    columns = ["member", "date", "kind", "counterpart", "share"]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    table = pd.DataFrame(rows)
    keys = ["member", "month", "kind", "counterpart"]
    marks = table.groupby(keys, sort=True)["replicate"].nunique().reset_index()
    marks["share"] = marks["replicate"] / replicates
    marks["date"] = pd.to_datetime(marks["month"] + "-15", format="%Y-%m-%d")
    return marks[columns].reset_index(drop=True)


# --- drawing ---------------------------------------------------------------------------------


def _format_dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    )


def plot_cohesion(band: pd.DataFrame, title: str = "") -> Figure:
    """Cohesion over time: mean line, 95% band of the mean, middle-95% range, capacity."""
    palette = sns.color_palette("colorblind")
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.9):
        fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
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
        sns.lineplot(
            data=band,
            x="date",
            y="mean",
            ax=ax,
            color=palette[0],
            linewidth=2,
            marker="o",
            markersize=3,
            label=f"cohesion, mean of {replicates} replicates",
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
        sns.lineplot(
            data=band,
            x="date",
            y="capacity",
            ax=ax,
            color=palette[3],
            linestyle=":",
            linewidth=2,
            label="Russia's capacity for the region (share of pre-war)",
        )
        ax.set_ylim(0, 1)
        ax.set_ylabel("Cohesion index (0–1)")
        ax.set_xlabel("Month (state at the start of each month)")
        ax.set_title(title or "Alliance cohesion")
        _format_dates(ax)
        ax.legend(loc="lower left", fontsize="small", frameon=True)
    return fig


def plot_members(
    bands: pd.DataFrame,
    marks: pd.DataFrame,
    title: str = "",
    exit_threshold: float | None = None,
) -> Figure:
    """Each member's alignment (mean, 95% band, middle-95% range) with events marked."""
    palette = sns.color_palette("colorblind")
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        fig, axes = plt.subplots(
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
            sns.lineplot(data=data, x="date", y="mean", ax=ax, color=colour, linewidth=2)
            ax.plot(data["date"], data["low"], color=colour, linestyle="--", linewidth=0.8)
            ax.plot(data["date"], data["high"], color=colour, linestyle="--", linewidth=0.8)
            ax.axhline(0.5, color="0.6", linewidth=1.0)
            if exit_threshold is not None:
                ax.axhline(exit_threshold, color="0.1", linewidth=1.4)
            own = marks[marks["member"] == name]
            for mark in own.to_dict("records"):
                kind = str(mark["kind"])
                if kind == FREEZE_KIND:
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
            ax.set_xlabel("Month")
            ax.set_ylabel("Alignment (0 exit – 1 loyal)")
            ax.tick_params(labelbottom=True)
            _format_dates(ax)
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
        if FREEZE_KIND in used_kinds:
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


def save(fig: Figure, path: Path) -> None:
    """Save a figure as PNG and release it."""
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
