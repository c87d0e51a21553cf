"""The critical capacity on the model: a constant capacity, the root, its interval, the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.engine import simulate
from sim.model.draws import derive_seeds
from sim.results import threshold
from sim.scenario import Scenario, available, load

runner = CliRunner()


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load("baseline-2022")


def test_constant_capacity_holds_every_month_even_below_the_floor(baseline: Scenario) -> None:
    constant = threshold.constant_capacity_scenario(baseline)
    capacities = np.array([0.03, 0.5, 0.97])
    batch = simulate(
        constant,
        [1, 1, 1],
        overrides=threshold.constant_capacity_overrides(capacities),
        steps=24,
        timeseries=True,
    )
    assert batch.series is not None
    series = batch.series["capacity"]
    # step 0 records the starting state, then every month holds the same capacity
    assert np.allclose(series[:, 1:], capacities[:, None])
    assert baseline["russia.capacity.shape"] == "drain"  # the scenario itself is unchanged


def test_capacity_outcome_uses_the_same_seeds_at_every_capacity(baseline: Scenario) -> None:
    seeds = derive_seeds(3, 4)
    outcome = threshold.capacity_outcome(baseline, seeds, "cohesion", steps=12)
    both = outcome(np.array([0.3, 0.3]))
    assert both.shape == (2, 4)
    assert np.array_equal(both[0], both[1])
    single = outcome(np.array([0.3]))
    assert np.array_equal(single[0], both[0])


def test_outcome_names_are_checked() -> None:
    assert threshold.outcome_column("cohesion") == "final_cohesion"
    assert threshold.outcome_column("freeze") == "froze"
    assert threshold.outcome_column("alignment_Armenia") == "final_alignment_Armenia"
    with pytest.raises(ValueError, match="unknown outcome 'cohesoin'"):
        threshold.outcome_column("cohesoin")


@pytest.mark.slow
def test_critical_capacity_on_the_model_lies_within_its_interval(baseline: Scenario) -> None:
    """The root found with 60 replicates, and its bootstrap interval, against an independent
    estimate: the crossing of the mean over 400 other replicates on a fine grid."""
    found = threshold.critical_capacity(
        threshold.capacity_outcome(baseline, derive_seeds(1, 60), "cohesion"), 0.5, seed=1
    )
    assert found.critical is not None
    assert found.ci_low <= found.critical <= found.ci_high
    assert found.ci_high - found.ci_low < 0.1
    # the replicate mean at the root is at the level (the function jumps a little: tolerance)
    outcome = threshold.capacity_outcome(baseline, derive_seeds(1, 60), "cohesion")
    assert outcome(np.array([found.critical]))[0].mean() == pytest.approx(0.5, abs=0.01)
    reference = threshold.capacity_outcome(baseline, derive_seeds(99, 400), "cohesion")
    grid = np.linspace(0.0, 1.0, 201)  # the whole range: the estimate does not assume the root
    independent = threshold.last_crossing(grid, reference(grid).mean(axis=1)[None, :], 0.5)[0]
    assert found.ci_low <= independent <= found.ci_high


def _invoke(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_threshold_command_writes_a_results_folder_and_a_report(tmp_path: Path) -> None:
    code, out, err = _invoke(
        "threshold",
        "baseline-2022",
        "--replicates",
        "30",
        "--steps",
        "24",
        "--out",
        str(tmp_path),
        "--bootstrap",
        "200",
        "--no-posterior",
    )
    assert code == 0, err
    folder = tmp_path / "baseline-2022" / "seed1-r30-t24-threshold-cohesion-0.5"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "threshold"
    assert manifest["outcome_column"] == "final_cohesion"
    found = manifest["threshold"]
    assert found["ci_low"] <= found["critical"] <= found["ci_high"]
    assert f"critical capacity of {found['critical']:.3f}" in out
    context = manifest["context"]
    assert context["capacity_floor"] == 0.1
    assert context["capacity_lowest"] >= 0.1 and context["capacity_highest"] == 0.5
    assert (
        f"At constant capacity 0 the mean final cohesion is {context['outcome_at_capacity_0']:.2f}"
        in out
    )
    # the answer is placed against the capacity the scenario actually takes (0.34 at 24 months
    # with model v2, inside the 0.27-0.50 it takes; the first version's 0.05 lay below its floor)
    if found["critical"] < context["capacity_floor"]:
        assert "That is below the scenario's capacity floor (0.1)" in out
    elif context["capacity_lowest"] <= found["critical"] <= context["capacity_highest"]:
        assert "That lies within the range Russia's capacity takes in baseline-2022" in out
    else:
        assert "That lies" in out
    assert manifest["command"][:3] == ["csto", "threshold", "baseline-2022"]
    curve = pd.read_parquet(folder / "curve.parquet")
    assert set(curve.columns) == {"capacity", "replicate", "seed", "draw", "value"}
    assert (curve["draw"] == 0).all() and found["covers"] == "draws"
    assert curve["replicate"].nunique() == 30
    evaluations = pd.read_csv(folder / "evaluations.csv")
    assert len(evaluations) >= 1
    html = (folder / "report.html").read_text()
    assert 'data-figure="threshold"' in html
    assert f"{found['critical']:.3f}" in html
    # the report is rebuilt from the files alone
    code, _, err = _invoke("report", str(folder), "--out", str(tmp_path / "again.html"))
    assert code == 0, err
    # the same command again is refused, in one line, and leaves the folder as it was
    code, _, err = _invoke(
        "threshold",
        "baseline-2022",
        "--replicates",
        "30",
        "--steps",
        "24",
        "--out",
        str(tmp_path),
        "--bootstrap",
        "200",
        "--no-posterior",
    )
    assert code == 2
    assert err.count("\n") == 1 and "already exists" in err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--outcome", "cohesoin"], "--outcome: unknown outcome 'cohesoin'"),
        (["--low", "0.6", "--high", "0.4"], "--low 0.6 must be below --high 0.4"),
        (["--level", "nan"], "--level: expected a finite number"),
        (
            ["--level", "1.5"],
            "--level: 1.5 is outside the range of final cohesion (index 0–1): expected a level "
            "from 0 to 1",
        ),
        (["--outcome", "alignmnt_armenia"], "did you mean 'alignment_Armenia'?"),
        (
            ["--outcome", "FREEZE_STEP_armenia"],
            "outcome 'FREEZE_STEP_armenia' is not one of the outcomes whose mean over "
            "replicates means something",
        ),
    ],
)
def test_threshold_command_refuses_bad_options(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    code, _, err = _invoke("threshold", "baseline-2022", "--out", str(tmp_path), *arguments)
    assert code == 2
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_threshold_command_reports_no_crossing(tmp_path: Path) -> None:
    code, out, err = _invoke(
        "threshold",
        "baseline-2022",
        "--level",
        "0.99",
        "--replicates",
        "10",
        "--steps",
        "12",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    assert "no critical capacity" in out


def test_capacity_outcome_does_not_depend_on_the_batch_size(
    baseline: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = derive_seeds(5, 7)
    capacities = np.array([0.1, 0.4, 0.9])
    whole = threshold.capacity_outcome(baseline, seeds, "min_cohesion", steps=12)(capacities)
    monkeypatch.setattr(threshold, "BATCH_RUNS", 4)
    pieces = threshold.capacity_outcome(baseline, seeds, "min_cohesion", steps=12)(capacities)
    assert np.array_equal(whole, pieces)


@pytest.mark.parametrize("name", sorted(available()))
def test_constant_capacity_in_every_named_scenario(name: str) -> None:
    """Whatever the scenario's shape (drain, shock, recovery, explicit), capacity is held at c;
    only a scenario-given mobilisation shock still lowers it, from its month on."""
    scenario = load(name)
    constant = threshold.constant_capacity_scenario(scenario)
    batch = simulate(
        constant, [1], overrides=threshold.constant_capacity_overrides([0.6]), timeseries=True
    )
    assert batch.series is not None
    capacity = batch.series["capacity"][0, 1:]
    drops = np.zeros_like(capacity)
    for event in scenario.events:
        if event.kind == "mobilisation_shock" and event.size:
            drops[event.month :] += event.size
    assert capacity == pytest.approx(np.clip(0.6 - drops, 0.0, 1.0))
