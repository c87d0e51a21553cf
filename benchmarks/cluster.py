"""Benchmark: ``csto sweep --cluster slurm`` against a local run of the same sweep, side by side.

    .ci/slurm                                          # a one-node SLURM on this machine
    scripts/uvrun python benchmarks/cluster.py         # the figures in docs/cluster.md
    scripts/uvrun python benchmarks/cluster.py --runs 40000   # a smaller sweep

The same Latin hypercube sweep (the baseline scenario, 36 months, 2000 runs a chunk) runs
through ``csto sweep`` as a command, each in a fresh process and a fresh folder:

1. locally, ``--workers 2`` (worker processes on this machine), the reference;
2. ``--cluster slurm --jobs 2 --cores 1`` (two single-core worker jobs on this machine's SLURM).

Each is timed from the command's start to its end (interpreter start-up, job submission and the
workers' start included: what a user waits for), and by the sweep's own rate (runs per second
from its first chunk sent to its last written, as ``csto sweep`` prints). The shards of the two
folders are compared byte for byte. Not a test: it prints its figures; the machine may be
shared, so the load average before each measurement is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def sweep_file(folder: Path, runs: int) -> Path:
    path = folder / "cluster-bench.toml"
    path.write_text(
        f"""
name = "cluster-bench"
scenario = "baseline-2022"
seed = 2022
replicates = 10
steps = 36
chunk_size = 2000

[design]
method = "lhs"
samples = {runs // 10}

[parameters]
"russia.capacity.drain_per_month" = {{ low = 0.0, high = 0.03 }}
"mechanisms.trust_loss_ignored" = {{ low = 0.3, high = 0.8 }}
""",
        encoding="utf-8",
    )
    return path


def measure(sweep: Path, out: Path, options: list[str]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    command = [sys.executable, "-m", "sim", "sweep", str(sweep), "--out", str(out), *options]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    session = manifest["sessions"][-1]
    return {
        "options": " ".join(options),
        "load": load,
        "seconds": seconds,
        "runs": manifest["runs"],
        "backend": session.get("backend"),
        "rate": manifest["runs"] / seconds,
        "sweep_rate": _sweep_rate(done.stdout),
    }


def _sweep_rate(summary: str) -> float:
    """The rate ``csto sweep`` prints in its summary table ("time  12.3 s (4,567 runs/s)")."""
    for line in summary.splitlines():
        if "runs/s)" in line:
            return float(line.split("(")[-1].split()[0].replace(",", ""))
    return float("nan")


def shards(folder: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((folder / "runs").glob("chunk-*.parquet"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200_000, help="runs in the sweep")
    parser.add_argument("--jobs", type=int, default=2, help="SLURM jobs (one core each)")
    arguments = parser.parse_args()
    if shutil.which("sbatch") is None:
        raise SystemExit("no SLURM here (sbatch not found); start one with .ci/slurm")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sweep = sweep_file(folder, arguments.runs)
        local = measure(sweep, folder / "local", ["--workers", "2"])
        cluster = ["--cluster", "slurm", "--jobs", str(arguments.jobs), "--cores", "1"]
        cluster += ["--memory", "2GB", "--walltime", "00:30:00"]
        slurm = measure(sweep, folder / "slurm", cluster)
        same = shards(folder / "local") == shards(folder / "slurm")
    print(f"sweep: {local['runs']:,} runs x 36 months (lhs, 2000 runs a chunk)")
    print(f"{'backend':<46} {'load':>5} {'wall s':>7} {'runs/s':>8} {'sweep runs/s':>13}")
    for part in (local, slurm):
        print(
            f"{part['backend']:<46} {part['load']:>5.2f} {part['seconds']:>7.1f} "
            f"{part['rate']:>8,.0f} {part['sweep_rate']:>13,.0f}"
        )
    print(
        f"SLURM / local: {slurm['rate'] / local['rate']:.2f} (wall), "
        f"{slurm['sweep_rate'] / local['sweep_rate']:.2f} (the sweep's own rate)"
    )
    print(f"shards byte-identical: {same}")


if __name__ == "__main__":
    main()
