"""``csto sensitivity``: the estimators against functions whose indices are known (Ishigami), the
posterior's marginals, the split between values and chance, and the analysis on a small
posterior (reproducible, the same on any number of workers, its folder and report)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csto_cli import assert_one_line_error, invoke
from hypothesis import given, settings
from hypothesis import strategies as st
from posterior_fixture import calibrated_copy

from sim.calibrate.posterior import posterior_for
from sim.results.folder import read
from sim.results.sensitivity import (
    HEADLINE,
    INDEX_COLUMNS,
    OUTCOME_COLUMNS,
    VERDICTS,
    Marginal,
    SensitivityError,
    SensitivityFolder,
    Split,
    agrees,
    check_samples,
    given_data_first_order,
    marginals_of,
    run_sensitivity,
    saltelli_design,
    saltelli_unit,
    sobol_indices,
    variance_split,
    verdict,
    write_sensitivity,
)
from sim.scenario import load

#: The Ishigami function's indices (a = 7, b = 0.1, inputs uniform on [-pi, pi]).
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(x1: np.ndarray, x2: np.ndarray, x3: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    return result


# --- the estimators, on a function with known indices -------------------------------------------


def test_sobol_indices_through_the_marginals_find_the_ishigami_answer() -> None:
    # a "posterior" whose marginals are uniform on [-pi, pi]: many equally weighted particles
    grid = np.linspace(-np.pi, np.pi, 4001)
    marginals = [Marginal.of(name, grid, np.ones_like(grid)) for name in ("x1", "x2", "x3")]
    design = saltelli_design(marginals, 1024, seed=3)
    outputs = ishigami(*(design.values[name] for name in ("x1", "x2", "x3")))
    indices = sobol_indices(design, outputs, seed=3)
    np.testing.assert_allclose(indices["S1"], ISHIGAMI_S1, atol=0.06)
    np.testing.assert_allclose(indices["ST"], ISHIGAMI_ST, atol=0.06)
    # the intervals are real: each holds the true value, none is wide
    known = np.array(ISHIGAMI_ST)
    assert (np.abs(indices["ST"].to_numpy() - known) <= indices["ST_conf"].to_numpy() + 0.02).all()
    assert (indices["S1_conf"] < 0.1).all()


def test_the_given_data_estimator_finds_the_ishigami_first_order_indices() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(-np.pi, np.pi, size=(8192, 3))
    inputs = {"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2]}
    found = given_data_first_order(inputs, ishigami(x[:, 0], x[:, 1], x[:, 2]), seed=1)
    np.testing.assert_allclose(found["S1"], ISHIGAMI_S1, atol=0.04)
    assert (found["S1_conf"] < 0.05).all()


def test_the_given_data_estimator_keeps_correlated_inputs_apart_from_useless_ones() -> None:
    # y depends on a alone; b is a noisy copy of a, c is independent: S1(b) is a's share seen
    # through the correlation, S1(c) is zero (the estimator does not need independence)
    rng = np.random.default_rng(5)
    a = rng.normal(size=4096)
    b = a + rng.normal(size=4096)  # correlation 1/sqrt(2)
    c = rng.normal(size=4096)
    found = given_data_first_order({"a": a, "b": b, "c": c}, a, seed=2).set_index("parameter")
    assert found.loc["a", "S1"] == pytest.approx(1.0, abs=0.03)
    assert found.loc["b", "S1"] == pytest.approx(0.5, abs=0.06)
    assert found.loc["c", "S1"] == pytest.approx(0.0, abs=0.02)


def test_the_fast_saltelli_matrix_is_salibs() -> None:
    from SALib.sample import sobol

    problem = {"num_vars": 5, "names": list("abcde"), "bounds": [[0.0, 1.0]] * 5}
    expected = sobol.sample(problem, 16, calc_second_order=False, seed=7)
    np.testing.assert_array_equal(saltelli_unit(5, 16, 7), expected)


def test_the_base_sample_must_be_a_power_of_two() -> None:
    check_samples(256)
    for samples in (0, 1, 100, 384):
        with pytest.raises(SensitivityError, match="power of two"):
            check_samples(samples)


# --- the marginals ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=30),
    st.lists(st.floats(0.01, 10.0), min_size=30, max_size=30),
)
def test_each_value_comes_up_with_its_posterior_weight(
    values: list[int], weights: list[float]
) -> None:
    numbers = np.array(values, dtype=np.float64)
    mass = np.array(weights[: len(values)])
    marginal = Marginal.of("x", numbers, mass)
    grid = (np.arange(10_000) + 0.5) / 10_000  # the unit interval, evenly
    drawn = marginal.quantile(grid)
    for value in np.unique(numbers):
        share = mass[numbers == value].sum() / mass.sum()
        assert np.mean(drawn == value) == pytest.approx(share, abs=2e-4)


def test_a_variants_marginal_draws_its_choices_by_weight() -> None:
    choices = np.array(["balance", "bandwagon", "bandwagon", "balance"], dtype=object)
    marginal = Marginal.of("variants.threat_response", choices, np.array([0.1, 0.2, 0.3, 0.4]))
    drawn = marginal.quantile((np.arange(1000) + 0.5) / 1000)
    assert np.mean(drawn == "balance") == pytest.approx(0.5)
    assert not marginal.fixed
    assert Marginal.of("x", np.array([2.0, 2.0]), np.array([0.5, 0.5])).fixed


# --- values and chance -------------------------------------------------------------------------


def test_the_variance_split_finds_a_known_share() -> None:
    # outcome = value effect (variance 3) + seed noise (variance 1): the values' share is 3/4
    rng = np.random.default_rng(2)
    effect = rng.normal(scale=np.sqrt(3.0), size=(4000, 1))
    per_seed = effect + rng.normal(size=(4000, 8))
    split = variance_split(per_seed)
    assert split.parameter_share == pytest.approx(0.75, abs=0.02)
    assert split.sd == pytest.approx(2.0, abs=0.05)


def test_the_verdicts_follow_their_rules() -> None:
    varied = Split(0.5, 0.2, 0.9)
    top = pd.Series({"parameter": "p", "ST": 0.8, "ST_conf": 0.1})
    assert verdict(varied, varied, top, None) == ("one", "rests on one uncertain number: p")
    many = pd.Series({"parameter": "p", "ST": 0.3, "ST_conf": 0.1})
    assert verdict(varied, varied, many, None)[0] == "many"
    between = pd.Series({"parameter": "p", "ST": 0.5, "ST_conf": 0.1})
    code, text = verdict(varied, varied, between, None)
    assert code == "largely" and text.startswith("rests largely on p")
    assert verdict(varied, Split(0.5, 0.2, 0.1), top, None)[0] == "chance"
    assert verdict(varied, Split(0.0, 0.0, float("nan")), top, None)[0] == "still"
    shifted = Split(0.1, 0.2, 0.9)
    assert not agrees(varied, shifted)
    joint_top = pd.Series({"parameter": "q", "S1_joint": 0.4, "S1_joint_conf": 0.1})
    code, text = verdict(varied, shifted, top, joint_top)
    assert code == "dependent" and text.endswith("q explains most of it alone (0.40 ± 0.10)")
    noise = pd.Series({"parameter": "q", "S1_joint": 0.04, "S1_joint_conf": 0.05})
    assert verdict(varied, shifted, top, noise)[1].endswith("distinguishable from zero")
    assert set(VERDICTS) == {"still", "chance", "dependent", "one", "many", "largely"}


# --- the analysis on a posterior ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return calibrated_copy(tmp_path_factory.mktemp("calibrated"), particles=60)


def small(scenario_file: Path, workers: int = 1) -> object:
    scenario = load(str(scenario_file))
    posterior = posterior_for(scenario)
    assert posterior is not None
    return run_sensitivity(
        scenario, posterior, samples=4, replicates=2, seed=9, steps=13, workers=workers
    )


def test_the_analysis_covers_every_headline_outcome_and_calibrated_value(
    scenario_file: Path,
) -> None:
    result = small(scenario_file)
    scenario = load(str(scenario_file))
    posterior = posterior_for(scenario)
    assert posterior is not None
    marginals, fixed = marginals_of(posterior)
    assert len(marginals) + len(fixed) == len(posterior.values) + len(posterior.variants)
    names = [marginal.name for marginal in marginals]
    assert list(result.design.names) == names  # type: ignore[attr-defined]
    indices = result.indices  # type: ignore[attr-defined]
    assert tuple(indices.columns) == INDEX_COLUMNS
    assert len(indices) == len(HEADLINE) * len(names)
    outcomes = result.outcomes  # type: ignore[attr-defined]
    assert tuple(outcomes.columns) == OUTCOME_COLUMNS
    assert list(outcomes["outcome"]) == list(HEADLINE)
    assert result.design.points == 4 * (len(names) + 2)  # type: ignore[attr-defined]
    # every design point's inputs come from the posterior's own values
    for name in names[:10]:
        allowed = set(np.asarray(posterior.values.get(name, posterior.variants.get(name))))
        assert set(result.design.values[name]) <= allowed  # type: ignore[attr-defined]


@pytest.mark.slow
def test_workers_do_not_change_the_indices(scenario_file: Path, tmp_path: Path) -> None:
    one, two = small(scenario_file, workers=1), small(scenario_file, workers=2)
    digests = []
    for name, result in (("one", one), ("two", two)):
        folder = write_sensitivity(
            result,  # type: ignore[arg-type]
            tmp_path / name,
            command=["csto", "sensitivity"],
            started="now",
            workers=1,
        )
        digests.append(
            {
                file: hashlib.sha256((folder / file).read_bytes()).hexdigest()
                for file in ("indices.csv", "outcomes.csv", "correlations.csv", "points.parquet")
            }
        )
    assert digests[0] == digests[1]
    back = read(tmp_path / "one")
    assert isinstance(back, SensitivityFolder)
    assert list(back.outcomes["outcome"]) == list(HEADLINE)


def test_a_base_sample_that_is_not_a_power_of_two_is_one_line(tmp_path: Path) -> None:
    result = invoke("sensitivity", "baseline-2022", "--samples", "100", "--out", tmp_path)
    assert_one_line_error(result, "--samples 100", "power of two")


def test_a_scenario_without_a_posterior_is_one_line(tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_bytes(
        Path(__file__).parent.parent.joinpath("scenarios/baseline-2022.toml").read_bytes()
    )
    result = invoke("sensitivity", bare, "--out", tmp_path / "out")
    assert_one_line_error(result, "no calibrated posterior", "csto calibrate")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_command_writes_its_folder_and_report(scenario_file: Path, tmp_path: Path) -> None:
    arguments = ["--samples", "4", "--replicates", "2", "--steps", "13", "--workers", "1"]
    result = invoke("sensitivity", scenario_file, *arguments, "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "sensitivity" / "baseline-2022" / "seed1-n4-r2-t13"
    names = {path.name for path in folder.iterdir()}
    assert names == {
        "indices.csv",
        "outcomes.csv",
        "correlations.csv",
        "points.parquet",
        "manifest.json",
        "report.html",
    }
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-kind="sensitivity"' in page
    assert "What each outcome rests on" in page
    assert "cohesion" in result.stdout and "Results:" in result.stdout


def test_the_given_data_estimator_sees_no_effect_where_there_is_none_on_a_particle_set() -> None:
    # a finite particle set, as a posterior is: 1,000 rows, one input that matters and 140
    # that do not; those 140 must add up to about nothing (duplicated rows would each read as
    # about 1/31 — the reason the estimator runs on particles, not on draws from them)
    rng = np.random.default_rng(8)
    count = 1000
    inputs = {f"x{i}": rng.uniform(size=count) for i in range(141)}
    outputs = np.sin(3 * inputs["x0"]) + 0.3 * rng.normal(size=count)
    found = given_data_first_order(inputs, outputs, seed=1).set_index("parameter")
    # Var(sin 3x) for x uniform on [0, 1] is 1/2 - sin(6)/12 - ((1 - cos 3)/3)^2 = 0.0832
    known = 0.0832 / (0.0832 + 0.3**2)
    assert found.loc["x0", "S1"] == pytest.approx(known, abs=0.06)
    assert abs(found["S1"].drop("x0").sum()) < 0.5
    duplicated = np.concatenate([np.arange(count), rng.integers(0, count, size=count // 2)])
    inflated = given_data_first_order(
        {name: values[duplicated] for name, values in inputs.items()}, outputs[duplicated], seed=1
    ).set_index("parameter")
    assert inflated["S1"].drop("x0").sum() > 1.0  # what the rule above guards against


def test_weights_count_as_repeated_rows_in_the_given_data_estimator() -> None:
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(600, 2))
    y = 3 * x[:, 0] + rng.normal(size=600)
    equal = given_data_first_order({"a": x[:, 0], "b": x[:, 1]}, y, seed=1)
    ones = given_data_first_order({"a": x[:, 0], "b": x[:, 1]}, y, seed=1, weights=np.ones(600))
    pd.testing.assert_frame_equal(equal, ones)
    weighted = given_data_first_order(
        {"a": x[:, 0], "b": x[:, 1]}, y, seed=1, weights=1.0 + (np.arange(600) % 2)
    )
    assert weighted["S1"].iloc[0] == pytest.approx(equal["S1"].iloc[0], abs=0.08)


def test_the_heatmap_shows_the_values_that_matter_and_marks_failed_checks() -> None:
    from sim.report.sensitivity import heatmap_data

    rows = []
    for outcome, strengths in (
        ("final_cohesion", {"a": 0.7, "b": 0.2, "c": 0.01}),
        ("froze_Armenia", {"a": 0.1, "b": 0.1, "c": 0.9}),
    ):
        for parameter, value in strengths.items():
            rows.append({"outcome": outcome, "parameter": parameter, "ST": value, "ST_conf": 0.05})
    indices = pd.DataFrame(rows)
    outcomes = pd.DataFrame(
        {"outcome": ["final_cohesion", "froze_Armenia"], "verdict": ["largely", "dependent"]}
    )
    matrix, low, high = heatmap_data(indices, outcomes, per_outcome=2)
    # columns: the agreeing outcome's two largest, strongest first; c (large only for the
    # outcome that failed the check) does not get a column of its own
    assert list(matrix.columns) == ["a", "b"]
    assert list(matrix.index) == ["cohesion", "exit Armenia *"]
    assert matrix.loc["cohesion", "a"] == 0.7
    assert low.loc["cohesion", "a"] == pytest.approx(0.65)
    assert high.loc["exit Armenia *", "b"] == pytest.approx(0.15)
