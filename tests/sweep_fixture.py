"""Synthetic sweep results folders in the format ``csto sweep`` writes (docs/sweeps.md).

The outcomes are known functions of the swept parameters plus seeded noise, so tests can check
the report against answers fixed in advance:

* ``final_cohesion = 0.3 + 0.5 * capacity + 0.1 * (other - low) / (high - low) + noise``: its
  mean over a full grid of ``other`` crosses 0.5 at ``capacity = 0.3``; on a Sobol design the
  first-order indices follow from the coefficients (see :func:`linear_sobol_indices`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.draws import derive_seeds
from sim.scenario import schema

CAPACITY = "russia.capacity.initial"
OTHER = "mechanisms.weight_threat"
THIRD = "mechanisms.inertia"
BOUNDS = {CAPACITY: (0.0, 1.0), OTHER: (0.5, 1.25), THIRD: (0.8, 0.97)}
#: The capacity at which mean final cohesion crosses 0.5 in a full grid.
KNOWN_CRITICAL = 0.3
#: Coefficients of final cohesion on each parameter scaled to [0, 1].
COEFFICIENTS = {CAPACITY: 0.5, OTHER: 0.1, THIRD: 0.2}
NOISE = 0.02


def linear_sobol_indices(parameters: list[str]) -> dict[str, float]:
    """First-order (= total) Sobol indices of the linear outcome on uniform inputs."""
    variances = {p: COEFFICIENTS[p] ** 2 / 12 for p in parameters}
    total = sum(variances.values())
    return {p: v / total for p, v in variances.items()}


def design_points(design: str, parameters: list[str], size: int, seed: int = 7) -> pd.DataFrame:
    """Design points: a full grid of ``size`` levels per parameter, or SALib's samples."""
    problem = salib_problem(parameters)
    if design == "grid":
        axes = [np.linspace(*BOUNDS[p], size) for p in parameters]
        mesh = np.meshgrid(*axes, indexing="ij")
        matrix = np.column_stack([m.ravel() for m in mesh])
    elif design == "sobol":
        from SALib.sample import sobol

        matrix = sobol.sample(problem, size, calc_second_order=False, seed=seed)
    elif design == "morris":
        from SALib.sample import morris

        matrix = morris.sample(problem, size, num_levels=4, seed=seed)
    else:  # lhs
        rng = np.random.default_rng(seed)
        unit = (rng.permuted(np.tile(np.arange(size), (len(parameters), 1)), axis=1).T
                + rng.random((size, len(parameters)))) / size  # fmt: skip
        lows = np.array([BOUNDS[p][0] for p in parameters])
        highs = np.array([BOUNDS[p][1] for p in parameters])
        matrix = lows + unit * (highs - lows)
    frame = pd.DataFrame(matrix, columns=parameters)
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame


def salib_problem(parameters: list[str]) -> dict[str, Any]:
    return {
        "num_vars": len(parameters),
        "names": list(parameters),
        "bounds": [list(BOUNDS[p]) for p in parameters],
    }


def outcomes(
    design: pd.DataFrame, parameters: list[str], replicates: int, seed: int
) -> pd.DataFrame:
    """One row per run (point x replicate) with the outcome columns of a sweep."""
    points = len(design)
    seeds = np.asarray(derive_seeds(seed, replicates), dtype=np.uint64)
    point = np.repeat(design["point"].to_numpy(), replicates)
    replicate = np.tile(np.arange(replicates, dtype=np.int64), points)
    rng = np.random.default_rng(seed)
    runs = pd.DataFrame({"point": point, "replicate": replicate, "seed": np.tile(seeds, points)})
    value = np.full(len(runs), 0.3)
    for name in parameters:
        low, high = BOUNDS[name]
        column = np.repeat(design[name].to_numpy(np.float64), replicates)
        runs[name] = column
        value = value + COEFFICIENTS[name] * (column - low) / (high - low)
    value = value + rng.normal(0.0, NOISE, len(runs))
    runs["status"] = "ok"
    runs["error"] = ""
    runs["final_cohesion"] = value
    runs["min_cohesion"] = value - 0.1
    runs["initial_cohesion"] = 0.783
    froze = value < 0.45
    runs["first_freeze_step"] = np.where(froze, 20, -1).astype(np.int64)
    runs["first_freeze_member"] = np.where(froze, "Armenia", None)
    runs["drills_cancelled"] = np.where(value < 0.5, 3, 1).astype(np.int64)
    for index, member in enumerate(schema.MEMBERS):
        runs[f"final_alignment_{member}"] = np.clip(value + 0.05 * (index - 2), 0, 1)
    return runs


def write_sweep(
    folder: Path,
    design: str = "grid",
    parameters: list[str] | None = None,
    size: int = 11,
    replicates: int = 4,
    seed: int = 1,
    failed: int = 0,
    missing_chunks: int = 0,
    chunk_rows: int = 10_000,
) -> Path:
    """Write a synthetic sweep folder; ``failed`` runs marked failed, the last
    ``missing_chunks`` chunks left out (and the manifest's ``complete`` false)."""
    names = parameters or [CAPACITY, OTHER]
    points = design_points(design, names, size)
    runs = outcomes(points, names, replicates, seed)
    if failed:
        chosen = np.linspace(0, len(runs) - 1, failed).astype(int)
        runs.loc[chosen, "status"] = "failed"
        runs.loc[chosen, "error"] = "FloatingPointError: synthetic failure"
        for column in runs.columns:
            if column.startswith(("final_", "min_")):
                runs.loc[chosen, column] = np.nan
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "runs").mkdir(exist_ok=True)
    points.to_parquet(folder / "design.parquet", index=False)
    starts = list(range(0, len(runs), chunk_rows))
    kept = starts[: len(starts) - missing_chunks] if missing_chunks else starts
    for number, start in enumerate(kept):
        chunk = runs.iloc[start : start + chunk_rows]
        chunk.to_parquet(folder / "runs" / f"chunk-{number:06d}.parquet", index=False)
    settings: dict[str, Any] = {}
    if design == "sobol":
        settings = {"calc_second_order": False, "N": size}
    elif design == "morris":
        settings = {"num_levels": 4, "trajectories": size}
    manifest = {
        "kind": "sweep",
        "scenario": {"name": "baseline-2022", "title": "synthetic sweep (test fixture)"},
        "sweep": {
            "parameters": [
                {"path": p, "low": BOUNDS[p][0], "high": BOUNDS[p][1], "levels": size}
                for p in names
            ],
            "design": design,
        },
        "design": design,
        "problem": salib_problem(names) if design in ("sobol", "morris") else None,
        "settings": settings,
        "replicates": replicates,
        "master_seed": seed,
        "replicate_seeds": [int(s) for s in derive_seeds(seed, replicates)],
        "points": len(points),
        "runs": len(runs),
        "complete": missing_chunks == 0,
        "versions": {"csto-sim": "0.1.0", "numpy": np.__version__},
        "git_commit": "0" * 40,
        "command": f"csto sweep baseline-2022 --design {design} (synthetic)",
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
