"""Scenario discovery (PRIM, sim/discovery.py): planted boxes are recovered, with the coverage
and density they have by construction; a report words a box's limits."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from sim import discovery
from sim.discovery import prim
from sim.report.sweep import box_sentence, discovery_table, limit_words
from sim.results.outcomes import REGISTRY


def uniform(runs: int, names: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.random((runs, len(names))), columns=list(names))


def test_the_doctest_passes() -> None:
    result = doctest.testmod(discovery)
    assert result.attempted > 0 and result.failed == 0


def test_a_planted_box_is_recovered_with_its_limits_coverage_and_density() -> None:
    x = uniform(6000, "abcdef", seed=3)
    planted = x["a"].between(0.2, 0.6) & (x["b"] > 0.5)
    found = prim(x, planted.to_numpy())
    box = found.boxes[0]
    assert set(box.limits) == {"a", "b"}, box.limits
    assert box.limits["a"][0] == pytest.approx(0.2, abs=0.03)
    assert box.limits["a"][1] == pytest.approx(0.6, abs=0.03)
    assert box.limits["b"][0] == pytest.approx(0.5, abs=0.03)
    assert box.limits["b"][1] == pytest.approx(x["b"].max())  # not restricted above
    # coverage and density as defined, recomputed from the data
    inside = x["a"].between(*box.limits["a"]) & x["b"].between(*box.limits["b"])
    assert box.runs == int(inside.sum())
    assert box.density == pytest.approx(planted[inside].mean())
    assert box.coverage == pytest.approx(planted[inside].sum() / planted.sum())
    assert box.density > 0.95 and box.coverage > 0.95
    assert found.base_rate == pytest.approx(planted.mean())


def test_a_noisy_planted_box_is_recovered() -> None:
    x = uniform(8000, "abcd", seed=5)
    planted = (x["c"] < 0.35) & (x["d"] > 0.3)
    flipped = np.random.default_rng(9).random(len(x)) < 0.05
    found = prim(x, (planted.to_numpy() ^ flipped))
    box = found.boxes[0]
    assert set(box.limits) == {"c", "d"}
    assert box.limits["c"][1] == pytest.approx(0.35, abs=0.04)
    assert box.limits["d"][0] == pytest.approx(0.3, abs=0.04)
    assert box.density > 0.85


def test_two_planted_boxes_are_found_one_after_the_other() -> None:
    x = uniform(10000, "abcde", seed=11)
    first = (x["a"] < 0.3) & (x["b"] < 0.4)
    second = (x["d"] > 0.6) & (x["e"] > 0.6)
    found = prim(x, (first | second).to_numpy())
    restricted = [set(box.limits) for box in found.boxes]
    assert {"a", "b"} in restricted and {"d", "e"} in restricted
    assert sum(box.coverage for box in found.boxes) <= 1.0 + 1e-12


def test_a_grid_design_with_few_levels_is_peeled_level_by_level() -> None:
    levels = np.linspace(0.0, 1.0, 6)
    grid = np.array(np.meshgrid(levels, levels, levels, indexing="ij")).reshape(3, -1).T
    x = pd.DataFrame(np.repeat(grid, 4, axis=0), columns=["a", "b", "c"])
    planted = (x["a"] >= 0.6) & (x["c"] <= 0.2)
    box = prim(x, planted.to_numpy()).boxes[0]
    assert box.limits == {"a": (levels[3], 1.0), "c": (0.0, levels[1])}
    assert box.density == 1.0 and box.coverage == 1.0


def test_no_box_for_an_outcome_that_never_happens() -> None:
    x = uniform(500, "ab", seed=1)
    assert prim(x, np.zeros(500, dtype=bool)).boxes == []


def test_inputs_that_do_not_match_are_refused() -> None:
    with pytest.raises(ValueError, match="rows"):
        prim(uniform(10, "ab", seed=1), np.zeros(9, dtype=bool))


def test_a_box_in_words_names_meanings_limits_coverage_and_density() -> None:
    x = pd.DataFrame(
        np.random.default_rng(2).random((3000, 2)) * [1.0, 0.3] + [0.0, 0.2],
        columns=["russia.capacity.initial", "mechanisms.exit_threshold"],
    )
    planted = (x["russia.capacity.initial"] < 0.4) & (x["mechanisms.exit_threshold"] > 0.35)
    found = prim(x, planted.to_numpy())
    box = found.boxes[0]
    outcome = REGISTRY.get("froze_Armenia")
    text = box_sentence(1, box, found, outcome)
    high = box.limits["russia.capacity.initial"][1]
    assert f"(russia.capacity.initial) at most {high:.3g}" in text
    assert (
        f"(mechanisms.exit_threshold) at least {box.limits['mechanisms.exit_threshold'][0]:.3g}"
        in text
    )
    assert "Russia's capacity for the region" in text  # the schema's meaning
    assert (
        f"In {box.density:.0%} of its runs Armenia froze its participation (exit) (density" in text
    )
    assert (
        f"it holds {box.coverage:.0%} of all runs in which Armenia froze its participation "
        "(exit) (coverage)" in text
    )
    assert limit_words("russia.capacity.initial", 0.2, 0.5, (0.0, 1.0)).endswith(
        "between 0.2 and 0.5"
    )
    table = discovery_table(found)
    assert list(table["parameter"]) == list(box.limits)
    assert table["coverage"].iloc[0] == box.coverage
