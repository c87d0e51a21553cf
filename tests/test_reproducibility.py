"""Same seed, same result; different seeds, different results; alone or in a batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.engine import simulate
from sim.mesa.model import CSTOModel
from sim.results.run import run_result


def test_same_seed_gives_an_identical_run() -> None:
    first = sim.run("baseline-2022", seed=11)
    second = sim.run("baseline-2022", seed=11)
    pd.testing.assert_frame_equal(first.timeseries, second.timeseries)
    pd.testing.assert_frame_equal(first.events, second.events)
    assert first.summary == second.summary


def test_different_seeds_give_different_runs() -> None:
    first = sim.run("baseline-2022", seed=11)
    second = sim.run("baseline-2022", seed=12)
    assert not first.timeseries["alignment"].equals(second.timeseries["alignment"])


def test_a_run_is_the_same_alone_or_in_a_batch_and_in_any_position() -> None:
    scenario = sim.load("baseline-2022")
    seeds = [5, 6, 7, 8]
    together = simulate(scenario, seeds, timeseries=True)
    reversed_ = simulate(scenario, seeds[::-1], timeseries=True)
    alone = simulate(scenario, [7], timeseries=True)
    assert together.series is not None and reversed_.series is not None
    assert alone.series is not None
    np.testing.assert_array_equal(together.series["cohesion"][2], alone.series["cohesion"][0])
    np.testing.assert_array_equal(together.series["cohesion"][2], reversed_.series["cohesion"][1])


def test_the_mesa_model_and_the_batch_engine_agree_on_the_baseline() -> None:
    scenario = sim.load("baseline-2022")
    seeds = [0, 1, 2, 3, 4]
    batch = simulate(scenario, seeds, timeseries=True, events=True)
    for index, seed in enumerate(seeds):
        reference = sim.run(scenario, seed=seed)
        mirrored = run_result(batch, index)
        numeric = reference.timeseries.select_dtypes("number").columns
        np.testing.assert_allclose(
            reference.timeseries[numeric].to_numpy(float),
            mirrored.timeseries[numeric].to_numpy(float),
            rtol=0,
            atol=1e-12,
            equal_nan=True,
        )
        pd.testing.assert_frame_equal(
            reference.events.drop(columns=["value", "threshold", "effect"]),
            mirrored.events.drop(columns=["value", "threshold", "effect"]),
        )
        assert reference.summary == mirrored.summary


def test_two_scenarios_with_the_same_seed_face_the_same_crises() -> None:
    """Common random numbers: the draws do not depend on the scenario."""
    first = CSTOModel("baseline-2022", rng=3)
    drained = CSTOModel("baseline-2022", rng=3, drain_per_month=0.03)
    other_seed = CSTOModel("baseline-2022", rng=4)
    first_draws, drained_draws = first.setting.draws, drained.setting.draws
    assert first_draws.months == drained_draws.months == first.horizon
    for month in range(first.horizon):
        for stream in ("crisis", "clash", "coercion", "voice"):
            mine = getattr(first_draws, stream)(month)
            np.testing.assert_array_equal(mine, getattr(drained_draws, stream)(month))
            assert not np.array_equal(mine, getattr(other_seed.setting.draws, stream)(month))


@pytest.mark.slow
def test_the_model_can_be_driven_by_mesa_batch_run() -> None:
    import subprocess
    import sys

    code = (
        "from mesa.batchrunner import batch_run\n"
        "from sim.mesa.model import CSTOModel\n"
        "rows = batch_run(CSTOModel, parameters={'drain_per_month': [0.0, 0.03], 'steps': 12},"
        " rng=[1, 2], max_steps=12, number_processes=1, display_progress=False)\n"
        "by = {(r['drain_per_month'], r['rng']): r['cohesion'] for r in rows}\n"
        "assert len(by) == 4 and len({r['RunId'] for r in rows}) == 4, by\n"
        "assert by[(0.0, 1)] > by[(0.03, 1)], by\n"
        "print('ok')\n"
    )
    # in a subprocess: importing mesa.batchrunner changes the multiprocessing start method
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
