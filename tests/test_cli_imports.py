"""A fast command line: ``csto --help`` and the scenario commands import no heavy library.

Each command runs in a fresh interpreter (a real process, so the test is marked slow) that
reports the modules loaded when the command has finished.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from csto_cli import ROOT

#: Libraries that take seconds to import; none of them is needed to read scenario files.
HEAVY = ("pandas", "scipy", "matplotlib", "seaborn", "mesa", "dask", "distributed", "pyarrow")

PROBE = """
import json, sys
sys.argv = ["csto", *json.loads(sys.argv[1])]
from sim.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "arguments",
    [
        ["--help"],
        ["scenarios"],
        ["show", "baseline-2022"],
        ["validate", "scenarios/baseline-2022.toml", "scenarios/ceasefire-2023.toml"],
    ],
    ids=lambda arguments: arguments[0].lstrip("-"),
)
def test_the_command_imports_no_heavy_library(arguments: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert sorted(loaded & set(HEAVY)) == []
    assert "sim.engine" not in report["modules"]


#: Libraries ``csto run`` does not need: the t quantiles come from scipy.special and the
#: figures are drawn without pyplot or seaborn (docs/performance.md, "The command line").
NOT_FOR_A_RUN = ("scipy.stats", "scipy.optimize", "seaborn", "matplotlib.pyplot", "mesa", "dask")


@pytest.mark.slow
def test_a_run_imports_neither_scipy_stats_nor_pyplot_nor_seaborn(tmp_path: Path) -> None:
    arguments = ["run", "baseline-2022", "-r", "2", "-t", "3", "--out", str(tmp_path), "-q"]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(arguments)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, done.stderr
    # the default run draws 100 parameter sets from the posterior
    assert (tmp_path / "baseline-2022" / "seed1-d100-r2-t3" / "figures" / "members.png").is_file()
    modules = set(report["modules"])
    assert "matplotlib.figure" in modules, "the probe must see the figures being drawn"
    assert sorted(name for name in NOT_FOR_A_RUN if name in modules) == []


def test_the_command_line_defaults_match_the_results_layer() -> None:
    from sim.cli import options
    from sim.results import folder
    from sim.sweep import store

    assert options.DEFAULT_OUT == folder.DEFAULT_OUT
    assert options.DEFAULT_SWEEP_ROOT == store.DEFAULT_ROOT
