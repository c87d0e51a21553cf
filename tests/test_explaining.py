"""What reports say and why, computed apart from drawing and checked against the files: the
verdict on a difference (honest wording), one replicate's story, the fan chart's bands, the
critical capacity in context, heatmaps that are noise, and sensitivity per member outcome."""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.report import compare as compare_report
from sim.report import prose
from sim.report import run as run_report
from sim.report import story as story_report
from sim.report import sweep as sweep_report
from sim.report import threshold as threshold_report
from sim.results.compare import differences
from sim.results.folder import read
from sim.results.replicates import run_replicates
from sim.results.run import event_month, write_replicates
from sim.results.threshold import CapacityContext, Threshold, capacity_context, check_level
from sim.scenario import load, schema
from sim.stats import CLEAR, NEGLIGIBLE, NO_DIFFERENCE, UNCLEAR, verdict

FRAGILE = Path(__file__).resolve().parent / "data" / "reports" / "fragile.toml"


# --- honest wording ---------------------------------------------------------------------------


@given(
    difference=st.floats(-1, 1),
    half=st.floats(0, 0.5),
    negligible=st.floats(0.001, 0.1),
)
def test_a_difference_below_what_matters_is_never_called_clear(
    difference: float, half: float, negligible: float
) -> None:
    kind = verdict(
        difference, difference - half, difference + half, identical=False, negligible=negligible
    )
    if abs(difference) < negligible:
        assert kind in (NEGLIGIBLE, UNCLEAR)
    if kind == CLEAR:
        assert abs(difference) >= negligible and (difference - half > 0 or difference + half < 0)
    if kind == NEGLIGIBLE:
        assert abs(difference) < negligible


def test_verdicts_on_the_trial_s_differences() -> None:
    # the trial's "not an accident of the draws" for -0.002 (-0.002 to -0.001) is negligible
    assert verdict(-0.002, -0.002, -0.001, identical=False, negligible=0.01) == NEGLIGIBLE
    assert verdict(-0.040, -0.043, -0.038, identical=False, negligible=0.01) == CLEAR
    assert verdict(0.0, 0.0, 0.0, identical=True, negligible=0.01) == NO_DIFFERENCE
    assert verdict(0.004, -0.02, 0.03, identical=False, negligible=0.01) == UNCLEAR
    assert verdict(0.001, -0.003, 0.004, identical=False, negligible=0.01) == NEGLIGIBLE


def _summary(values: dict[str, list[float]], outcome: str) -> pd.DataFrame:
    rows = []
    for scenario, series in values.items():
        for replicate, value in enumerate(series):
            rows.append(
                {
                    "scenario": scenario,
                    "replicate": replicate,
                    "seed": 100 + replicate,
                    outcome: value,
                }
            )
    return pd.DataFrame(rows)


def test_compare_words_negligible_identical_and_clear_differences_and_what_intervals_cover() -> (
    None
):
    base = [0.60, 0.55, 0.70, 0.65, 0.50, 0.58]
    frame = _summary({"base": base, "tiny": [v - 0.002 for v in base]}, "final_cohesion")
    frame["final_alignment_Armenia"] = [0.4] * 6 + [0.36, 0.36, 0.35, 0.37, 0.36, 0.36]
    frame["froze_Armenia"] = 0.0
    table = differences(
        frame, ["base", "tiny"], ["final_cohesion", "final_alignment_Armenia", "froze_Armenia"]
    )
    assert list(table["verdict"]) == [NEGLIGIBLE, CLEAR, NO_DIFFERENCE]
    assert list(table["covers"]) == ["draws"] * 3
    assert list(table["negligible"]) == [0.01] * 3
    sentences = compare_report.compare_sentences(table, "base")
    assert sentences[0].startswith("tiny: mean final alignment of Armenia 0.36 against 0.40")
    assert "paired 95% interval over the random draws (seeds) of the replicates" in sentences[0]
    assert "not an accident of the draws" in sentences[0]
    assert sentences[1] == (
        "tiny: negligible differences from base, below the 0.01 on a 0–1 scale that matters "
        "(even where the paired interval excludes zero): final cohesion (-0.002)."
    )
    assert sentences[2] == (
        "tiny: no difference from base in any replicate in share of runs in which Armenia froze "
        "its participation (exit)."
    )
    lines = compare_report.compare_text_table(table, "base")
    assert lines[0].startswith("tiny against base, 6 paired replicates (paired 95% intervals over")
    assert any(
        line.split()[0] == "froze_Armenia" and line.endswith("no difference") for line in lines
    )
    assert prose.covers_words("draws and parameters") == (
        "over the random draws and the uncertainty of the parameters"
    )


# --- a run's story and fan chart, from its files -----------------------------------------------


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = run_replicates(load(FRAGILE), seed=4, replicates=5, steps=14)
    folder = tmp_path_factory.mktemp("run") / "fragile"
    write_replicates(runs, folder, command=["test"], started="now", figures=False)
    return folder


def test_events_csv_numbers_are_rounded(run_folder: Path) -> None:
    text = (run_folder / "events.csv").read_text()
    numbers = [cell for line in text.splitlines()[1:] for cell in line.split(",")[9:12]]
    assert numbers and all(len(cell.partition(".")[2]) <= 6 for cell in numbers)


def test_the_typical_replicate_is_the_one_nearest_the_mean_cohesion_path(run_folder: Path) -> None:
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    paths = timeseries[timeseries["member"] == schema.MEMBERS[0]].pivot(
        index="replicate", columns="step", values="cohesion"
    )
    distances = ((paths.to_numpy() - paths.to_numpy().mean(axis=0)) ** 2).sum(axis=1)
    assert story_report.typical_replicate(timeseries) == int(np.argmin(distances))


def test_a_story_tells_every_event_of_its_replicate_in_its_month_with_the_numbers(
    run_folder: Path,
) -> None:
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    events = pd.read_csv(run_folder / "events.csv")
    replicate = 2
    told = story_report.story(timeseries, events, replicate, "2022-10").set_index("step")
    own = events[events["replicate"] == replicate]
    assert len(own), "the fixture should have events"
    for event in own.to_dict("records"):
        text = told.at[int(event["step"]), "text"]
        assert text.startswith(prose.month_words(event_month("2022-10", int(event["step"]))))
        assert str(event["explanation"]) in text
    series = timeseries[timeseries["replicate"] == replicate].set_index(["step", "member"])
    for event in own[own["member"].isin(schema.MEMBERS)].to_dict("records"):
        step, member = int(event["step"]), str(event["member"])
        before = series.at[(step - 1, member), "alignment"]
        after = series.at[(step, member), "alignment"]
        assert f"{member}: alignment {before:.2f} → {after:.2f}" in told.at[step, "text"]
    assert list(told["events"]) == [int((own["step"] == s).sum()) for s in told.index]
    with pytest.raises(ValueError, match="replicate 99 is not in the results"):
        story_report.story(timeseries, events, 99, "2022-10")


def test_a_story_names_the_strongest_driver_when_the_series_records_drivers(
    run_folder: Path,
) -> None:
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    events = pd.read_csv(run_folder / "events.csv")
    # drivers as Model v2 will record them: one column per motive
    timeseries["driver_fear"] = -0.004
    timeseries["driver_outside_options"] = np.where(timeseries["member"] == "Armenia", -0.05, 0.001)
    told = " ".join(story_report.story(timeseries, events, 0, "2022-10")["text"])
    assert "outside options pulled it down most (-0.050)" in told
    armenia = re.findall(r"Armenia: alignment [^;]*?most \([-+0-9.]+\)", told)
    assert armenia and all("outside options pulled it down most" in part for part in armenia)
    assert story_report.driver_words("driver_regime_guarantee") == "regime guarantee"


def test_fan_bands_are_quantiles_of_the_replicates_over_the_draws(run_folder: Path) -> None:
    timeseries = pd.read_parquet(run_folder / "timeseries.parquet")
    panels = run_report.fan_panels(timeseries)
    assert list(panels) == [
        "Cohesion of the alliance",
        *(f"Alignment of {name}" for name in schema.MEMBERS),
    ]
    cohesion = panels["Cohesion of the alliance"]
    assert set(cohesion["covers"]) == {"draws"}
    assert sorted(set(cohesion["level"])) == [0.5, 0.8, 0.95]
    values = timeseries[(timeseries["member"] == "Belarus") & (timeseries["step"] == 7)]["cohesion"]
    row = cohesion[(cohesion["step"] == 7) & (cohesion["level"] == 0.8)].iloc[0]
    assert row["low"] == pytest.approx(np.quantile(values, 0.1))
    assert row["high"] == pytest.approx(np.quantile(values, 0.9))
    assert row["median"] == pytest.approx(np.median(values))
    armenia = panels["Alignment of Armenia"]
    values = timeseries[(timeseries["member"] == "Armenia") & (timeseries["step"] == 3)]
    row = armenia[(armenia["step"] == 3) & (armenia["level"] == 0.5)].iloc[0]
    assert row["low"] == pytest.approx(np.quantile(values["alignment"], 0.25))


def test_the_run_report_data_read_back_from_the_folder(run_folder: Path) -> None:
    data = read(run_folder)
    assert data.kind == "run" and data.replicates == 5


# --- the critical capacity in context -----------------------------------------------------------


def _threshold(critical: float | None) -> Threshold:
    grid = np.linspace(0, 1, 5)
    return Threshold(
        level=0.5,
        low=0.0,
        high=1.0,
        critical=critical,
        ci_low=0.03,
        ci_high=0.06,
        bracket=(0.0, 0.25) if critical is not None else None,
        crossings=1,
        grid=grid,
        values=np.tile(np.linspace(0.45, 0.8, 5)[:, None], (1, 4)),
        evaluations=[],
        bootstrap=100,
        bootstrap_missing=0,
        interpolated=critical,
    )


@pytest.mark.parametrize(
    ("critical", "expected"),
    [
        (0.052, "That is below the scenario's capacity floor (0.1)"),
        (0.12, "That is below the lowest capacity base reaches (0.15"),
        (0.7, "That is above the highest capacity base reaches (0.50"),
        (0.3, "That lies within the range Russia's capacity takes in base (0.15 to 0.50 over"),
    ],
)
def test_a_critical_capacity_is_said_against_the_scenario(critical: float, expected: str) -> None:
    context = CapacityContext(floor=0.1, lowest=0.15, highest=0.5, at_zero=0.45, at_one=0.82)
    text = threshold_report.threshold_sentence(
        _threshold(critical), "final_cohesion", "base", context=context, steps=36
    )
    assert expected in text
    assert (
        "At constant capacity 0 the mean final cohesion is 0.45; "
        "at 1 (the pre-war level) it is 0.82." in text
    )
    assert "bootstrap 95% interval over the random draws (seeds) of the replicates" in text


def test_a_level_never_crossed_is_said_so() -> None:
    found = _threshold(None)
    context = CapacityContext(0.1, 0.15, 0.5, 0.45, 0.8)
    text = threshold_report.threshold_sentence(found, "final_cohesion", "base", context=context)
    assert "never crosses 0.5" in text and "At constant capacity 0" in text


def test_the_capacity_context_comes_from_the_scenario_s_own_runs() -> None:
    scenario = load("baseline-2022")

    def outcome(capacities: np.ndarray) -> np.ndarray:
        return np.tile(np.asarray(capacities)[:, None], (1, 3))

    context = capacity_context(scenario, [1, 2, 3], outcome, steps=36)
    assert context.floor == 0.1
    assert context.highest == pytest.approx(0.5)
    assert context.lowest == pytest.approx(0.15, abs=0.01)
    assert (context.at_zero, context.at_one) == (0.0, 1.0)
    assert CapacityContext.from_record(context.record()) == context


@pytest.mark.parametrize(
    ("column", "level", "message"),
    [
        (
            "final_cohesion",
            1.5,
            "1.5 is outside the range of final cohesion (index 0–1): expected a level from 0 to 1",
        ),
        ("froze", -0.1, "expected a level from 0 to 1"),
        ("drills_cancelled", -1.0, "expected a level from 0 to upwards"),
        ("final_cohesion", math.nan, "expected a finite number"),
    ],
)
def test_a_level_outside_the_outcome_s_range_is_refused(
    column: str, level: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_level(column, level)
    check_level("drills_cancelled", 4.0)


# --- sweeps: heatmap noise and sensitivity per member outcome -----------------------------------


def test_heatmap_panels_of_parameters_that_do_not_matter_are_noise() -> None:
    rng = np.random.default_rng(4)
    points = pd.DataFrame(rng.random((600, 3)), columns=["cap", "other", "third"])
    points["y"] = 0.3 + 0.5 * points["cap"] + rng.normal(0, 0.05, 600)
    panels = sweep_report.pair_heatmaps(points, [("cap", "other"), ("other", "third")], "y", {})
    assert [panel.noise for panel in panels] == [False, True]
    assert panels[0].points == 600 and panels[0].cells == sweep_report.heatmap_bins(600) ** 2


def test_independent_points_of_a_saltelli_design_are_its_base_samples() -> None:
    chosen = sweep_report.independent_points("sobol", 20, 3, {"calc_second_order": False})
    assert list(np.flatnonzero(chosen)) == [0, 4, 5, 9, 10, 14, 15, 19]
    assert sweep_report.independent_points("morris", 8, 3).sum() == 2
    assert sweep_report.independent_points("lhs", 8, 3).all()


def test_sensitivity_per_member_outcome_names_what_barely_matters() -> None:
    from SALib.sample import sobol

    names = [
        "members.Kazakhstan.trust",
        "members.Kazakhstan.economic_ties",
        "russia.capacity.initial",
    ]
    problem = {"num_vars": 3, "names": names, "bounds": [[0, 1]] * 3}
    matrix = sobol.sample(problem, 64, calc_second_order=False, seed=1)
    design = pd.DataFrame(matrix, columns=names)
    design.insert(0, "point", np.arange(len(design)))
    runs = pd.DataFrame({"point": design["point"], "status": "ok"})
    runs["final_alignment_Kazakhstan"] = 0.2 + 0.6 * matrix[:, 2] + 0.001 * matrix[:, 0]
    runs["final_cohesion"] = 0.5 + 0.3 * matrix[:, 2] + 0.2 * matrix[:, 1]
    runs["froze"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SALib RuntimeWarning reaches the terminal
        table, missing = sweep_report.sensitivity_table(
            "sobol",
            problem,
            design,
            runs,
            ["final_cohesion", "final_alignment_Kazakhstan", "froze"],
        )
    assert set(table["outcome"]) == {"final_cohesion", "final_alignment_Kazakhstan"}
    assert missing == {"froze": "did not vary (0 at every design point), so it has no indices"}
    sentences = sweep_report.sensitivity_sentences(table, "sobol")
    kazakhstan = next(s for s in sentences if s.startswith("Final alignment of Kazakhstan"))
    assert "moved most by russia.capacity.initial (total index 1.00" in kazakhstan
    own = re.search(
        r"the parameters about Kazakhstan \(([^)]*)\) have total index below 0.01", kazakhstan
    )
    assert own is not None
    assert sorted(own.group(1).split(", ")) == [
        "members.Kazakhstan.economic_ties",
        "members.Kazakhstan.trust",
    ]
    cohesion = next(s for s in sentences if s.startswith("Final cohesion"))
    assert "members.Kazakhstan.economic_ties (total index" in cohesion
