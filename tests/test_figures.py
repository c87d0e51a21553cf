"""Figures: the data behind each plot is tested apart from the drawing."""

from __future__ import annotations

import matplotlib
import matplotlib.dates as mdates
import pandas as pd
import pytest

from sim.report import figures
from sim.report import run as run_report
from sim.results.replicates import ReplicateSet, run_replicates
from sim.scenario import load, schema

#: Mechanisms under which members exit within a year and a half (a stance under hedging counts
#: as turned, no loyalty, one unanswered voice act, a weak pull to stay).
QUICK_EXIT = {
    "mechanisms.exit_threshold": 0.5,
    "mechanisms.loyalty": 0.0,
    "mechanisms.voice_before_exit": 1,
    "mechanisms.weight_regime": 0.5,
    "mechanisms.weight_lockin": 0.5,
}


@pytest.fixture(scope="module")
def runs() -> ReplicateSet:
    return run_replicates("baseline-2022", seed=11, replicates=5, steps=12)


@pytest.fixture(scope="module")
def fragile() -> ReplicateSet:
    scenario = load("second-mobilisation").with_values(QUICK_EXIT, origin="test")
    return run_replicates(scenario, seed=3, replicates=4, steps=18)


def test_backend_is_non_interactive() -> None:
    assert matplotlib.get_backend().lower() == "agg"


def test_cohesion_band_has_one_row_per_step_over_replicates(runs: ReplicateSet) -> None:
    band = run_report.cohesion_band(runs.timeseries)
    assert band["step"].tolist() == list(range(13))
    assert (band["n"] == 5).all(), "alliance values repeat per member: count replicates once"
    alliance = runs.timeseries.drop_duplicates(["replicate", "step"])
    expected = alliance.groupby("step")["cohesion"].mean()
    assert band["mean"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (band["ci_low"] <= band["mean"] + 1e-12).all()
    assert (band["mean"] <= band["ci_high"] + 1e-12).all()
    assert (band["low"] <= band["high"]).all()
    assert band["date"].iloc[0] == pd.Timestamp("2022-09-01")
    assert band["date"].iloc[-1] == pd.Timestamp("2023-09-01")
    assert band["capacity"].iloc[0] == pytest.approx(0.5)


def test_member_bands_per_member_and_step(runs: ReplicateSet) -> None:
    bands = run_report.member_bands(runs.timeseries)
    assert len(bands) == len(schema.MEMBERS) * 13
    assert list(bands["member"].drop_duplicates()) == list(schema.MEMBERS)
    armenia = bands[(bands["member"] == "Armenia") & (bands["step"] == 12)].iloc[0]
    final = runs.timeseries[
        (runs.timeseries["member"] == "Armenia") & (runs.timeseries["step"] == 12)
    ]
    assert armenia["mean"] == pytest.approx(final["alignment"].mean())


def test_event_marks_show_scenario_events_on_each_member_concerned(runs: ReplicateSet) -> None:
    marks = run_report.event_marks(runs.events, runs.replicates)
    rows = {(m.member, m.kind, m.counterpart) for m in marks.itertuples()}
    assert rows == {
        ("Kyrgyzstan", "clash", "Tajikistan"),
        ("Tajikistan", "clash", "Kyrgyzstan"),
        ("Armenia", "appeal_ignored", "Azerbaijan"),
        ("Kazakhstan", "security_pledge", "China"),
        *((name, "mobilisation_shock", "Russia") for name in schema.MEMBERS),
    }
    assert (marks["date"] == pd.Timestamp("2022-09-15")).all(), "mid-month of September 2022"
    assert (marks["share"] == 1.0).all()


def test_event_marks_include_freezes_and_russias_events(fragile: ReplicateSet) -> None:
    marks = run_report.event_marks(fragile.events, fragile.replicates)
    shock = marks[marks["kind"] == "mobilisation_shock"]
    # the baseline's September 2022 mobilisation and the scenario's second, each on every panel
    months = [pd.Timestamp("2022-09-15"), pd.Timestamp("2023-01-15")]
    assert sorted(shock["date"].unique()) == months
    for _, month in shock.groupby("date"):
        assert sorted(month["member"]) == sorted(schema.MEMBERS)
    frozen = marks[marks["kind"] == "participation_frozen"]
    assert len(frozen) > 0
    events = fragile.events[fragile.events["kind"] == "participation_frozen"]
    assert frozen["share"].sum() * fragile.replicates == pytest.approx(len(events))


def test_cohesion_figure_is_labelled_with_units_and_dates(runs: ReplicateSet, tmp_path) -> None:  # type: ignore[no-untyped-def]
    fig = figures.plot_cohesion(run_report.cohesion_band(runs.timeseries), title="test")
    (ax,) = fig.axes
    assert ax.get_ylabel() == "Cohesion index (0–1)"
    assert "Month" in ax.get_xlabel()
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any("95% interval of the mean" in label for label in labels)
    assert any("capacity" in label for label in labels)
    styles = {line.get_linestyle() for line in ax.get_lines()}
    assert len(styles) >= 3, "series differ by line style, not only colour"
    figures.save(fig, tmp_path / "cohesion.png")
    assert (tmp_path / "cohesion.png").read_bytes()[:4] == b"\x89PNG"


def test_members_figure_has_a_panel_per_member_with_events(runs: ReplicateSet) -> None:
    fig = figures.plot_members(
        run_report.member_bands(runs.timeseries),
        run_report.event_marks(runs.events, runs.replicates),
        exit_threshold=0.25,
    )
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in titled] == list(schema.MEMBERS)
    kyrgyzstan = titled[schema.MEMBERS.index("Kyrgyzstan")]
    assert kyrgyzstan.get_ylabel() == "Alignment (0 exit – 1 loyal)"
    clash_style = figures.EVENT_STYLES["clash"][0]
    vertical = [line for line in kyrgyzstan.get_lines() if len(set(line.get_xdata())) == 1]
    assert any(line.get_linestyle() == clash_style for line in vertical)
    legend = fig.axes[len(schema.MEMBERS)].get_legend()
    labels = [text.get_text() for text in legend.get_texts()]
    assert "clash (scenario)" in labels
    assert "exit threshold (0.25)" in labels


def test_event_line_styles_are_distinct_for_greyscale() -> None:
    styles = [repr(style) for style, _ in figures.EVENT_STYLES.values()]
    assert len(set(styles)) == len(styles)


def test_seaborn_palette_style_and_sizes_are_kept_without_seaborn() -> None:
    import seaborn as sns

    assert tuple(sns.color_palette("colorblind")) == figures.COLOURBLIND
    assert figures.palette() == list(sns.color_palette("colorblind"))
    style = dict(sns.axes_style("whitegrid"))
    assert style.pop("image.cmap") == "rocket"  # registered by seaborn only; figures name theirs
    assert style == figures.WHITEGRID
    for scale in (0.85, 0.9, 1.0):
        assert figures.notebook(scale) == dict(sns.plotting_context("notebook", font_scale=scale))


def test_members_figure_names_shared_axes_on_the_outer_panels_only(runs: ReplicateSet) -> None:
    fig = figures.plot_members(
        run_report.member_bands(runs.timeseries),
        run_report.event_marks(runs.events, runs.replicates),
    )
    panels = fig.axes[: len(schema.MEMBERS)]  # a 2 x 3 grid: three members, then two
    assert [ax.xaxis.label.get_visible() for ax in panels] == [False] * 3 + [True] * 2
    assert [ax.yaxis.label.get_visible() for ax in panels] == [True, False, False, True, False]
    assert {ax.get_xlabel() for ax in panels} == {"Month"}
