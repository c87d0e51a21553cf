"""What every report figure must be: labelled axes, months as dates, series that differ by more
than colour (readable printed in greyscale), a colour-blind-safe palette."""

from __future__ import annotations

import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib.figure import Figure
from sweep_fixture import CAPACITY, OTHER, THIRD, design_points, outcomes

from sim.report import figures
from sim.report import run as run_report
from sim.report import sweep as sweep_report
from sim.results.outcomes import REGISTRY
from sim.scenario import schema

MONTH = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}$")
DATES = pd.date_range("2022-10-01", periods=13, freq="MS")


def _band(**keys: object) -> pd.DataFrame:
    mean = np.linspace(0.8, 0.5, len(DATES))
    frame = pd.DataFrame(
        {
            "date": DATES,
            "step": range(len(DATES)),
            "n": 10,
            "mean": mean,
            "ci_low": mean - 0.03,
            "ci_high": mean + 0.03,
            "low": mean - 0.2,
            "high": mean + 0.1,
        }
    )
    return frame.assign(**keys)


def _visible_axes(fig: Figure) -> list[plt.Axes]:
    return [ax for ax in fig.axes if ax.axison and ax.get_label() != "<colorbar>"]


def _check_labels(fig: Figure) -> None:
    fig.canvas.draw()
    for ax in _visible_axes(fig):
        if not ax.get_lines() and not ax.collections and not ax.patches:
            continue
        assert ax.get_xlabel().strip(), f"unlabelled x axis in {ax.get_title()!r}"
    assert any(ax.get_ylabel().strip() for ax in _visible_axes(fig)), "no y label"


def _check_months(fig: Figure) -> None:
    fig.canvas.draw()
    labels = [t.get_text() for ax in _visible_axes(fig) for t in ax.get_xticklabels()]
    shown = [label for label in labels if label]
    assert shown and all(MONTH.match(label) for label in shown), shown


def _check_greyscale(fig: Figure) -> None:
    """Within each panel, lines with their own label differ by line style or marker."""
    for ax in _visible_axes(fig):
        looks = [
            (str(line.get_linestyle()), str(line.get_marker()))
            for line in ax.get_lines()
            if not line.get_label().startswith("_")
        ]
        assert len(looks) == len(set(looks)), f"series alike in greyscale: {looks}"


def test_styles_differ_without_colour_and_use_the_colour_blind_palette() -> None:
    looks = [(str(figures.style(i)["linestyle"]), figures.style(i)["marker"]) for i in range(6)]
    assert len(set(looks)) == 6
    assert figures.style(0)["color"] == sns.color_palette("colorblind")[0]


def test_member_lines() -> None:
    band = pd.concat([_band(member=name) for name in schema.MEMBERS], ignore_index=True)
    fig = figures.member_lines({"trust": band, "dependence": band}, {"trust": "Trust (0–1)"})
    _check_labels(fig)
    _check_months(fig)
    _check_greyscale(fig)
    plt.close(fig)


def test_timeline() -> None:
    events = pd.DataFrame(
        {
            "replicate": [0, 1, 0, 0, 1],
            "date": ["2022-10", "2022-10", "2023-02", "2022-10", "2022-10"],
            "kind": [
                "clash",
                "clash",
                "participation_frozen",
                "security_pledge",
                "security_pledge",
            ],
            "origin": ["scenario", "scenario", "model", "scenario", "scenario"],
        }
    )
    table = run_report.event_timeline(events, replicates=2)
    frozen = table[table["kind"] == "participation_frozen"].iloc[0]
    assert (frozen["share"], frozen["mean"], frozen["origin"]) == (0.5, 0.5, "model")
    fig = figures.timeline(table)
    _check_labels(fig)
    _check_months(fig)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == [
        "security pledge by an outside power",
        "clash",
        "participation frozen",
    ]
    plt.close(fig)


@pytest.mark.slow
def test_compare_figures() -> None:
    names = ["base", "other"]
    bands = pd.concat([_band(scenario=name) for name in names], ignore_index=True)
    for fig in (
        figures.compare_trajectories(bands, names),
        figures.compare_differences(bands.assign(mean=bands["mean"] - 0.5), names),
    ):
        _check_labels(fig)
        _check_months(fig)
        _check_greyscale(fig)
        plt.close(fig)
    table = pd.DataFrame(
        {
            "outcome": ["final_cohesion", "min_cohesion"],
            "scenario": ["other", "other"],
            "difference": [-0.1, 0.02],
            "ci_low": [-0.12, -0.01],
            "ci_high": [-0.08, 0.05],
        }
    )
    fig = figures.forest(table)
    _check_labels(fig)
    plt.close(fig)


def test_threshold_curve() -> None:
    curve = pd.DataFrame(
        {"capacity": np.linspace(0, 1, 11), "n": 5, "mean": np.linspace(0.3, 0.8, 11)}
    ).assign(
        ci_low=lambda f: f["mean"] - 0.02,
        ci_high=lambda f: f["mean"] + 0.02,
        low=lambda f: f["mean"] - 0.1,
        high=lambda f: f["mean"] + 0.1,
    )
    fig = figures.threshold_curve(curve, 0.5, 0.4, (0.38, 0.42), "final cohesion (0–1)")
    _check_labels(fig)
    assert "Russia's capacity" in fig.axes[0].get_xlabel()
    plt.close(fig)


@pytest.mark.parametrize("design", ["grid", "lhs"])
@pytest.mark.slow
def test_sweep_figures(design: str) -> None:
    parameters = [CAPACITY, OTHER, THIRD]
    points = design_points(design, parameters, 4 if design == "grid" else 200)
    runs = REGISTRY.derived(outcomes(points, parameters, 3, seed=1))
    curves = {p: sweep_report.response(runs, p, "final_cohesion") for p in parameters}
    crossing = sweep_report.sweep_crossing(curves[CAPACITY], CAPACITY, "final_cohesion", 0.5)
    drawn = [
        figures.responses(curves, "final_cohesion", crossing, 0.5),
        figures.member_responses(
            {p: {"Belarus": curves[p], "Armenia": curves[p]} for p in parameters}
        ),
        figures.heatmaps(
            {(CAPACITY, OTHER): sweep_report.heatmap(runs, CAPACITY, OTHER, "final_cohesion")},
            "final_cohesion",
        ),
    ]
    for fig in drawn:
        _check_labels(fig)
        plt.close(fig)
    assert figures.parameter_label(CAPACITY).startswith("Russia's capacity")
    assert "(0–1)" in figures.parameter_label(CAPACITY)


def test_sensitivity_figures() -> None:
    sobol = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "S1": [0.7, 0.2],
            "S1_conf": [0.05, 0.04],
            "ST": [0.75, 0.25],
            "ST_conf": [0.05, 0.05],
        }
    )
    morris = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "mu_star": [0.5, 0.1],
            "mu_star_conf": [0.02, 0.01],
            "sigma": [0.1, 0.05],
        }
    )
    for fig in (
        figures.sobol_bars(sobol, "final_cohesion"),
        figures.morris_scatter(morris, "final_cohesion"),
    ):
        _check_labels(fig)
        plt.close(fig)
