"""Benchmark: the batch engine's runs/s against another version of the project, side by side.

    git worktree add --detach ../csto-v1 257ee77          # the version to compare with
    scripts/uvrun python benchmarks/engine_versions.py --reference ../csto-v1

Times, in this checkout and in the ``--reference`` checkout, each in a fresh Python process (the
reference's ``sim`` first on ``PYTHONPATH``; same interpreter and packages), in interleaved
rounds so both see the same load:

* ``engine``: ``sim.engine.simulate`` on the baseline scenario, 36 months, summaries only (what
  a sweep asks of it), in batches of ``--batch`` runs;
* ``sweep``: ``sim.sweep.run_sweep`` on one worker, as ``benchmarks/sweep.py`` times it: a Latin
  hypercube over the baseline's initial capacity and trust lost to an ignored appeal (values
  both versions have), 36 months, written to a temporary Parquet folder,

and prints each one's best runs/s and the ratios. A ratio
measured this way is robust to a shared machine's load in a way absolute runs/s are not.

Model v2 (issue 9) allowed the engine's runs/s to fall by at most a quarter against the first
version (257ee77); docs/performance.md records a run. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Timed in the child: a warm-up batch, then ``runs`` runs in batches of ``batch``.
CHILD = """
import json, sys, time
import numpy as np
from sim.engine import simulate
from sim.scenario import load
runs, batch = int(sys.argv[1]), int(sys.argv[2])
scenario = load("baseline-2022")
seeds = np.arange(1, runs + 1, dtype=np.uint64)
simulate(scenario, seeds[:batch], steps=36)
started = time.perf_counter()
for first in range(0, runs, batch):
    simulate(scenario, seeds[first:first + batch], steps=36)
print(json.dumps(runs / (time.perf_counter() - started)))
"""


#: Timed in the child: a sweep of ``runs`` runs (a tenth of them design points) on one worker.
SWEEP = """
import json, sys, tempfile, time
from pathlib import Path
from sim.sweep import from_options, run_sweep
runs = int(sys.argv[1])
params = ["russia.capacity.initial=0.2:0.8", "mechanisms.trust_loss_ignored=0.3:0.8"]
options = dict(design="lhs", samples=runs // 10, replicates=10, seed=2022, steps=36)
import inspect
# the scenario's own values in both (a version whose sweeps draw from a posterior is told not to)
extra = {"posterior": False} if "posterior" in inspect.signature(from_options).parameters else {}
spec = from_options("baseline-2022", params, **options, **extra)
with tempfile.TemporaryDirectory() as folder:
    started = time.perf_counter()
    run_sweep(spec, Path(folder) / "sweep", workers=1)
    print(json.dumps(runs / (time.perf_counter() - started)))
"""


def runs_per_second(checkout: Path, code: str, *arguments: int) -> float:
    """Runs/s of ``code`` (:data:`CHILD` or :data:`SWEEP`) in ``checkout``, in a fresh
    process."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run(
        [sys.executable, "-c", code, *(str(number) for number in arguments)],
        cwd=checkout,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {done.stderr[-800:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", type=Path, required=True, help="the other checkout")
    parser.add_argument("--runs", type=int, default=20_000, help="runs per measurement")
    parser.add_argument("--batch", type=int, default=2_000, help="runs per engine call")
    parser.add_argument("--sweep-runs", type=int, default=40_000, help="runs per sweep")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    options = parser.parse_args()
    reference = options.reference.resolve()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    measured = {
        "engine": (CHILD, (options.runs, options.batch)),
        "sweep": (SWEEP, (options.sweep_runs,)),
    }
    figures: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.rounds):
        for what, (code, arguments) in measured.items():
            for name, checkout in (("this checkout", ROOT), ("reference", reference)):
                rate = runs_per_second(checkout, code, *arguments)
                figures.setdefault((what, name), []).append(rate)
    print(f"  {'measured':<10}{'checkout':<16}{'best runs/s':>13}{'median runs/s':>15}")
    for (what, name), values in figures.items():
        print(f"  {what:<10}{name:<16}{max(values):>13,.0f}{statistics.median(values):>15,.0f}")
    for what in measured:
        mine, theirs = figures[(what, "this checkout")], figures[(what, "reference")]
        best = max(mine) / max(theirs)
        paired = statistics.median(a / b for a, b in zip(mine, theirs, strict=True))
        print(f"  {what}: this / reference, best {best:.2f}, median of paired rounds {paired:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f} (reference: {reference})")


if __name__ == "__main__":
    main()
