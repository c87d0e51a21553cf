"""How a child scenario's values resolve against its parent's."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.scenario import ScenarioError


def child(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "baseline-2022"\ntitle = "test"\n{body}', encoding="utf-8")
    return path


def test_an_override_keeps_the_parents_range_only_while_it_brackets_the_value(
    tmp_path: Path,
) -> None:
    inside = sim.load(child(tmp_path, "members.Kazakhstan.energy_transit = 0.7\n"))
    kept = inside.values["members.Kazakhstan.energy_transit"]
    assert (kept.value, kept.low, kept.high) == (0.7, 0.67, 0.8)
    assert kept.source == "set by scenario child"
    outside = sim.load(
        child(tmp_path, 'members.Kazakhstan.energy_transit = { value = 0.5, source = "x" }\n')
    )
    dropped = outside.values["members.Kazakhstan.energy_transit"]
    assert (dropped.value, dropped.low, dropped.high, dropped.source) == (0.5, None, None, "x")


def test_a_constant_path_ignores_an_inherited_drain(tmp_path: Path) -> None:
    scenario = sim.load(child(tmp_path, '[russia.capacity]\nshape = "constant"\n'))
    assert scenario["russia.capacity.drain_per_month"] == 0.01  # inherited, unused
    result = sim.run(scenario, seed=1, steps=6)
    assert result.alliance_series()["capacity"].nunique() == 1


def test_a_drain_set_beside_a_constant_shape_is_refused(tmp_path: Path) -> None:
    path = child(tmp_path, '[russia.capacity]\nshape = "constant"\ndrain_per_month = 0.02\n')
    with pytest.raises(ScenarioError, match="drain_per_month = 0"):
        sim.load(path)
