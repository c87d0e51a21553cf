"""Replicates: seeds derived up front, each replicate the plain run of its seed, statistics
over replicates with known answers."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.engine import run
from sim.model.draws import derive_seeds
from sim.results import folder as output
from sim.results import replicates
from sim.results.replicates import CHUNK, freezes, member_outcomes, run_replicates
from sim.scenario import load, schema
from sim.stats import describe

#: Mechanisms under which members exit within two years (tests/data/reports/fragile.toml).
QUICK_EXIT = {
    "mechanisms.exit_threshold": 0.5,
    "mechanisms.loyalty": 0.0,
    "mechanisms.voice_before_exit": 1,
    "mechanisms.weight_regime": 0.5,
    "mechanisms.weight_lockin": 0.5,
}


@pytest.fixture(scope="module")
def fragile() -> object:
    """The baseline with members quick to exit (a stance under hedging counts as turned, no
    loyalty, one unanswered voice act, a weak pull to stay), so members freeze."""
    return load("baseline-2022").with_values(QUICK_EXIT, origin="test")


def test_each_replicate_is_the_run_of_its_derived_seed() -> None:
    runs = run_replicates("baseline-2022", seed=9, replicates=3, steps=5)
    assert list(runs.seeds) == derive_seeds(9, 3)
    for replicate, seed in enumerate(runs.seeds):
        alone = run("baseline-2022", seed=seed, steps=5)
        mine = runs.timeseries[runs.timeseries["replicate"] == replicate]
        pd.testing.assert_frame_equal(
            mine.drop(columns=["scenario", "replicate", "seed"]).reset_index(drop=True),
            alone.timeseries,
        )
        row = runs.summary[runs.summary["replicate"] == replicate].iloc[0]
        assert row["final_cohesion"] == alone.summary["final_cohesion"]


def test_replicates_do_not_depend_on_how_many_are_run() -> None:
    few = run_replicates("baseline-2022", seed=4, replicates=2, steps=4)
    many = run_replicates("baseline-2022", seed=4, replicates=4, steps=4)
    pd.testing.assert_frame_equal(
        few.timeseries, many.timeseries[many.timeseries["replicate"] < 2].reset_index(drop=True)
    )


def test_progress_is_reported_as_chunks_of_replicates_finish() -> None:
    calls: list[tuple[int, int]] = []
    total = CHUNK + 3
    run_replicates(
        "baseline-2022", 1, total, 2, progress=lambda done, total: calls.append((done, total))
    )
    assert calls == [(CHUNK, total), (total, total)]


def test_at_least_one_replicate() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_replicates("baseline-2022", 1, 0, 2)


def test_describe_known_answers() -> None:
    frame = pd.DataFrame({"group": ["a"] * 4 + ["b"] * 2, "x": [1.0, 2.0, 3.0, 4.0, 5.0, 5.0]})
    table = describe(frame, "x", by=["group"]).set_index("group")
    half = stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2
    assert table.at["a", "n"] == 4
    assert table.at["a", "mean"] == pytest.approx(2.5)
    assert table.at["a", "ci_low"] == pytest.approx(2.5 - half)
    assert table.at["a", "ci_high"] == pytest.approx(2.5 + half)
    assert table.at["a", "low"] == pytest.approx(np.quantile([1, 2, 3, 4], 0.025))
    assert table.at["b", "ci_low"] == table.at["b", "ci_high"] == 5.0
    single = describe(frame.head(1), "x").iloc[0]
    assert single["mean"] == 1.0
    assert math.isnan(single["ci_low"]) and math.isnan(single["ci_high"])


def test_member_outcomes_count_freezes_and_their_months(fragile: object) -> None:
    runs = run_replicates(fragile, seed=2, replicates=6, steps=24)  # type: ignore[arg-type]
    frozen = freezes(runs)
    outcomes = member_outcomes(runs).set_index("member")
    assert list(outcomes.index) == list(schema.MEMBERS)
    assert len(frozen) > 0
    for name in schema.MEMBERS:
        mine = frozen[frozen["member"] == name]
        assert outcomes.at[name, "froze_share"] == mine["replicate"].nunique() / 6
        if len(mine):
            months = sorted(mine["date"])
            assert outcomes.at[name, "freeze_first"] == months[0]
            assert outcomes.at[name, "freeze_last"] == months[-1]
            assert months[0] <= outcomes.at[name, "freeze_median"] <= months[-1]
            summary = runs.summary.set_index("replicate")[f"freeze_month_{name}"]
            assert sorted(summary.dropna()) == months
        else:
            assert outcomes.at[name, "freeze_median"] == ""
    final = runs.timeseries[runs.timeseries["step"] == 24]
    means = final.groupby("member")["alignment"].mean()
    for name in schema.MEMBERS:
        assert outcomes.at[name, "alignment"] == pytest.approx(means[name])


@pytest.mark.parametrize("module", [replicates, output])
def test_module_doctests_pass(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
