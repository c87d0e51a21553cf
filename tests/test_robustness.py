"""Defects a fault trial found in reading scenario and sweep files (issue 13, robustness).

Each test here failed before its fix: bad input must end in one line naming the file, the key
and what was expected, exit status 2, no traceback and nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from csto_cli import assert_one_line_error, files_under, invoke

from sim.scenario import ScenarioError, load
from sim.sweep import SweepError, from_options, load_sweep
from sim.sweep.design import points

SWEEP = """
scenario = "baseline-2022"
replicates = 1
steps = 2

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 2 }
"""


def sweep_file(folder: Path, extra: str = "", name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(SWEEP + extra, encoding="utf-8")
    return path


def assert_sweep_refused(arguments: list[str | Path], out: Path, *fragments: str) -> str:
    message = assert_one_line_error(invoke("sweep", *arguments, "--out", out, "--quiet"))
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert files_under(out) == []
    return message


# --- 3: [fixed] and swept values get the scenario's cross-field checks ----------------------


@pytest.mark.parametrize(
    ("fixed", "key", "expected"),
    [
        (
            '"russia.capacity.floor" = 0.9\n"russia.capacity.ceiling" = 0.5\n',
            "fixed.russia.capacity.floor",
            "expected floor <= ceiling",
        ),
        (
            '"russia.capacity.shape" = "shock"\n',
            "fixed.russia.capacity.shock_at",
            "the 'shock' capacity shape needs shock_at",
        ),
        (
            '"russia.capacity.shape" = "constant"\n"russia.capacity.drain_per_month" = 0.02\n',
            "fixed.russia.capacity.drain_per_month",
            "must have drain_per_month = 0",
        ),
    ],
)
def test_fixed_values_get_the_scenarios_cross_field_checks(
    tmp_path: Path, fixed: str, key: str, expected: str
) -> None:
    path = sweep_file(tmp_path, "\n[fixed]\n" + fixed)
    with pytest.raises(SweepError) as caught:
        load_sweep(path)
    assert caught.value.key == key and expected in caught.value.expected
    assert_sweep_refused([path], tmp_path / "out", f"{path}: {key}: ", expected)


def test_every_design_point_is_checked_before_any_run(tmp_path: Path) -> None:
    # the baseline's floor is 0.1: a ceiling of 0 breaks floor <= ceiling at the first point
    arguments: list[str | Path] = ["baseline-2022", "--param", "russia.capacity.ceiling=0:1:3"]
    message = assert_sweep_refused(
        arguments,
        tmp_path / "out",
        "russia.capacity.ceiling",
        "design point 0",
        "russia.capacity.ceiling = 0",
        "russia.capacity.floor = 0.1",
        "expected floor <= ceiling",
    )
    assert message.startswith("csto: error: command line: russia.capacity.ceiling: ")
    spec = from_options("baseline-2022", ["russia.capacity.ceiling=0.5:1:3"])
    assert points(spec).shape == (3, 1)  # a valid sweep of the same value still runs


def test_a_sampled_design_is_checked_point_by_point(tmp_path: Path) -> None:
    spec = from_options(
        "baseline-2022",
        ["russia.capacity.floor=0:0.6", "russia.capacity.ceiling=0.4:1"],
        design="lhs",
        samples=50,
    )
    with pytest.raises(SweepError, match=r"design point \d+ has .*: expected floor <= ceiling"):
        points(spec)


def test_a_child_scenario_with_the_same_values_is_refused_the_same_way(tmp_path: Path) -> None:
    child = tmp_path / "child.toml"
    child.write_text(
        'extends = "baseline-2022"\n[russia.capacity]\nfloor = 0.9\nceiling = 0.5\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="expected floor <= ceiling"):
        load(child)
    with pytest.raises(ScenarioError, match="expected floor <= ceiling"):
        load("baseline-2022").with_values(
            {"russia.capacity.floor": 0.9, "russia.capacity.ceiling": 0.5}
        )
