"""Benchmark: sweeps through ``mesa.batch_run`` and through the batch engine, on this machine.

    scripts/uvrun python benchmarks/sweep.py            # the figures in docs/performance.md
    scripts/uvrun python benchmarks/sweep.py --quick    # a tenth of the sizes (smoke run)

Every measurement runs in a fresh Python process and times only the sweep itself (not the
interpreter's start-up nor imports):

1. The same sweep (the baseline scenario, 36 months, a 5 x 4 grid of
   ``russia.capacity.drain_per_month`` x ``mechanisms.trust_loss_ignored``, replicate seeds
   derived from one master seed) through ``mesa.batch_run`` on the Mesa model (1 and 2
   processes) and through ``csto sweep``'s engine (``sim.sweep.run_sweep``, writing its
   Parquet folder). The Mesa runs are a subset of the engine's (same points, same seeds):
   their outcomes are compared, to show it is the same sweep.
2. Runs/s of a 200,000-run Latin hypercube sweep with 1 worker and with 2 workers.
3. Peak memory of ``csto sweep --workers 2`` for a 10,000-run and a 1,000,000-run Latin
   hypercube sweep (the design grows with the sweep: 1,000 and 100,000 points x 10): the
   proportional set size (PSS: each shared page split between the processes sharing it, so
   forked workers are not counted twice) summed over the coordinator and every process it
   started, sampled every 50 ms; the coordinator's own peak resident set size beside it.
4. Runs/s of the 200,000-run sweep of 2. with 1 worker, drawing the values it does not vary
   from the baseline's calibrated posterior (a sweep's default), beside 2.'s figure.

Parts 1 to 3 run the scenario's own values (``posterior=False``, ``--no-posterior``), as
``mesa.batch_run`` does: the comparison is like with like, and their figures are those of the
sweeps measured before sweeps could draw from a posterior.

Not a test: it prints its figures (and ``--json FILE`` saves them); docs/performance.md records
a run. The machine may be shared: the load average before each measurement is shown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MASTER_SEED = 2022
DRAIN = "russia.capacity.drain_per_month"
LOSS = "mechanisms.trust_loss_ignored"
GRID = (f"{DRAIN}=0:0.02:5", f"{LOSS}=0.3:0.8:4")  # 20 design points
LHS = ("russia.capacity.initial=0.2:0.8", f"{LOSS}=0.3:0.8", "russia.reserve_share=0.1:0.4")
STEPS = 36


# --- parts, each run in its own process -------------------------------------------------------


def part_mesa(processes: int, replicates: int) -> dict[str, Any]:
    """``mesa.batch_run`` over the grid: every point x ``replicates`` seeds."""
    import numpy as np
    from mesa.batchrunner import batch_run

    from sim.mesa.model import CSTOModel
    from sim.model.draws import derive_seeds

    seeds = derive_seeds(MASTER_SEED, replicates)
    parameters = {
        "drain_per_month": [float(x) for x in np.linspace(0.0, 0.02, 5)],
        "trust_loss_ignored": [float(x) for x in np.linspace(0.3, 0.8, 4)],
        "steps": STEPS,
    }
    started = time.perf_counter()
    rows = batch_run(
        CSTOModel,
        parameters=parameters,
        rng=seeds,
        number_processes=processes,
        data_collection_period=-1,
        max_steps=STEPS,
        display_progress=False,
    )
    seconds = time.perf_counter() - started
    runs: dict[int, dict[str, Any]] = {}
    for row in rows:  # one row per member agent; the model's reporters repeat on each
        runs.setdefault(row["RunId"], row)
    outcomes = [
        {
            "drain": run["drain_per_month"],
            "loss": run["trust_loss_ignored"],
            "seed": str(run["rng"]),
            "final_cohesion": run["cohesion"],
            "min_cohesion": run["min_cohesion"],
            "drills_cancelled": run["drills_cancelled"],
            "first_freeze_step": run["first_freeze_step"],
            "first_freeze_member": run["first_freeze_member"],
            **{k: v for k, v in run.items() if k.startswith("alignment_")},
        }
        for run in runs.values()
    ]
    return {"runs": len(runs), "seconds": seconds, "outcomes": outcomes}


def part_engine(
    params: list[str],
    design: str,
    samples: int | None,
    replicates: int,
    workers: int | None,
    posterior: bool = False,
) -> dict[str, Any]:
    """``run_sweep`` into a temporary folder; the Mesa comparison reads its rows back.
    ``posterior``: draw the values not swept from the baseline's posterior."""
    from sim.sweep import from_options, read_runs, run_sweep

    spec = from_options(
        "baseline-2022",
        params,
        design=design,
        samples=samples,
        replicates=replicates,
        seed=MASTER_SEED,
        steps=STEPS,
        posterior=posterior,
    )
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        summary = run_sweep(spec, Path(folder) / "sweep", workers=workers)
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "runs": summary.present,
            "failed": summary.failed,
            "seconds": seconds,
            "backend": summary.backend,
            "processes": len(summary.workers),
        }
        if design == "grid":
            columns = ["seed", DRAIN, LOSS, "final_cohesion", "min_cohesion", "drills_cancelled"]
            columns += ["first_freeze_step", "first_freeze_member"]
            columns += [c for c in spec.outcomes if c.startswith("final_alignment_")]
            rows = read_runs(Path(folder) / "sweep", columns)
            rows["seed"] = rows["seed"].astype(str)  # uint64 seeds beyond JSON's doubles
            plain = rows.astype(object).where(rows.notna(), None)
            result["rows"] = [  # exact floats (pandas' to_json keeps 10 digits)
                {
                    key: value.item() if hasattr(value, "item") else value
                    for key, value in row.items()
                }
                for row in plain.to_dict("records")
            ]
    return result


# --- the orchestrator -------------------------------------------------------------------------


def load() -> float:
    return os.getloadavg()[0]


def run_part(*args: str) -> dict[str, Any]:
    """Run one part in a fresh interpreter; return its JSON."""
    before = load()
    done = subprocess.run(
        [sys.executable, __file__, "--part", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark part {args} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_before"] = before
    return result


def footprint(process: Any) -> int:
    """A process's proportional set size (Linux), else its resident set size."""
    try:
        return int(process.memory_full_info().pss)
    except AttributeError:  # pragma: no cover - no PSS off Linux
        return int(process.memory_info().rss)


def peak_memory(samples: int, replicates: int, workers: int) -> dict[str, Any]:
    """``csto sweep`` as a user runs it; peak memory of its process tree (every 50 ms)."""
    import psutil

    before = load()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "sim", "sweep", "baseline-2022"]
        for param in LHS:
            command += ["--param", param]
        command += ["--design", "lhs", "--samples", str(samples), "--replicates", str(replicates)]
        command += ["--seed", str(MASTER_SEED), "--workers", str(workers), "--quiet"]
        command += ["--no-posterior"]
        command += ["--out", str(Path(folder) / "sweep")]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        root = psutil.Process(process.pid)
        peak_tree = peak_root = 0
        most = 0
        while process.poll() is None:
            try:
                tree = [root, *root.children(recursive=True)]
                sizes = [footprint(p) for p in tree]
                own = root.memory_info().rss
            except psutil.Error:
                continue
            peak_tree = max(peak_tree, sum(sizes))
            peak_root = max(peak_root, own)
            most = max(most, len(tree))
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        _, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"csto sweep failed:\n{err.decode()[-3000:]}")
    return {
        "runs": samples * replicates,
        "seconds": seconds,
        "peak_tree_mib": peak_tree / 2**20,
        "peak_coordinator_mib": peak_root / 2**20,
        "processes": most,
        "load_before": before,
    }


def compare(mesa: dict[str, Any], engine: dict[str, Any]) -> tuple[int, float]:
    """Match every Mesa run to the engine's row with the same point and seed."""
    rows = {(round(r[DRAIN], 12), round(r[LOSS], 12), str(r["seed"])): r for r in engine["rows"]}
    largest = 0.0
    for run in mesa["outcomes"]:
        row = rows[(round(run["drain"], 12), round(run["loss"], 12), run["seed"])]
        for name in ("final_cohesion", "min_cohesion"):
            largest = max(largest, abs(row[name] - run[name]))
        for key, value in run.items():
            if key.startswith("alignment_"):
                largest = max(largest, abs(row["final_" + key] - value))
        assert row["drills_cancelled"] == run["drills_cancelled"]
        assert row["first_freeze_step"] == run["first_freeze_step"]
        assert (row["first_freeze_member"] or "") == run["first_freeze_member"]
    return len(mesa["outcomes"]), largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--json", type=Path, help="also save the figures as JSON")
    parser.add_argument("--part", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:
        kind, *rest = args.part
        if kind == "mesa":
            result = part_mesa(int(rest[0]), int(rest[1]))
        else:
            design, samples, replicates, workers, values = rest
            params = list(GRID if design == "grid" else LHS)
            result = part_engine(
                params,
                design,
                None if samples == "-" else int(samples),
                int(replicates),
                None if workers == "-" else int(workers),
                posterior=values == "posterior",
            )
        print(json.dumps(result))
        return

    scale = 10 if args.quick else 1
    cores = len(os.sched_getaffinity(0))
    print(
        f"Machine: {cores} cores; load average {os.getloadavg()}; Python {sys.version.split()[0]}"
    )
    figures: dict[str, Any] = {"cores": cores, "quick": args.quick}

    print("mesa.batch_run, 1 process ...", flush=True)
    mesa1 = run_part("mesa", "1", str(10 // min(scale, 5)))
    print("mesa.batch_run, 2 processes ...", flush=True)
    mesa2 = run_part("mesa", "2", str(20 // min(scale, 5)))
    print("batch engine, same grid, default workers ...", flush=True)
    engine = run_part("engine", "grid", "-", str(1000 // scale), "-", "own")
    matched, largest = compare(mesa1, engine)
    print("batch engine, 1 worker vs 2 workers ...", flush=True)
    one = run_part("engine", "lhs", str(20_000 // scale), "10", "1", "own")
    two = run_part("engine", "lhs", str(20_000 // scale), "10", "2", "own")
    print("batch engine, 1 worker, drawing from the posterior ...", flush=True)
    drawn = run_part("engine", "lhs", str(20_000 // scale), "10", "1", "posterior")
    print("peak memory ...", flush=True)
    small = peak_memory(1_000 // scale, 10, 2)
    large = peak_memory(100_000 // scale, 10, 2)

    def rate(part: dict[str, Any]) -> float:
        return float(part["runs"]) / float(part["seconds"])

    mesa_best = max(rate(mesa1), rate(mesa2))
    rows = [
        ("mesa.batch_run, 1 process", mesa1, "1 process", rate(mesa1) / mesa_best),
        ("mesa.batch_run, 2 processes", mesa2, "2 processes", rate(mesa2) / mesa_best),
        ("batch engine sweep (csto sweep), default", engine, engine["backend"], None),
        ("batch engine sweep, --workers 1", one, one["backend"], None),
        ("batch engine sweep, --workers 2", two, two["backend"], None),
        ("batch engine sweep, --workers 1, posterior draws", drawn, drawn["backend"], None),
    ]
    print()
    print("| measurement | runs | seconds | runs/s | x mesa.batch_run (best) | ran on | load |")
    print("|---|---:|---:|---:|---:|---|---:|")
    for label, part, where, _ in rows:
        print(
            f"| {label} | {part['runs']:,} | {part['seconds']:.2f} | {rate(part):,.0f} | "
            f"{rate(part) / mesa_best:,.1f} | {where} | {part['load_before']:.2f} |"
        )
    print()
    print(f"Same sweep: the {matched} Mesa runs equal the engine's rows for the same points and")
    print(f"seeds (largest difference in any outcome: {largest:.1e}).")
    print(f"Speed-up over mesa.batch_run's best: {rate(engine) / mesa_best:,.0f}x (target 100x)")
    print(f"2 workers / 1 worker: {rate(two) / rate(one):.2f}x (target 1.7x)")
    print(f"Drawing from the posterior / own values, 1 worker: {rate(drawn) / rate(one):.2f}x")
    print()
    print("| peak memory, csto sweep --workers 2 | runs | seconds | peak PSS, all processes | "
          "peak RSS, coordinator | processes | load |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, part in (("10,000-run sweep", small), ("1,000,000-run sweep", large)):
        print(
            f"| {label} | {part['runs']:,} | {part['seconds']:.1f} | "
            f"{part['peak_tree_mib']:,.0f} MiB | {part['peak_coordinator_mib']:,.0f} MiB | "
            f"{part['processes']} | {part['load_before']:.2f} |"
        )
    ratio = large["peak_tree_mib"] / small["peak_tree_mib"]
    print(f"\nPeak memory, large / small: {ratio:.2f}x (target at most 1.5x)")
    figures.update(
        mesa_1=mesa1 | {"outcomes": None},
        mesa_2=mesa2 | {"outcomes": None},
        engine=engine | {"rows": None},
        workers_1=one,
        workers_2=two,
        workers_1_posterior=drawn,
        posterior_cost=rate(drawn) / rate(one),
        memory_small=small,
        memory_large=large,
        speedup=rate(engine) / mesa_best,
        scaling=rate(two) / rate(one),
        memory_ratio=ratio,
        matched=matched,
        largest_difference=largest,
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
