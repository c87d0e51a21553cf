"""Benchmark: how fast the ``csto`` command line starts and runs, against importing numpy.

    scripts/uvrun python benchmarks/cli.py               # the figures in docs/performance.md
    scripts/uvrun python benchmarks/cli.py --rounds 3    # fewer rounds

Times, side by side in interleaved rounds (each round runs every command once, in turn), the
wall time of three fresh processes:

* ``python -c "import numpy"``: the reference, what any numerical Python program pays first;
* ``csto --help``;
* ``csto run baseline-2022 --no-posterior`` (30 seeds at the scenario's own values: the run
  issue 8's target was set on);
* ``csto run baseline-2022``: the default, 100 parameter sets from the calibrated posterior x 10
  seeds (1,000 runs);
* ``csto run baseline-2022 --draws 1000``: 1,000 parameter sets x 10 seeds (10,000 runs, issue
  10's target),

each into a temporary ``--out``,

and prints each one's minimum and median and their ratios to the reference, and the processor
time (user + system) each used, which a shared machine inflates less than the wall time: for
these single-threaded commands it is close to the wall time on an idle machine. It measures
twice:

1. **without cached bytecode**, as these machines run (``PYTHONDONTWRITEBYTECODE=1``: every
   module without a ``.pyc`` already on disk is compiled from source at each start);
2. **with cached bytecode**, as a user's machine runs after the first start: the variable unset
   and ``PYTHONPYCACHEPREFIX`` pointing at a temporary folder that a warm-up run of each
   command fills.

Targets on an idle 2-core machine: ``csto --help`` at most 3 x the numpy import, ``csto run
baseline-2022 --no-posterior`` under 2.5 s, 1,000 posterior draws x 10 seeds at most 5 s. Not a
test: it prints its figures (``--json FILE`` saves them); docs/performance.md records a run.
The machine may be shared: the load average is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HELP_TARGET = 3.0  # x the numpy import
RUN_TARGET = 2.5  # seconds
DRAWS_TARGET = 5.0  # seconds, 1,000 posterior draws x 10 seeds


def csto() -> list[str]:
    """The ``csto`` script of this environment (else ``python -m sim``)."""
    script = Path(sys.executable).parent / "csto"
    return [str(script)] if script.exists() else [sys.executable, "-m", "sim"]


def commands() -> dict[str, list[str]]:
    return {
        "import numpy": [sys.executable, "-c", "import numpy"],
        "csto --help": [*csto(), "--help"],
        "csto run --no-posterior": [*csto(), "run", "baseline-2022", "--no-posterior"],
        "csto run (100 x 10)": [*csto(), "run", "baseline-2022"],
        "csto run --draws 1000": [*csto(), "run", "baseline-2022", "--draws", "1000"],
    }


def children_cpu() -> float:
    """Processor seconds (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(
    command: list[str], environment: Mapping[str, str], out: Path | None
) -> tuple[float, float]:
    """Seconds from start to exit of one process (its output discarded), and the processor
    seconds it used."""
    arguments = [*command, "--out", str(out)] if out is not None else command
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        arguments,
        cwd=ROOT,
        env=dict(environment),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed: {done.stderr.decode()[-500:]}")
    return seconds, children_cpu() - cpu


def measure(environment: Mapping[str, str], rounds: int, scratch: Path) -> dict[str, Any]:
    """Interleaved rounds of every command; min and median wall and processor time of each."""
    times: dict[str, list[float]] = {name: [] for name in commands()}
    cpus: dict[str, list[float]] = {name: [] for name in commands()}
    for round_number in range(rounds):
        for name, command in commands().items():
            out = scratch / f"out-{round_number}" if name.startswith("csto run") else None
            seconds, cpu = wall(command, environment, out)
            times[name].append(seconds)
            cpus[name].append(cpu)
    return {
        name: {
            "min": min(values),
            "median": statistics.median(values),
            "all": values,
            "cpu_min": min(cpus[name]),
            "cpu_median": statistics.median(cpus[name]),
        }
        for name, values in times.items()
    }


def pyc_files() -> int:
    """Bytecode files already on disk for this environment and the project."""
    roots = [Path(sys.prefix), ROOT / "sim"]
    return sum(1 for root in roots for _ in root.rglob("*.pyc"))


def report(title: str, figures: Mapping[str, Any]) -> None:
    numpy = figures["import numpy"]
    print(f"\n{title}")
    print(
        f"  {'command':<26}{'min s':>8}{'median s':>10}{'x numpy (min)':>15}"
        f"{'cpu min s':>11}{'cpu median s':>14}"
    )
    for name, stats in figures.items():
        ratio = stats["min"] / numpy["min"]
        print(
            f"  {name:<26}{stats['min']:>8.2f}{stats['median']:>10.2f}{ratio:>15.2f}"
            f"{stats['cpu_min']:>11.2f}{stats['cpu_median']:>14.2f}"
        )
    help_ratio = figures["csto --help"]["min"] / numpy["min"]
    run_seconds = figures["csto run --no-posterior"]["min"]
    draws_seconds = figures["csto run --draws 1000"]["min"]
    help_met = "met" if help_ratio <= HELP_TARGET else "NOT met"
    run_met = "met" if run_seconds < RUN_TARGET else "NOT met"
    draws_met = "met" if draws_seconds <= DRAWS_TARGET else "NOT met"
    print(f"  target csto --help <= {HELP_TARGET:g} x numpy: {help_ratio:.2f} x, {help_met}")
    print(f"  target csto run --no-posterior < {RUN_TARGET:g} s: {run_seconds:.2f} s, {run_met}")
    print(
        f"  target 1,000 draws x 10 seeds <= {DRAWS_TARGET:g} s: {draws_seconds:.2f} s, {draws_met}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per mode (default 5)")
    parser.add_argument("--json", type=Path, help="also save the figures as JSON")
    options = parser.parse_args()
    base = {key: value for key, value in os.environ.items() if key != "PYTHONPYCACHEPREFIX"}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="csto-cli-bench-") as folder:
        scratch = Path(folder)
        uncached = {**base, "PYTHONDONTWRITEBYTECODE": "1"}
        present = pyc_files()
        results["no bytecode written"] = measure(uncached, options.rounds, scratch / "a")
        report(
            f"1. PYTHONDONTWRITEBYTECODE=1 (nothing compiled is kept; {present} .pyc files "
            "were already on disk for this environment)",
            results["no bytecode written"],
        )
        cache = scratch / "pycache"
        cached = {key: value for key, value in base.items() if key != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = str(cache)
        measure(cached, 1, scratch / "warm-up")  # writes every module's bytecode
        cached_files = sum(1 for _ in cache.rglob("*.pyc"))
        results["bytecode cached"] = measure(cached, options.rounds, scratch / "b")
        report(
            f"2. bytecode cached (PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX filled by "
            f"a warm-up run: {cached_files} .pyc files)",
            results["bytecode cached"],
        )
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if options.json is not None:
        options.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
