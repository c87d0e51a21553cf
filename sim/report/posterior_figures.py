"""The figures of the reports on the posterior: a forecast's probabilities and cohesion band by
half-year (:func:`forecast_probabilities`, :func:`forecast_cohesion`) and the Sobol indices of
the headline outcomes (:func:`sensitivity_heatmap`).

Like :mod:`sim.report.figures` (whose conventions they share: the colour-blind palette, a line
style and marker per series, greyscale-safe bands), they draw tables computed and tested
elsewhere (:mod:`sim.report.forecast`, :mod:`sim.report.sensitivity`) and compute nothing.
They are drawn on a plain :class:`~matplotlib.figure.Figure` (no pyplot state).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.report.figures import _context, palette, style

#: Panels of the probability figure: each member's voice and exit, then the drills.
PROBABILITY_WIDTH: Final = 11.0


def period_labels(periods: Sequence[tuple[str, str]]) -> list[str]:
    """ "Oct 22–Mar 23" for a half-year given as ("2022-10", "2023-03")."""

    def short(month: str) -> str:
        return f"{calendar.month_abbr[int(month[5:7])]} {month[2:4]}"

    return [f"{short(start)}–\n{short(end)}" for start, end in periods]


def forecast_probabilities(
    probabilities: pd.DataFrame, periods: Sequence[tuple[str, str]], title: str = ""
) -> Figure:
    """One panel per member (its voice and exit probability by half-year) and one for the
    drills (the chance at least one is held): the model's lines with their Monte-Carlo 95%
    intervals, persistence's as thin dashed lines.

    ``probabilities`` has ``quantity``, ``subject``, ``period`` (index into ``periods``),
    ``model``, ``model_se`` and ``persistence``.
    """
    subjects = list(dict.fromkeys(probabilities["subject"]))
    count = len(subjects)
    columns = 3
    rows = -(-count // columns)
    x = np.arange(len(periods))
    labels = period_labels(periods)
    colours = palette()
    looks: dict[str, tuple[Any, Any, str, str]] = {
        "voice": (colours[0], "-", "o", "voice action in the half-year"),
        "exit": (colours[3], "--", "s", "exited by the half-year's end"),
        "drills_held": (colours[2], "-.", "^", "at least one drill held"),
    }
    with _context():
        fig = Figure(figsize=(PROBABILITY_WIDTH, 3.1 * rows), layout="constrained")
        axes = fig.subplots(rows, columns, sharey=True, squeeze=False).ravel()
        for ax, subject in zip(axes, subjects, strict=False):
            mine = probabilities[probabilities["subject"] == subject]
            for quantity, rows_of in mine.groupby("quantity", sort=False):
                colour, linestyle, marker, _label = looks[str(quantity)]
                ordered = rows_of.sort_values("period")
                model = ordered["model"].to_numpy(np.float64)
                half = 1.96 * ordered["model_se"].fillna(0.0).to_numpy(np.float64)
                ax.fill_between(
                    x, model - half, model + half, color=colour, alpha=0.25, linewidth=0
                )
                ax.plot(x, model, color=colour, linestyle=linestyle, marker=marker, linewidth=1.8)
                ax.plot(
                    x,
                    ordered["persistence"].to_numpy(np.float64),
                    color=colour,
                    linestyle=(0, (1, 1.5)),
                    marker=marker,
                    markerfacecolor="white",
                    linewidth=1.0,
                )
            ax.set_title(subject)
            ax.set_ylim(-0.03, 1.03)
            ax.set_xticks(x, labels, fontsize="x-small")
        for ax in axes[count:]:
            ax.set_visible(False)
        for ax in axes[::columns]:
            ax.set_ylabel("probability")
        handles: list[Artist] = [
            Line2D([], [], color=colour, linestyle=linestyle, marker=marker, label=label)
            for colour, linestyle, marker, label in looks.values()
        ]
        handles.append(
            Line2D(
                [],
                [],
                color="0.3",
                linestyle=(0, (1, 1.5)),
                marker="o",
                markerfacecolor="white",
                label="persistence (origin month carried forward)",
            )
        )
        handles.append(Patch(facecolor="0.6", alpha=0.4, label="Monte-Carlo 95% interval"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize="small")
        fig.suptitle(title or "Forecast probabilities by half-year")
    return fig


def forecast_cohesion(
    band: pd.DataFrame, periods: Sequence[tuple[str, str]], title: str = ""
) -> Figure:
    """Cohesion at each half-year's end: the model's 5-95% and 25-75% bands and median, beside
    persistence's (the origin month's distribution, the same at every half-year).

    ``band`` has ``period`` and the model's and persistence's ``q05`` ... ``q95`` as
    ``model_q05``, ``persistence_q05``, ...
    """
    x = np.arange(len(periods))
    look = style(0)
    carried = style(1)
    with _context():
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        ax = fig.subplots()
        ordered = band.sort_values("period")
        ax.fill_between(
            x, ordered["model_q05"], ordered["model_q95"], color=look["color"], alpha=0.2, lw=0
        )
        ax.fill_between(
            x, ordered["model_q25"], ordered["model_q75"], color=look["color"], alpha=0.4, lw=0
        )
        ax.plot(x, ordered["model_q50"], color=look["color"], marker="o", linewidth=2)
        for column, line in (("q05", (0, (2, 2))), ("q50", "-."), ("q95", (0, (2, 2)))):
            ax.plot(
                x,
                ordered[f"persistence_{column}"],
                color=carried["color"],
                linestyle=line,
                linewidth=1.2,
            )
        ax.set_xticks(x, period_labels(periods), fontsize="small")
        ax.set_ylim(0, 1)
        ax.set_ylabel("cohesion at the half-year's end (0–1)")
        ax.set_xlabel("half-year")
        handles = [
            Line2D([], [], color=look["color"], marker="o", linewidth=2, label="model: median"),
            Patch(facecolor=look["color"], alpha=0.4, label="model: middle 50% of runs"),
            Patch(facecolor=look["color"], alpha=0.2, label="model: middle 90% of runs"),
            Line2D([], [], color=carried["color"], linestyle="-.", label="persistence: median"),
            Line2D(
                [],
                [],
                color=carried["color"],
                linestyle=(0, (2, 2)),
                label="persistence: 5% and 95%",
            ),
        ]
        ax.legend(handles=handles, fontsize="small", loc="best")
        ax.set_title(title or "Cohesion by half-year")
    return fig


def sensitivity_heatmap(
    matrix: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame, title: str = ""
) -> Figure:
    """Total Sobol indices: one row per headline outcome, one column per parameter (those that
    matter most), each cell its index and 95% interval.

    ``matrix``, ``low`` and ``high`` are outcomes x parameters (index and columns labels).
    """
    rows, columns = matrix.shape
    with _context():
        fig = Figure(
            figsize=(max(7.0, 0.62 * columns + 4.5), 0.42 * rows + 3.2), layout="constrained"
        )
        ax = fig.subplots()
        values = matrix.to_numpy(np.float64)
        lows, highs = low.to_numpy(np.float64), high.to_numpy(np.float64)
        image = ax.imshow(
            np.nan_to_num(values, nan=0.0), cmap="cividis", vmin=0.0, vmax=1.0, aspect="auto"
        )
        for i in range(rows):
            for j in range(columns):
                value = float(values[i, j])
                if np.isnan(value):
                    text = "–"
                else:
                    bounds = lows[i, j], highs[i, j]
                    text = f"{value:.2f}\n{bounds[0]:.2f}–{bounds[1]:.2f}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if np.nan_to_num(value) < 0.55 else "black",
                )
        ax.set_xticks(np.arange(columns), list(matrix.columns), rotation=60, ha="right")
        ax.set_yticks(np.arange(rows), list(matrix.index))
        ax.tick_params(labelsize="small")
        ax.grid(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.8)
        bar.set_label("total Sobol index ST (share of variance)")
        ax.set_title(title or "What each headline outcome rests on")
    return fig
