"""``csto compare`` and ``csto threshold`` draw from the calibrated posterior by default: the
same parameter sets in every scenario and at every capacity, intervals that cover them and
say so (``sim.stats.crossed_interval``, Owen's pigeonhole bootstrap)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csto_cli import assert_one_line_error, invoke

from sim.calibrate.posterior import posterior_for
from sim.model.draws import derive_seeds
from sim.results import threshold
from sim.scenario import load
from sim.stats import DRAWS, DRAWS_AND_PARAMETERS, crossed_interval, paired_differences


def test_the_crossed_interval_covers_the_mean_at_about_its_level() -> None:
    # parameter sets and seeds both move the runs; the interval must cover the true mean (0)
    rng = np.random.default_rng(11)
    hits = 0
    trials = 200
    for trial in range(trials):
        values = (
            rng.normal(0, 1.0, (40, 1)) + rng.normal(0, 0.5, (1, 8)) + rng.normal(0, 0.3, (40, 8))
        )
        low, high = crossed_interval(values, resamples=400, seed=trial)
        hits += low < 0 < high
    assert 0.85 <= hits / trials <= 0.995


def test_the_crossed_interval_of_equal_runs_has_no_width_and_of_one_run_none() -> None:
    assert crossed_interval(np.full((5, 4), 0.3)) == pytest.approx((0.3, 0.3))
    low, high = crossed_interval(np.array([[0.3]]))
    assert np.isnan(low) and np.isnan(high)


def _summary(difference_by_draw: np.ndarray, seeds: int) -> pd.DataFrame:
    """Two scenarios' summaries whose paired differences are the given per-draw shifts plus a
    little seed noise, runs numbered draw by draw."""
    rng = np.random.default_rng(3)
    draws = len(difference_by_draw)
    runs = draws * seeds
    base = rng.normal(0.5, 0.1, runs)
    shift = np.repeat(difference_by_draw, seeds) + rng.normal(0, 0.01, runs)
    frame = lambda name, values: pd.DataFrame(  # noqa: E731
        {
            "scenario": name,
            "replicate": np.arange(runs),
            "seed": np.tile(np.arange(seeds), draws),
            "draw": np.repeat(np.arange(draws), seeds),
            "final_cohesion": values,
        }
    )
    return pd.concat([frame("a", base), frame("b", base + shift)], ignore_index=True)


def test_paired_differences_over_parameter_sets_cover_them() -> None:
    # the difference depends on the parameters (0 to 0.2 across sets): the interval over runs
    # as if they were independent replicates is far narrower than the one over parameter sets
    summary = _summary(np.linspace(0.0, 0.2, 20), seeds=5)
    drawn = paired_differences(summary, "final_cohesion", "a").iloc[0]
    assert drawn["covers"] == DRAWS_AND_PARAMETERS
    seeds_only = paired_differences(summary.drop(columns="draw"), "final_cohesion", "a").iloc[0]
    assert seeds_only["covers"] == DRAWS
    assert drawn["difference"] == pytest.approx(seeds_only["difference"])
    width = drawn["ci_high"] - drawn["ci_low"]
    assert width > 1.5 * (seeds_only["ci_high"] - seeds_only["ci_low"])
    assert drawn["ci_low"] < 0.1 < drawn["ci_high"]


@pytest.mark.slow
def test_compare_draws_the_same_parameter_sets_for_every_scenario(tmp_path: Path) -> None:
    result = invoke(
        "compare", "baseline-2022", "ceasefire-2023", "--draws", "6", "-r", "3", "-t", "8",
        "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "compare" / "baseline-2022-vs-ceasefire-2023-seed1-d6-r3-t8"
    assert "18 paired runs (paired 95% intervals over the random draws and the uncertainty" in (
        result.stdout
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert (manifest["draws"], manifest["runs"], manifest["covers"]) == (
        6,
        18,
        DRAWS_AND_PARAMETERS,
    )
    posteriors = manifest["posteriors"]
    assert posteriors["baseline-2022"]["digest"] == posteriors["ceasefire-2023"]["digest"]
    assert "--draws" in manifest["command"]
    summary = pd.read_csv(folder / "summary.csv")
    runs = summary.pivot(index="replicate", columns="scenario", values=["seed", "draw"])
    assert (runs["seed"]["baseline-2022"] == runs["seed"]["ceasefire-2023"]).all()
    assert list(runs["draw"]["baseline-2022"]) == [k // 3 for k in range(18)]
    seeds = [int(s) for s in derive_seeds(1, 3)] * 6
    assert [int(s) for s in runs["seed"]["baseline-2022"]] == seeds
    differences = pd.read_csv(folder / "differences.csv")
    assert set(differences["covers"]) == {DRAWS_AND_PARAMETERS}
    # the report says what its intervals cover, from the files
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "uncertainty of the parameters" in html


@pytest.mark.slow
def test_compare_under_the_posterior_equals_runs_with_the_drawn_values() -> None:
    from sim.results.compare import run_comparison

    scenarios = [load("baseline-2022"), load("ceasefire-2023")]
    posteriors = [posterior_for(s) for s in scenarios]
    comparison = run_comparison(scenarios, 4, 2, 6, draws=3, posteriors=posteriors)
    assert posteriors[1] is not None
    drawn = posteriors[1].draw(3, 4)
    from sim.engine import simulate

    seeds = np.tile(np.asarray(derive_seeds(4, 2), dtype=np.uint64), 3)
    overrides = {path: np.repeat(np.asarray(values), 2) for path, values in drawn.items()}
    alone = simulate(scenarios[1], seeds, overrides, steps=6)
    ceasefire = comparison.summary[comparison.summary["scenario"] == "ceasefire-2023"]
    np.testing.assert_array_equal(ceasefire["final_cohesion"].to_numpy(), alone.final_cohesion)


def test_compare_refuses_draws_without_a_posterior(tmp_path: Path) -> None:
    result = invoke(
        "compare", "baseline-2022", "ceasefire-2023", "--draws", "5", "--no-posterior",
        "--out", tmp_path,
    )  # fmt: skip
    assert_one_line_error(result, "--draws 5 needs a calibrated posterior")
    assert not any(tmp_path.iterdir())


def test_the_threshold_holds_the_capacity_path_and_draws_the_rest() -> None:
    baseline = load("baseline-2022")
    seeds = derive_seeds(2, 3)
    held = threshold.capacity_outcome(
        baseline, seeds, "cohesion", steps=6, drawn={"russia.capacity.initial": [0.1, 0.9]}
    )(np.array([0.5]))
    assert held.shape == (1, 6)
    np.testing.assert_array_equal(held[0, :3], held[0, 3:])  # the capacity draw is ignored
    drawn = threshold.capacity_outcome(
        baseline, seeds, "cohesion", steps=6, drawn={"mechanisms.inertia": [0.5, 0.95]}
    )(np.array([0.5]))
    assert not np.array_equal(drawn[0, :3], drawn[0, 3:])
    own = threshold.capacity_outcome(baseline, seeds, "cohesion", steps=6)(np.array([0.5]))
    np.testing.assert_array_equal(held[0, :3], own[0])


@pytest.mark.slow
def test_threshold_draws_from_the_posterior_and_says_so(tmp_path: Path) -> None:
    result = invoke(
        "threshold", "baseline-2022", "--draws", "4", "-r", "2", "-t", "12", "--grid", "5",
        "--bootstrap", "200", "--out", tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "8 runs (4 parameter sets from the posterior x 2 seeds)" in result.stdout
    folder = tmp_path / "baseline-2022" / "seed1-d4-r2-t12-threshold-cohesion-0.5"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["threshold"]["covers"] == DRAWS_AND_PARAMETERS
    assert manifest["threshold"]["draws"] == 4
    assert manifest["posterior"]["scenario"] == "baseline-2022"
    curve = pd.read_parquet(folder / "curve.parquet")
    assert sorted(curve["draw"].unique()) == [0, 1, 2, 3]
    assert curve["replicate"].nunique() == 8
    if manifest["threshold"]["critical"] is not None:
        assert "over the random draws and the uncertainty of the parameters" in result.stdout
