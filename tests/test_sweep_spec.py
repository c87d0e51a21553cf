"""Sweep definitions: files and --param options, their validation, and the four designs.

Every bad input ends ``csto sweep`` with one line naming the file (or option), the key and what
was expected, exit status 2 and nothing written.
"""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.model.draws import derive_seeds
from sim.scenario import load
from sim.sweep import SweepError, from_options, load_sweep, with_options
from sim.sweep.design import points
from sim.sweep.spec import OUTCOME_COLUMNS, named_sweeps, parse_param

RUNNER = CliRunner()
CAPACITY = "russia.capacity.initial"

GRID_FILE = """
name = "small"
scenario = "baseline-2022"
seed = 7
replicates = 2
steps = 3
outcomes = ["final_cohesion", "min_cohesion", "final_alignment"]

[design]
method = "grid"

[parameters]
"russia.capacity.initial" = { low = 0.2, high = 0.8, levels = 3 }
mechanisms.voice_before_exit = { low = 3, high = 12, levels = 4 }
members.Kazakhstan.energy_transit = { levels = 2 }
"""


def write(folder: Path, text: str, name: str = "sweep.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def sweep_cli(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["sweep", *args])
    return result.exit_code, result.stdout, result.stderr


# --- reading sweep files ------------------------------------------------------------------


def test_sweep_file_is_read_with_quoted_and_dotted_keys_and_scenario_ranges(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, GRID_FILE))
    assert spec.name == "small" and spec.seed == 7 and spec.replicates == 2 and spec.horizon == 3
    assert spec.paths == (
        CAPACITY,
        "mechanisms.voice_before_exit",
        "members.Kazakhstan.energy_transit",
    )
    energy = spec.parameters[2]
    baseline = load("baseline-2022").values["members.Kazakhstan.energy_transit"]
    assert (energy.low, energy.high) == (baseline.low, baseline.high)
    assert spec.parameters[1].integer and not spec.parameters[0].integer
    assert spec.points() == 3 * 4 * 2 and spec.runs() == 48
    assert spec.outcomes == (
        "final_cohesion",
        "min_cohesion",
        *(c for c in OUTCOME_COLUMNS if c.startswith("final_alignment_")),
    )


def test_every_example_sweep_file_is_valid() -> None:
    sweeps = named_sweeps()
    assert {"capacity", "sobol-kazakhstan"} <= set(sweeps)
    for name in sweeps:
        spec = load_sweep(name)
        assert spec.runs() >= 1


def test_param_option_forms() -> None:
    scenario = load("baseline-2022")
    grid = parse_param(f"{CAPACITY}=0.2:0.8:5", scenario)
    assert (grid.low, grid.high, grid.levels) == (0.2, 0.8, 5)
    ranged = parse_param(f"{CAPACITY}=::4", scenario)
    assert (ranged.low, ranged.high, ranged.levels) == (0.3, 0.7, 4)
    bare = parse_param(CAPACITY, scenario)
    assert (bare.low, bare.high, bare.levels) == (0.3, 0.7, None)


def test_command_line_options_replace_and_extend_a_sweep_file(tmp_path: Path) -> None:
    spec = load_sweep(write(tmp_path, GRID_FILE))
    changed = with_options(
        spec,
        [f"{CAPACITY}=0.1:0.9:2", "russia.reserve_share=0.1:0.3:2"],
        replicates=5,
        seed=3,
    )
    assert changed.paths[0] == CAPACITY and changed.parameters[0].levels == 2
    assert changed.paths[-1] == "russia.reserve_share"
    assert changed.points() == 2 * 4 * 2 * 2 and changed.replicates == 5 and changed.seed == 3


# --- bad input: one line, exit 2, nothing written ----------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--param", "russia.capacity.inital=0:1:3"], "did you mean 'russia.capacity.initial'"),
        (["--param", "members.Kazakstan.energy_transit=0:1:3"], "did you mean 'members.Kazakhstan"),
        (["--param", "drills.every_months=1:6:3"], "not a value a sweep can vary"),
        (["--param", "russia.capacity.shape=0:1:2"], "not a value a sweep can vary"),
        (["--param", f"{CAPACITY}=0.8:0.2:3"], "expected low <= high"),
        (["--param", f"{CAPACITY}=0.2:1.5:3"], "outside the allowed [0, 1]"),
        (["--param", f"{CAPACITY}=0.2:x:3"], "HIGH: expected a number"),
        (["--param", f"{CAPACITY}=0.2:0.8"], "a grid design needs levels"),
        (["--param", "mechanisms.voice_before_exit=3.5:6:2"], "expected a whole number"),
        (["--param", "mechanisms.min_drill_participants=2:3:5"], "has at most 2 levels"),
        (["--param", f"{CAPACITY}=0.2:0.8:3", "--design", "sobel"], "did you mean 'sobol'"),
        (["--param", f"{CAPACITY}=0.2:0.8", "--design", "lhs"], "needs samples"),
        (["--param", f"{CAPACITY}=0.2:0.8", "--design", "sobol", "-n", "10"], "power of 2"),
        (["--param", f"{CAPACITY}=0.5:0.5", "--design", "morris", "-n", "4"], "low < high"),
        (["--param", "russia.capacity.shock_size=0:0.2:2"], "has no effect"),
    ],
)
def test_bad_command_line_input_is_one_line_and_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    out = tmp_path / "out"
    code, stdout, stderr = sweep_cli("baseline-2022", *args, "--out", str(out))
    assert code == 2, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    prefixes = ("csto: error: --param: ", "csto: error: --design: ", "csto: error: command line: ")
    assert lines[0].startswith(prefixes), lines[0]
    assert expected in lines[0]
    assert "Traceback" not in stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (("replicates = 2", "replicates = 0"), "replicates", "expected a whole number in [1,"),
        (("replicates = 2", "replicates = 'many'"), "replicates", "expected a whole number"),
        (("seed = 7", "sede = 7"), "sede", "did you mean 'seed'"),
        (
            ('scenario = "baseline-2022"', 'scenario = "baseline-2020"'),
            "scenario",
            "no such scenario",
        ),
        (('method = "grid"', 'method = "latin"'), "design.method", "expected one of grid, lhs"),
        (("levels = 3 }", "levels = 3, step = 1 }"), "step", "unknown key 'step'"),
        (
            ('"russia.capacity.initial"', '"russia.capacity.intial"'),
            "russia.capacity.intial",
            "did you mean",
        ),
        (("low = 0.2,", "low = 0.9,"), "russia.capacity.initial", "expected low <= high"),
        (
            ('outcomes = ["final_cohesion"', 'outcomes = ["final_coherence"'),
            "outcomes",
            "unknown outcome",
        ),
    ],
)
def test_bad_sweep_file_is_one_line_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], key: str, expected: str
) -> None:
    text = GRID_FILE.replace(*change)
    assert text != GRID_FILE
    path = write(tmp_path, text)
    out = tmp_path / "out"
    code, stdout, stderr = sweep_cli(str(path), "--out", str(out))
    assert code == 2, stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"csto: error: {path}") and key in lines[0] and expected in lines[0]
    assert not out.exists()


def test_capacity_value_unused_by_the_scenario_shape_is_refused(tmp_path: Path) -> None:
    constant = write(
        tmp_path,
        'extends = "baseline-2022"\n[russia.capacity]\nshape = "constant"\ndrain_per_month = 0.0\n',
        "constant.toml",
    )
    with pytest.raises(SweepError, match="has no effect: the scenario's capacity shape"):
        from_options(str(constant), ["russia.capacity.drain_per_month=0:0.02:3"])


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--replicates", "0", "expected a whole number in [1, 1000000], got 0"),
        ("--seed", "-1", "expected a whole number in [0, 9223372036854775807], got -1"),
        ("--workers", "0", "expected a whole number in [1, 4096], got 0"),
        ("--samples", "0", "expected a whole number >= 1, got 0"),
        ("--steps", "601", "expected a whole number in [1, 600], got 601"),
    ],
)
def test_numeric_options_out_of_range_are_one_line(
    tmp_path: Path, option: str, value: str, expected: str
) -> None:
    out = tmp_path / "out"
    code, _, stderr = sweep_cli("capacity", option, value, "--out", str(out))
    assert code == 2 and stderr.strip() == f"csto: error: {option}: {expected}"
    assert not out.exists()


def test_unknown_sweep_name_is_one_line() -> None:
    code, _, stderr = sweep_cli("capacityy")
    assert code == 2 and stderr.startswith("csto: error: capacityy: no such sweep")


# --- designs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("design", "extra", "expected"),
    [
        ("grid", [], 3 * 4),
        ("lhs", ["--samples", "20"], 20),
        ("sobol", ["--samples", "8"], 8 * (2 + 2)),
        ("morris", ["--samples", "5"], 5 * (2 + 1)),
    ],
)
def test_cli_designs_give_the_right_number_of_points(
    tmp_path: Path, design: str, extra: list[str], expected: int
) -> None:
    out = tmp_path / design
    code, stdout, stderr = sweep_cli(
        "baseline-2022",
        "--param",
        f"{CAPACITY}=0.3:0.7:3",
        "--param",
        "mechanisms.trust_loss_ignored=0.3:0.8:4",
        "--design",
        design,
        *extra,
        "--replicates",
        "2",
        "--steps",
        "2",
        "--workers",
        "1",
        "--out",
        str(out),
        "--quiet",
    )
    assert code == 0, stdout + stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["points"] == expected and manifest["runs"] == 2 * expected
    assert manifest["design"] == design and manifest["complete"] is True
    design_table = pd.read_parquet(out / "design.parquet")
    assert len(design_table) == expected
    assert list(design_table.columns) == ["point", CAPACITY, "mechanisms.trust_loss_ignored"]
    if design in ("sobol", "morris"):
        assert manifest["problem"]["names"] == [CAPACITY, "mechanisms.trust_loss_ignored"]


def test_sobol_and_morris_rows_are_salibs_samples_in_salibs_order() -> None:
    from SALib.sample import morris, sobol

    params = [f"{CAPACITY}=0.3:0.7", "mechanisms.inertia=0.8:0.97"]
    spec = from_options("baseline-2022", params, design="sobol", samples=16, seed=11)
    expected = sobol.sample(spec.problem(), 16, calc_second_order=False, seed=11)
    np.testing.assert_array_equal(points(spec), expected)
    spec = from_options("baseline-2022", params, design="morris", samples=6, seed=11)
    np.testing.assert_array_equal(
        points(spec), morris.sample(spec.problem(), 6, num_levels=4, seed=11)
    )


def test_designs_are_reproducible_and_whole_numbers_rounded() -> None:
    params = [f"{CAPACITY}=0.3:0.7", "mechanisms.voice_before_exit=3:12"]
    first = points(from_options("baseline-2022", params, design="lhs", samples=50, seed=3))
    again = points(from_options("baseline-2022", params, design="lhs", samples=50, seed=3))
    other = points(from_options("baseline-2022", params, design="lhs", samples=50, seed=4))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.array_equal(first[:, 1], np.round(first[:, 1]))
    assert first[:, 1].min() >= 3 and first[:, 1].max() <= 12
    # Latin hypercube: one sample in each of the 50 equal slices of each parameter's range
    slices = np.floor((first[:, 0] - 0.3) / 0.4 * 50).astype(int)
    assert sorted(slices.tolist()) == list(range(50))


def test_grid_order_first_parameter_slowest() -> None:
    spec = from_options(
        "baseline-2022", [f"{CAPACITY}=0.2:0.8:2", "russia.reserve_share=0.1:0.3:3"]
    )
    assert points(spec).tolist() == [
        [0.2, 0.1],
        [0.2, 0.2],
        [0.2, 0.3],
        [0.8, 0.1],
        [0.8, 0.2],
        [0.8, 0.3],
    ]


def test_replicate_seeds_are_derived_from_the_master_seed() -> None:
    spec = from_options("baseline-2022", [f"{CAPACITY}=0.2:0.8:2"], replicates=4, seed=9)
    assert spec.definition(10, False)["master_seed"] == 9
    assert len(set(derive_seeds(9, 4))) == 4


@pytest.mark.parametrize("module", ["sim.sweep", "sim.sweep.spec", "sim.sweep.design"])
def test_module_doctests_pass(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
