"""Seed and parameter uncertainty told apart (sim.stats.split_uncertainty), on known answers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.stats import split_uncertainty


@pytest.mark.parametrize(("parameters", "seeds"), [(2.0, 1.0), (0.0, 1.0), (0.5, 0.1)])
def test_the_split_recovers_known_spreads(parameters: float, seeds: float) -> None:
    rng = np.random.default_rng(4)
    draws, replicates = 400, 30
    values = rng.normal(0, parameters, (draws, 1)) + rng.normal(0, seeds, (draws, replicates))
    found = split_uncertainty(values.ravel(), draws, replicates)
    assert found.seeds == pytest.approx(seeds, rel=0.05)
    assert found.parameters == pytest.approx(parameters, abs=0.1 * max(parameters, seeds))
    assert found.low < found.mean < found.high


def test_one_parameter_set_has_no_parameter_spread() -> None:
    found = split_uncertainty(np.arange(10.0), 1, 10)
    assert found.parameters == 0.0 and found.seeds > 0


def test_one_seed_per_parameter_set_puts_all_the_spread_on_the_parameters() -> None:
    found = split_uncertainty(np.arange(10.0), 10, 1)
    assert found.seeds == 0.0 and found.parameters == pytest.approx(np.arange(10.0).std(ddof=1))


def test_the_mean_over_posterior_runs_has_an_interval_that_covers_the_parameters() -> None:
    from sim.stats import DRAWS, DRAWS_AND_PARAMETERS, estimate

    # 50 parameter sets that move the outcome a lot, 10 seeds that move it a little: runs in a
    # set are not independent, and the t interval over the 500 runs would be far too narrow
    rng = np.random.default_rng(8)
    values = (rng.normal(0, 1.0, (50, 1)) + rng.normal(0, 0.1, (50, 10))).ravel()
    naive, drawn = estimate(values), estimate(values, draws=50)
    assert (naive.covers, drawn.covers) == (DRAWS, DRAWS_AND_PARAMETERS)
    assert drawn.mean == naive.mean and (drawn.low, drawn.high) == (naive.low, naive.high)
    assert drawn.ci_high - drawn.ci_low > 2.5 * (naive.ci_high - naive.ci_low)
