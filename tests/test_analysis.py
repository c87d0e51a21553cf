"""The numbers behind the reports, against answers fixed in advance."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sweep_fixture import (
    CAPACITY,
    KNOWN_CRITICAL,
    OTHER,
    THIRD,
    design_points,
    linear_sobol_indices,
    outcomes,
    salib_problem,
)

from sim import stats as sim_stats
from sim.report import compare as compare_report
from sim.report import prose
from sim.report import run as run_report
from sim.report import sweep as sweep_report
from sim.report import threshold as threshold_report
from sim.results import run as results_run
from sim.results import threshold
from sim.results.compare import differences as paired_table
from sim.results.outcomes import REGISTRY
from sim.scenario import schema


@pytest.mark.parametrize("module", [prose, sim_stats, threshold])
def test_module_doctests_pass(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


# --- months ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "words"),
    [("2022-10", "October 2022"), ("2023-12", "December 2023"), ("2025-01-01", "January 2025")],
)
def test_month_words(month: str, words: str) -> None:
    assert prose.month_words(month) == words


def test_event_and_series_months_follow_the_step_conventions() -> None:
    # an event logged at step 1 happened in the start month; the state after step 1 is dated
    # the first day of the next month
    assert results_run.event_month("2022-10", 1) == "2022-10"
    assert results_run.event_month("2022-10", 15) == "2023-12"
    assert results_run.step_date("2022-10", 0) == "2022-10-01"
    assert results_run.step_date("2022-10", 3) == "2023-01-01"


# --- estimates -------------------------------------------------------------------------------


def test_estimate_is_the_t_interval_and_the_middle_95_percent() -> None:
    values = np.array([0.2, 0.4, 0.5, 0.55, 0.9])
    est = sim_stats.estimate(values)
    half = stats.t.ppf(0.975, 4) * values.std(ddof=1) / np.sqrt(5)
    assert est.n == 5
    assert est.mean == pytest.approx(values.mean())
    assert est.ci_low == pytest.approx(values.mean() - half)
    assert est.ci_high == pytest.approx(values.mean() + half)
    assert est.low == pytest.approx(np.quantile(values, 0.025))
    assert est.high == pytest.approx(np.quantile(values, 0.975))
    assert est.interval() == f"{values.mean() - half:.2f}–{values.mean() + half:.2f}"


def test_describe_intervals_are_those_of_scipy_stats_to_the_last_bit() -> None:
    # describe takes the t quantile from scipy.special (scipy.stats is slow to import): the
    # intervals, and the data files that hold them (a comparison's differences.csv), are
    # unchanged
    rng = np.random.default_rng(5)
    sizes = [1, 2, 3, 5, 29, 30, 100, 1001]
    frame = pd.DataFrame(
        {
            "group": np.repeat(np.arange(len(sizes)), sizes),
            "value": rng.normal(0.5, 0.1, sum(sizes)),
        }
    )
    table = sim_stats.describe(frame, "value", by=["group"])
    grouped = frame.groupby("group")["value"]
    count = grouped.count().to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        half = stats.t.ppf(0.975, count - 1) * grouped.std().to_numpy() / np.sqrt(count)
    expected_low = grouped.mean().to_numpy() - half
    np.testing.assert_array_equal(table["ci_low"].to_numpy(), expected_low)
    np.testing.assert_array_equal(table["ci_high"].to_numpy(), grouped.mean().to_numpy() + half)
    assert np.isnan(table["ci_low"].iloc[0]), "one value: no interval"
    low, high = sim_stats.wilson([3], [10])
    z = stats.norm.ppf(0.975)
    centre, width = (0.3 + z * z / 20) / (1 + z * z / 10), z * np.sqrt(0.021 + z * z / 400)
    assert low[0] == pytest.approx(centre - width / (1 + z * z / 10), rel=1e-15)
    assert high[0] == pytest.approx(centre + width / (1 + z * z / 10), rel=1e-15)


def test_estimate_of_one_value_has_no_interval() -> None:
    assert sim_stats.estimate([0.3]).interval() == "n/a"


def _summary(freeze_steps: dict[str, list[int | None]]) -> pd.DataFrame:
    count = len(next(iter(freeze_steps.values())))
    frame = pd.DataFrame({"replicate": range(count)})
    for name in schema.MEMBERS:
        steps = freeze_steps.get(name, [None] * count)
        frame[f"freeze_step_{name}"] = pd.array(steps, dtype="Int64")
    return frame


def test_freeze_facts_count_share_and_lower_median() -> None:
    summary = _summary({"Armenia": [14, None, 10, 20, 14, None, 30, 12]})
    facts = {fact.member: fact for fact in run_report.freeze_facts(summary)}
    armenia = facts["Armenia"]
    assert (armenia.count, armenia.replicates) == (6, 8)
    assert armenia.share == pytest.approx(0.75)
    # sorted 10, 12, 14, 14, 20, 30: the lower median is 14
    assert (armenia.median_step, armenia.first_step, armenia.last_step) == (14, 10, 30)
    assert facts["Belarus"].count == 0
    assert facts["Belarus"].median_step is None


def test_freeze_sentence_names_share_month_and_date() -> None:
    summary = _summary({"Armenia": [14, None, 10, 20, 14, None, 30, 12]})
    fact = next(f for f in run_report.freeze_facts(summary) if f.member == "Armenia")
    facts = run_report.RunFacts(
        scenario="test",
        replicates=8,
        start="2022-10",
        steps=36,
        initial_cohesion=sim_stats.estimate([0.8] * 8),
        final_cohesion=sim_stats.estimate(np.linspace(0.4, 0.6, 8)),
        min_cohesion=sim_stats.estimate(np.linspace(0.3, 0.5, 8)),
        capacity_start=0.5,
        capacity_end=0.15,
        freezes=[fact],
        final_alignment={},
    )
    sentences = run_report.run_sentences(facts)
    # step 14 from October 2022 is the 14th simulated month: November 2023
    assert (
        "Armenia froze its participation in 75% of replicates (6 of 8), median month 14 "
        "(November 2023; earliest July 2023, latest March 2025)." in sentences
    )
    assert sentences[0].startswith("test, 8 replicates from October 2022 to the end of September")
    assert "mean cohesion fell from 0.80 to 0.50" in sentences[0]


# --- paired differences ----------------------------------------------------------------------


def _paired(base: list[float], other: list[float]) -> pd.DataFrame:
    count = len(base)
    seeds = np.arange(100, 100 + count)
    return pd.DataFrame(
        {
            "scenario": ["base"] * count + ["other"] * count,
            "replicate": list(range(count)) * 2,
            "seed": list(seeds) * 2,
            "final_cohesion": base + other,
        }
    )


def test_paired_differences_are_the_t_interval_of_per_replicate_differences() -> None:
    base = [0.60, 0.55, 0.70, 0.65, 0.50]
    other = [0.52, 0.50, 0.61, 0.60, 0.41]
    table = sim_stats.paired_differences(_paired(base, other), "final_cohesion", "base")
    row = table.iloc[0]
    differences = np.array(other) - np.array(base)
    half = stats.t.ppf(0.975, 4) * differences.std(ddof=1) / np.sqrt(5)
    assert row["scenario"] == "other"
    assert row["difference"] == pytest.approx(differences.mean())
    assert row["ci_low"] == pytest.approx(differences.mean() - half)
    assert row["ci_high"] == pytest.approx(differences.mean() + half)
    assert row["lower_share"] == 1.0
    # pairing shrinks the interval far below that of two independent samples
    independent = stats.ttest_ind(other, base).confidence_interval()
    assert half < (independent.high - independent.low) / 2
    compared = paired_table(_paired(base, other), ["base", "other"], ["final_cohesion"])
    sentence = compare_report.compare_sentences(compared, "base")[0]
    assert "lower than under base" in sentence
    assert f"{differences.mean() - half:+.3f} to {differences.mean() + half:+.3f}" in sentence


def test_paired_differences_refuse_different_seeds() -> None:
    frame = _paired([0.5, 0.6], [0.4, 0.5])
    frame.loc[3, "seed"] = 999
    with pytest.raises(ValueError, match="same seeds"):
        sim_stats.paired_differences(frame, "final_cohesion", "base")


def test_compare_sentence_says_when_the_interval_includes_zero() -> None:
    table = paired_table(
        _paired([0.5, 0.6, 0.55], [0.52, 0.58, 0.56]), ["base", "other"], ["final_cohesion"]
    )
    assert "no clear difference from base" in compare_report.compare_sentences(table, "base")[0]


DATES = ["2022-10-01", "2022-11-01", "2022-12-01", "2023-01-01"]


def test_trajectory_differences_of_a_scenario_with_itself_are_zero() -> None:
    rows = []
    for scenario in ("base", "copy"):
        for replicate in range(3):
            for step in range(4):
                for member in schema.MEMBERS:
                    rows.append(
                        {
                            "scenario": scenario,
                            "replicate": replicate,
                            "step": step,
                            "date": DATES[step],
                            "member": member,
                            "cohesion": 0.5 + 0.1 * replicate - 0.02 * step,
                        }
                    )
    frame = pd.DataFrame(rows)
    band = compare_report.trajectory_differences(frame, "base")
    assert list(band["scenario"].unique()) == ["copy"]
    assert len(band) == 4
    assert (band["mean"] == 0).all()
    assert (band["n"] == 3).all()


# --- the critical capacity -------------------------------------------------------------------


def test_last_crossing_takes_the_highest_crossing_and_interpolates() -> None:
    grid = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    curves = np.array(
        [
            [0.0, 0.2, 0.4, 0.6, 0.8],  # crosses 0.5 halfway between 0.5 and 0.75
            [0.6, 0.4, 0.6, 0.4, 0.6],  # crosses four times: the highest is between 0.75 and 1
            [0.6, 0.7, 0.8, 0.9, 1.0],  # never
        ]
    )
    crossings = threshold.last_crossing(grid, curves, 0.5)
    assert crossings[0] == pytest.approx(0.625)
    assert crossings[1] == pytest.approx(0.875)
    assert np.isnan(crossings[2])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def test_critical_capacity_recovers_a_known_threshold_exactly() -> None:
    """Outcome = sigmoid(20 (c - 0.37)) + replicate noise with mean zero: the replicate mean
    crosses 0.5 exactly at 0.37."""
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.05, 40)
    noise -= noise.mean()
    calls: list[int] = []

    def outcome(capacities: np.ndarray) -> np.ndarray:
        calls.append(len(capacities))
        return _sigmoid(20 * (capacities[:, None] - 0.37)) + noise[None, :]

    found = threshold.critical_capacity(outcome, 0.5, xtol=1e-6)
    assert found.critical == pytest.approx(0.37, abs=1e-5)
    assert found.bracket == (pytest.approx(0.35), pytest.approx(0.4))
    assert found.ci_low <= 0.37 <= found.ci_high
    assert found.ci_high - found.ci_low < 0.05
    assert found.crossings == 1
    assert found.interpolated == pytest.approx(0.37, abs=2e-3)
    assert found.values.shape == (len(found.grid), 40)
    assert len(found.evaluations) == sum(1 for count in calls if count == 1)
    assert "critical capacity of 0.370" in threshold_report.threshold_sentence(
        found, "final_cohesion", "synthetic"
    )


def test_critical_capacity_interval_covers_the_population_threshold() -> None:
    """Each replicate has its own threshold, drawn symmetrically around 0.42: the population
    mean curve crosses 0.5 at 0.42, the sample's only near it; the bootstrap interval covers
    it."""
    rng = np.random.default_rng(11)
    thresholds = rng.normal(0.42, 0.08, 60)

    def outcome(capacities: np.ndarray) -> np.ndarray:
        return _sigmoid(15 * (capacities[:, None] - thresholds[None, :]))

    found = threshold.critical_capacity(outcome, 0.5, bootstrap=2000, seed=5)
    assert found.critical is not None
    assert found.ci_low <= 0.42 <= found.ci_high
    assert found.critical != pytest.approx(0.42, abs=1e-4)  # a sample, not the population
    again = threshold.critical_capacity(outcome, 0.5, bootstrap=2000, seed=5)
    assert (again.ci_low, again.ci_high) == (found.ci_low, found.ci_high)


def test_critical_capacity_of_a_step_outcome_finds_the_jump() -> None:
    """A share of replicates (like 'a member froze') jumps at each replicate's own threshold."""
    thresholds = np.linspace(0.2, 0.6, 9)  # the fifth of nine is 0.4

    def outcome(capacities: np.ndarray) -> np.ndarray:
        return (capacities[:, None] < thresholds[None, :]).astype(float)

    found = threshold.critical_capacity(outcome, 0.5)
    assert found.critical == pytest.approx(0.4, abs=2e-4)


def test_critical_capacity_reports_no_crossing() -> None:
    def outcome(capacities: np.ndarray) -> np.ndarray:
        return np.full((len(capacities), 5), 0.8)

    found = threshold.critical_capacity(outcome, 0.5)
    assert found.critical is None
    assert found.bracket is None
    sentence = threshold_report.threshold_sentence(found, "final_cohesion", "flat")
    assert "never crosses 0.5: it stays above it" in sentence
    assert "no critical capacity" in sentence


def test_threshold_curve_is_the_band_over_replicates() -> None:
    def outcome(capacities: np.ndarray) -> np.ndarray:
        return capacities[:, None] + np.array([[-0.1, 0.0, 0.1]])

    found = threshold.critical_capacity(outcome, 0.5, grid_points=11)
    curve = threshold.threshold_curve(found)
    assert np.allclose(curve["mean"], curve["capacity"])
    assert (curve["n"] == 3).all()
    assert found.critical == pytest.approx(0.5)


# --- sweeps ----------------------------------------------------------------------------------


def test_response_on_a_grid_groups_by_level() -> None:
    design = design_points("grid", [CAPACITY, OTHER], 5)
    runs = outcomes(design, [CAPACITY, OTHER], replicates=6, seed=1)
    curve = sweep_report.response(runs, CAPACITY, "final_cohesion")
    assert list(curve["x"]) == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert (curve["n"] == 30).all()
    expected = runs.groupby(CAPACITY)["final_cohesion"].mean().to_numpy()
    assert curve["mean"].to_numpy() == pytest.approx(expected)
    # the known response: 0.35 + 0.5 c averaged over the other parameter
    assert curve["mean"].to_numpy() == pytest.approx(0.35 + 0.5 * curve["x"], abs=0.02)


def test_response_on_a_sampled_design_bins_over_the_bounds() -> None:
    design = design_points("lhs", [CAPACITY, OTHER], 400)
    runs = outcomes(design, [CAPACITY, OTHER], replicates=2, seed=2)
    curve = sweep_report.response(runs, CAPACITY, "final_cohesion", 0.0, 1.0, bins=10)
    assert list(curve["x"]) == pytest.approx(np.arange(0.05, 1.0, 0.1))
    assert curve["n"].sum() == len(runs)


def test_response_ignores_failed_runs() -> None:
    design = design_points("grid", [CAPACITY], 3)
    runs = outcomes(design, [CAPACITY], replicates=2, seed=1)
    runs.loc[0, "status"] = "failed"
    runs.loc[0, "final_cohesion"] = np.nan
    curve = sweep_report.response(runs, CAPACITY, "final_cohesion")
    assert list(curve["n"]) == [1, 2, 2]


def test_heatmap_is_the_mean_over_pairs_of_levels() -> None:
    design = design_points("grid", [CAPACITY, OTHER], 4)
    runs = outcomes(design, [CAPACITY, OTHER], replicates=3, seed=1)
    table = sweep_report.heatmap(runs, CAPACITY, OTHER, "final_cohesion")
    assert table.shape == (4, 4)
    cell = runs[(runs[CAPACITY] == 1.0) & (runs[OTHER] == 0.5)]["final_cohesion"].mean()
    assert table.loc[0.5, 1.0] == pytest.approx(cell)


def test_sweep_crossing_recovers_the_known_capacity() -> None:
    design = design_points("grid", [CAPACITY, OTHER], 11)
    runs = outcomes(design, [CAPACITY, OTHER], replicates=8, seed=4)
    curve = sweep_report.response(runs, CAPACITY, "final_cohesion")
    crossing = sweep_report.sweep_crossing(curve, CAPACITY, "final_cohesion", 0.5)
    assert crossing.critical == pytest.approx(KNOWN_CRITICAL, abs=0.01)
    assert crossing.ci_low <= KNOWN_CRITICAL <= crossing.ci_high


def test_sobol_indices_of_a_linear_outcome_match_theory() -> None:
    parameters = [CAPACITY, OTHER, THIRD]
    design = design_points("sobol", parameters, 512)
    runs = outcomes(design, parameters, replicates=2, seed=3)
    means = sweep_report.point_means(runs, "final_cohesion", len(design))
    indices = sweep_report.sensitivity(
        "sobol", salib_problem(parameters), design, means, {"calc_second_order": False}
    ).set_index("parameter")
    expected = linear_sobol_indices(parameters)
    for name in parameters:
        row = indices.loc[name]
        assert row["S1"] == pytest.approx(expected[name], abs=max(2 * row["S1_conf"], 0.03))
        assert row["ST"] == pytest.approx(expected[name], abs=max(2 * row["ST_conf"], 0.03))
    assert indices["S1"].idxmax() == CAPACITY


def test_morris_ranks_the_linear_outcome_by_its_coefficients() -> None:
    parameters = [CAPACITY, OTHER, THIRD]
    design = design_points("morris", parameters, 20)
    runs = outcomes(design, parameters, replicates=2, seed=3)
    means = sweep_report.point_means(runs, "final_cohesion", len(design))
    indices = sweep_report.sensitivity(
        "morris", salib_problem(parameters), design, means, {"num_levels": 4}
    ).set_index("parameter")
    # mu* of a linear effect over the whole range is its coefficient
    assert indices.loc[CAPACITY, "mu_star"] == pytest.approx(0.5, abs=0.03)
    assert list(indices["mu_star"].sort_values(ascending=False).index) == [CAPACITY, THIRD, OTHER]
    assert (indices["mu_star_conf"] >= 0).all()


def test_sensitivity_needs_every_design_point() -> None:
    parameters = [CAPACITY, OTHER]
    design = design_points("sobol", parameters, 8)
    means = np.full(len(design), 0.5)
    means[3] = np.nan
    with pytest.raises(ValueError, match="1 design points have no successful run"):
        sweep_report.sensitivity("sobol", salib_problem(parameters), design, means)


def test_failed_runs_are_listed_and_counted() -> None:
    design = design_points("grid", [CAPACITY], 3)
    runs = outcomes(design, [CAPACITY], replicates=2, seed=1)
    runs.loc[[1, 4], "status"] = "failed"
    runs.loc[[1, 4], "error"] = "boom"
    listed = sweep_report.failed_runs(runs, [CAPACITY])
    assert list(listed["point"]) == [0, 2]
    assert list(listed.columns) == ["point", "replicate", "seed", CAPACITY, "error"]
    counts = sweep_report.failure_counts(runs)
    assert counts.to_dict("records") == [{"error": "boom", "runs": 2}]


def test_derived_froze_outcome() -> None:
    runs = pd.DataFrame({"first_freeze_step": [-1, 5, 0, -1]})
    assert list(REGISTRY.derived(runs)["froze"]) == [0.0, 1.0, 1.0, 0.0]


def test_sweep_crossing_interval_is_open_where_the_band_does_not_cross() -> None:
    curve = pd.DataFrame(
        {
            "x": [0.0, 0.5, 1.0],
            "mean": [0.45, 0.55, 0.65],
            "ci_low": [0.40, 0.45, 0.60],
            "ci_high": [0.52, 0.65, 0.70],  # above 0.5 everywhere: crosses below the range
        }
    )
    crossing = sweep_report.sweep_crossing(curve, CAPACITY, "final_cohesion", 0.5)
    assert crossing.critical == pytest.approx(0.25)
    assert crossing.open_low and not crossing.open_high
    assert (crossing.ci_low, crossing.ci_high) == (0.0, pytest.approx(2 / 3))
    assert crossing.interval() == "≤ 0.000 to 0.667"


def test_response_of_a_share_uses_wilson_intervals_within_0_and_1() -> None:
    design = design_points("grid", [CAPACITY], 3)
    runs = REGISTRY.derived(outcomes(design, [CAPACITY], replicates=4, seed=1))
    curve = sweep_report.response(runs, CAPACITY, "froze")
    assert (curve["ci_low"] >= 0).all() and (curve["ci_high"] <= 1).all()
    low, high = sim_stats.wilson(curve["mean"] * curve["n"], curve["n"])
    assert np.allclose(curve["ci_low"], low) and np.allclose(curve["ci_high"], high)
    # all four runs at capacity 0 froze: the interval still leaves room below 1
    assert curve["mean"].iloc[0] == 1.0
    assert curve["ci_low"].iloc[0] == pytest.approx(0.510, abs=1e-3)
