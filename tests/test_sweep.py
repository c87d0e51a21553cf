"""Running sweeps: the same rows whatever the backend, failures recorded, the folder format.

A sweep's rows must equal the batch engine's outcomes for the same seeds and values — the swept
ones, and by default the posterior's parameter set of each replicate for the others — (and so
the Mesa model's: tests/test_batch_equivalence.py), be byte-identical whether the chunks ran in
this process, in two local worker processes or on a real Dask cluster, keep going past runs
that fail, and be readable by the documented readers. tests/test_sweep_posterior.py checks the
posterior's part of it (and the sweep without it) further.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim import engine as batch
from sim.model import rules
from sim.model.draws import derive_seeds
from sim.results.outcomes import outcome_table
from sim.results.run import TIMESERIES_COLUMNS, timeseries_table
from sim.scenario import load, schema
from sim.sweep import (
    SweepError,
    from_options,
    is_complete,
    point_means,
    read_design,
    read_manifest,
    read_runs,
    read_sweep,
    read_timeseries,
    run_sweep,
)
from sim.sweep.design import points
from sim.sweep.execute import InlineBackend, LocalBackend
from sim.sweep.spec import OUTCOME_COLUMNS, SweepSpec

CAPACITY = "russia.capacity.initial"
LOSS = "mechanisms.trust_loss_ignored"


def small_grid(replicates: int = 5, steps: int = 12, posterior: bool = True) -> SweepSpec:
    return from_options(
        "baseline-2022",
        [f"{CAPACITY}=0.2:0.8:4", f"{LOSS}=0.3:0.8:3"],
        replicates=replicates,
        seed=42,
        steps=steps,
        posterior=posterior,
    )


def drawn_sets(spec: SweepSpec) -> dict[str, Any]:
    """The posterior's parameter set of each replicate, as ``csto run`` draws them (the master
    seed, ``replicates`` sets), without the swept values."""
    assert spec.draws_from is not None
    sets = spec.draws_from.draw(spec.replicates, spec.seed)
    return {path: values for path, values in sets.items() if path not in spec.paths}


def shard_bytes(folder: Path, kind: str = "runs") -> list[bytes]:
    return [path.read_bytes() for path in sorted((folder / kind).glob("chunk-*.parquet"))]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small grid run in this process, with time series, in chunks of 7 runs."""
    folder = tmp_path_factory.mktemp("sweeps") / "inline"
    run_sweep(small_grid(), folder, timeseries=True, chunk_size=7, backend=InlineBackend())
    return folder


# --- the rows -------------------------------------------------------------------------------


def test_rows_equal_the_batch_engine_for_the_same_seeds_and_values(reference: Path) -> None:
    spec = small_grid()
    runs = read_runs(reference)
    assert len(runs) == spec.runs() == 60
    design = points(spec)
    seeds = np.asarray(derive_seeds(42, 5), dtype=np.uint64)
    point = np.repeat(np.arange(len(design)), 5)
    replicate = np.tile(np.arange(5), len(design))
    sets = drawn_sets(spec)
    assert CAPACITY not in sets and LOSS not in sets and "variants.threat_response" in sets
    overrides = {path: values[replicate] for path, values in sets.items()}
    direct = outcome_table(
        batch.simulate(
            spec.scenario,
            seeds[replicate],
            {**overrides, CAPACITY: design[point, 0], LOSS: design[point, 1]},
            steps=12,
        )
    )
    assert runs["point"].tolist() == point.tolist()
    assert runs["replicate"].tolist() == replicate.tolist()
    assert runs["seed"].to_numpy(np.uint64).tolist() == seeds[replicate].tolist()
    particles = spec.draws_from.choose(5, 42)  # type: ignore[union-attr]
    assert runs["particle"].tolist() == particles[replicate].tolist()
    np.testing.assert_array_equal(runs[CAPACITY].to_numpy(), design[point, 0])
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    for column in OUTCOME_COLUMNS:
        mine = runs[column].to_numpy(dtype=object)
        theirs = direct[column].to_numpy(dtype=object)
        for a, b in zip(mine, theirs, strict=True):
            assert (pd.isna(a) and pd.isna(b)) or a == b, column


def test_common_random_numbers_replicate_r_has_one_seed_at_every_point(reference: Path) -> None:
    runs = read_runs(reference)
    seeds = runs.groupby("replicate")["seed"].unique()
    assert all(len(values) == 1 for values in seeds)
    manifest = read_manifest(reference)
    assert manifest["replicate_seeds"] == [int(s) for s in derive_seeds(42, 5)]
    assert [int(s[0]) for s in seeds] == manifest["replicate_seeds"]
    # and the same parameter set (posterior particle) at every point
    particles = runs.groupby("replicate")["particle"].unique()
    assert all(len(values) == 1 for values in particles)
    assert [int(p[0]) for p in particles] == manifest["posterior"]["replicate_particles"]


# --- backends -------------------------------------------------------------------------------


@pytest.mark.slow
def test_identical_results_in_process_two_workers_and_dask(reference: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    spec = small_grid()
    pool = run_sweep(
        spec,
        tmp_path / "pool",
        timeseries=True,
        chunk_size=7,
        backend=LocalBackend(2, coordinator_helps=False),
    )
    assert pool.complete and pool.backend == "2 local worker processes"
    assert pool.workers and all(not w.endswith(f":{os.getpid()}") for w in pool.workers)
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        dask = run_sweep(
            spec,
            tmp_path / "dask",
            timeseries=True,
            chunk_size=7,
            scheduler=cluster.scheduler_address,
        )
    assert dask.complete and dask.backend.startswith("Dask scheduler tcp://127.0.0.1:")
    assert len(dask.workers) == 2
    for folder in (tmp_path / "pool", tmp_path / "dask"):
        assert shard_bytes(folder) == shard_bytes(reference)
        assert shard_bytes(folder, "timeseries") == shard_bytes(reference, "timeseries")
        pd.testing.assert_frame_equal(read_runs(folder), read_runs(reference))


def test_chunk_size_changes_files_not_rows(reference: Path, tmp_path: Path) -> None:
    run_sweep(small_grid(), tmp_path / "big", chunk_size=25, workers=1)
    assert len(shard_bytes(tmp_path / "big")) == 3
    columns = ["point", "replicate", "seed", "final_cohesion", "first_freeze_member"]
    pd.testing.assert_frame_equal(
        read_runs(tmp_path / "big", columns), read_runs(reference, columns)
    )


# --- failures -------------------------------------------------------------------------------


def test_runs_with_non_finite_outcomes_are_failed_and_the_sweep_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A zero reference share with a zero ethnic Russian share was 0/0; validation now refuses a
    # zero reference share, so a rule that turns that corner of the design into NaN (Armenia's
    # exposure, then fear and alignment) stands in for it.
    exposure = rules.exposure

    def nan_in_the_corner(share: Any, reference: Any) -> Any:
        corner = (np.asarray(reference) <= 0.001) & (np.asarray(share) == 0)
        return np.where(corner, np.nan, exposure(share, reference))

    monkeypatch.setattr(rules, "exposure", nan_in_the_corner)
    spec = from_options(
        "baseline-2022",
        [
            "mechanisms.exposure_reference_share=0.001:0.173:2",
            "members.Armenia.russian_share=0:0.004:2",
        ],
        replicates=3,
        steps=6,
    )
    summary = run_sweep(spec, tmp_path / "nan", workers=1, chunk_size=5)
    runs = read_runs(tmp_path / "nan")
    bad = (runs["mechanisms.exposure_reference_share"] == 0.001) & (
        runs["members.Armenia.russian_share"] == 0
    )
    assert bad.sum() == 3 and summary.failed == 3 and summary.complete
    assert (runs.loc[bad, "status"] == "failed").all() and (runs.loc[~bad, "status"] == "ok").all()
    assert runs.loc[bad, "error"].str.startswith("non-finite outcome: ").all()
    assert runs.loc[bad, "final_cohesion"].isna().all()
    assert runs.loc[bad, "first_freeze_step"].isna().all()
    assert runs["first_freeze_step"].dtype == "Int64"
    assert runs.loc[~bad, "final_cohesion"].notna().all()
    manifest = read_manifest(tmp_path / "nan")
    assert manifest["failed"] == 3 and manifest["ok"] == 9 and manifest["complete"] is True


def test_runs_that_raise_are_isolated_recorded_and_the_rest_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = small_grid(replicates=4, steps=6)
    run_sweep(spec, tmp_path / "clean", workers=1, chunk_size=16)
    real = batch.simulate
    poisoned = 0.6  # the third capacity level

    def flaky(scenario, seeds, overrides=None, steps=None, **options):  # type: ignore[no-untyped-def]
        values = np.asarray(overrides[CAPACITY])
        if np.isclose(values, poisoned).any():
            raise FloatingPointError("injected failure\nover two lines")
        return real(scenario, seeds, overrides, steps, **options)

    monkeypatch.setattr(batch, "simulate", flaky)
    summary = run_sweep(spec, tmp_path / "flaky", workers=1, chunk_size=16)
    runs = read_runs(tmp_path / "flaky")
    clean = read_runs(tmp_path / "clean")
    failed = np.isclose(runs[CAPACITY], poisoned)
    assert failed.sum() == 12 and summary.failed == 12 and summary.present == 48
    assert set(runs.loc[failed, "error"]) == {"FloatingPointError: injected failure over two lines"}
    assert runs.loc[failed, ["final_cohesion", "min_cohesion"]].isna().all().all()
    ok_columns = [c for c in runs.columns if c not in ("status", "error")]
    pd.testing.assert_frame_equal(
        runs.loc[~failed, ok_columns].reset_index(drop=True),
        clean.loc[~failed, ok_columns].reset_index(drop=True),
    )
    assert summary.errors == {"FloatingPointError: injected failure over two lines": 12}


# --- the folder -----------------------------------------------------------------------------


def test_folder_format(reference: Path) -> None:
    manifest = json.loads((reference / "manifest.json").read_text())
    for key in (
        "kind",
        "sweep",
        "sweep_file_hash",
        "definition",
        "scenario",
        "parameters",
        "design",
        "settings",
        "replicates",
        "master_seed",
        "replicate_seeds",
        "posterior",
        "covers",
        "points",
        "runs",
        "chunks",
        "steps",
        "outcomes",
        "versions",
        "git_commit",
        "command",
        "started",
        "finished",
        "complete",
        "failed",
    ):
        assert key in manifest, key
    assert manifest["kind"] == "sweep" and manifest["complete"] is True
    assert manifest["points"] == 12 and manifest["runs"] == 60
    assert manifest["chunks"] == {"count": 9, "size": 7}
    assert manifest["parameters"][0] == {
        "path": CAPACITY,
        "low": 0.2,
        "high": 0.8,
        "levels": 4,
        "integer": False,
    }
    assert manifest["scenario"]["name"] == "baseline-2022"
    assert manifest["scenario"]["sha256"] == load("baseline-2022").digest
    assert {"python", "numpy", "mesa", "sim"} <= set(manifest["versions"])
    design = read_design(reference)
    assert list(design.columns) == ["point", CAPACITY, LOSS] and len(design) == 12
    names = sorted(path.name for path in (reference / "runs").iterdir())
    assert names == [f"chunk-{i:06d}.parquet" for i in range(9)]
    columns = pq.read_schema(reference / "runs" / names[0]).names
    assert columns == [
        "point",
        "replicate",
        "seed",
        "particle",
        CAPACITY,
        LOSS,
        "status",
        "error",
        *OUTCOME_COLUMNS,
    ]
    series = pq.read_schema(reference / "timeseries" / names[0]).names
    assert series == ["point", "replicate", "seed", *TIMESERIES_COLUMNS]
    assert is_complete(reference)


def test_timeseries_rows_are_the_batch_engines(reference: Path) -> None:
    frame = read_timeseries(reference, points=[5])
    assert len(frame) == 5 * 13 * len(schema.MEMBERS)
    spec = small_grid()
    design = points(spec)
    seeds = np.asarray(derive_seeds(42, 5), dtype=np.uint64)
    direct = timeseries_table(
        batch.simulate(
            spec.scenario,
            seeds,
            {
                **drawn_sets(spec),
                CAPACITY: np.full(5, design[5, 0]),
                LOSS: np.full(5, design[5, 1]),
            },
            12,
            timeseries=True,
        )
    )
    np.testing.assert_array_equal(frame["cohesion"].to_numpy(), direct["cohesion"].to_numpy())
    assert frame["member"].astype(str).tolist() == direct["member"].tolist()
    assert frame["date"].astype(str).tolist() == direct["date"].tolist()


def test_readers(reference: Path) -> None:
    manifest, runs = read_sweep(reference, ["point", "replicate", "final_cohesion"])
    assert manifest["sweep"] == small_grid().name and list(runs.columns) == [
        "point",
        "replicate",
        "final_cohesion",
    ]
    means = point_means(reference, "final_cohesion")
    expected = read_runs(reference).groupby("point")["final_cohesion"].mean().to_numpy()
    np.testing.assert_allclose(means, expected, rtol=0, atol=1e-15)


def test_rerunning_a_complete_sweep_runs_nothing(reference: Path, tmp_path: Path) -> None:
    folder = tmp_path / "again"
    run_sweep(small_grid(), folder, chunk_size=20, workers=1)
    before = shard_bytes(folder)
    summary = run_sweep(small_grid(), folder, chunk_size=20, workers=1)
    assert summary.chunks_run == 0 and summary.complete and shard_bytes(folder) == before
    assert len(read_manifest(folder)["sessions"]) == 2


def test_a_different_sweep_is_refused_on_an_old_folder(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    run_sweep(small_grid(), folder, workers=1)
    before = sorted(p.name for p in (folder / "runs").iterdir())
    with pytest.raises(SweepError, match=r"different sweep \(changed: replicates\)"):
        run_sweep(small_grid(replicates=6), folder, workers=1)
    with pytest.raises(SweepError, match=r"changed: steps"):
        run_sweep(small_grid(steps=13), folder, workers=1)
    assert sorted(p.name for p in (folder / "runs").iterdir()) == before
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not a sweep folder"):
        run_sweep(small_grid(), tmp_path / "other", workers=1)


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_salib_analyze_runs_on_the_folder(tmp_path: Path, design: str) -> None:
    from SALib.analyze import morris, sobol

    spec = from_options(
        "baseline-2022",
        [f"{CAPACITY}=0.2:0.8", f"{LOSS}=0.3:0.8", "russia.reserve_share=0.1:0.4"],
        design=design,
        samples=16 if design == "sobol" else 8,
        replicates=2,
        steps=24,
    )
    folder = tmp_path / design
    run_sweep(spec, folder, workers=1)
    manifest = read_manifest(folder)
    problem = manifest["problem"]
    y = point_means(folder, "final_cohesion")
    assert len(y) == manifest["points"] and not np.isnan(y).any()
    if design == "sobol":
        assert manifest["settings"]["calc_second_order"] is False
        indices = sobol.analyze(problem, y, calc_second_order=False, seed=1)
        assert len(indices["S1"]) == 3 and all(math.isfinite(v) for v in indices["ST"])
        # capacity drives cohesion far more than the Russian reserve
        assert indices["ST"][0] > indices["ST"][2]
    else:
        x = read_design(folder)[problem["names"]].to_numpy()
        indices = morris.analyze(
            problem, x, y, num_levels=manifest["settings"]["num_levels"], seed=1
        )
        assert indices["mu_star"][0] > 0
