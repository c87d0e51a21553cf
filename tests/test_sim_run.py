"""``sim.run``: overrides by dotted path, replicates, and how its seed relates to ``csto run``'s."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from csto_cli import invoke

import sim
from sim.model.draws import derive_seeds
from sim.results.replicates import run_replicates
from sim.scenario import ScenarioError


def test_overrides_by_dotted_path_are_the_scenario_with_those_values() -> None:
    changed = {"russia.capacity.initial": 0.3, "mechanisms.inertia": 0.9}
    result = sim.run("baseline-2022", seed=4, steps=8, overrides=changed)
    by_hand = sim.run(sim.load("baseline-2022").with_values(changed), seed=4, steps=8)
    pd.testing.assert_frame_equal(result.timeseries, by_hand.timeseries)
    assert result.timeseries["capacity"].iloc[0] == pytest.approx(0.3)
    plain = sim.run("baseline-2022", seed=4, steps=8)
    assert plain.summary["final_cohesion"] != result.summary["final_cohesion"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"russia.capacity.initail": 0.3}, "russia.capacity.initail"),
        ({"russia.capacity.initial": 1.5}, "[0, 1]"),
    ],
)
def test_a_bad_override_is_a_scenario_error_naming_it(
    overrides: dict[str, float], fragment: str
) -> None:
    with pytest.raises(ScenarioError, match=r"sim\.run overrides") as raised:
        sim.run("baseline-2022", seed=1, steps=2, overrides=overrides)
    assert fragment in str(raised.value)


def test_replicates_take_seed_as_a_master_seed_like_csto_run(tmp_path: Path) -> None:
    runs = sim.run("baseline-2022", seed=1, steps=6, replicates=3)
    assert list(runs.seeds) == derive_seeds(1, 3)
    reference = run_replicates("baseline-2022", 1, 3, 6)
    pd.testing.assert_frame_equal(runs.timeseries, reference.timeseries)
    pd.testing.assert_frame_equal(runs.summary, reference.summary)

    # sim.run runs the scenario's own values; csto run draws from the posterior unless told not to
    done = invoke(
        "run", "baseline-2022", "--seed", "1", "-r", "3", "-t", "6", "--out", tmp_path,
        "--no-figures", "--quiet", "--no-posterior",
    )  # fmt: skip
    assert done.exit_code == 0, done.stderr
    folder = tmp_path / "baseline-2022" / "seed1-r3-t6"
    written = pd.read_parquet(folder / "timeseries.parquet")
    pd.testing.assert_frame_equal(
        written[["replicate", "step", "member", "cohesion", "alignment"]],
        runs.timeseries[["replicate", "step", "member", "cohesion", "alignment"]],
        check_dtype=False,
    )


def test_replicate_r_is_the_single_run_of_its_own_seed_not_of_the_master_seed() -> None:
    runs = sim.run("baseline-2022", seed=1, steps=12, replicates=2)
    first = runs.summary.iloc[0]
    own = sim.run("baseline-2022", seed=runs.seeds[0], steps=12)
    master = sim.run("baseline-2022", seed=1, steps=12)
    assert own.seed == runs.seeds[0]
    assert own.summary["final_cohesion"] == first["final_cohesion"]
    assert master.summary["final_cohesion"] != first["final_cohesion"]
