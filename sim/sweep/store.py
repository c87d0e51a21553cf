"""Sweep results folders: a manifest, the design, and Parquet shards written as chunks finish.

Layout (see docs/sweeps.md for every column)::

    <folder>/manifest.json              what was swept, seeds, versions, commit, command, complete
    <folder>/design.parquet             one row per design point: point + one column per path
    <folder>/runs/chunk-000000.parquet  one row per run of chunk 0 (runs 0 .. size-1), ...
    <folder>/timeseries/chunk-000000.parquet   with --timeseries: one row per run, step, member

Every file is written to a hidden temporary name and moved into place with ``os.replace``
(:func:`sim.results.folder.write_atomic`), so a shard under its final name is always whole: an
interrupted sweep (Ctrl-C, ``kill -9``, a lost node) leaves complete shards and at most some
hidden temporary files, which the next run of the same command removes before it runs the
missing chunks. A chunk's run shard is written after its time-series shard, so the run shard
marks the chunk as done.

The readers (:func:`read_sweep`, :func:`read_design`, :func:`read_timeseries`,
:func:`point_means`, :func:`is_complete`) are what ``csto report`` and notebooks use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim import __version__ as sim_version
from sim.results import provenance
from sim.results.folder import FolderError, is_temporary, json_text
from sim.results.folder import read_manifest as read_folder_manifest
from sim.results.folder import write_atomic as write_atomic  # the sweep writes through it
from sim.results.outcomes import REGISTRY
from sim.sweep.spec import SweepError

MANIFEST: Final = "manifest.json"
DESIGN: Final = "design.parquet"
RUNS: Final = "runs"
TIMESERIES: Final = "timeseries"
MANIFEST_VERSION: Final = 1
#: Default root of sweep folders: a sweep named NAME goes to ``results/sweeps/NAME``.
DEFAULT_ROOT: Final = Path("results") / "sweeps"
#: Runs per chunk: large enough to amortise a batch's fixed costs, small enough to spread.
CHUNK_RUNS: Final = 2000
CHUNK_RUNS_TIMESERIES: Final = 250
MIN_CHUNK_RUNS: Final = 200
_CHUNK = re.compile(r"^chunk-(\d{6,})\.parquet$")
#: Versions a sweep's manifest records besides those of :data:`sim.results.provenance.PACKAGES`.
_PACKAGES: Final = ("SALib", "dask", "distributed")
#: Parquet writer settings of every shard (fixed, so the same rows give the same bytes).
PARQUET_OPTIONS: Final[dict[str, Any]] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
}


def chunk_name(index: int) -> str:
    """File name of chunk ``index``: ``chunk-000123.parquet``."""
    return f"chunk-{index:06d}.parquet"


def default_chunk_size(runs: int, timeseries: bool) -> int:
    """Runs per chunk for a sweep of ``runs`` runs (never depends on the number of workers, so
    a sweep can resume on another machine or backend)."""
    largest = CHUNK_RUNS_TIMESERIES if timeseries else CHUNK_RUNS
    return max(1, min(largest, max(MIN_CHUNK_RUNS, math.ceil(runs / 16))))


@dataclass(frozen=True)
class Layout:
    """How a sweep's runs are cut into chunks: chunk ``k`` holds runs ``k*size`` up to
    ``(k+1)*size - 1``; run ``r`` is design point ``r // replicates``, replicate
    ``r % replicates``."""

    runs: int
    size: int

    @property
    def count(self) -> int:
        return math.ceil(self.runs / self.size)

    def bounds(self, index: int) -> tuple[int, int]:
        start = index * self.size
        return start, min(start + self.size, self.runs)

    def rows(self, index: int) -> int:
        start, stop = self.bounds(index)
        return stop - start


# --- writing ---------------------------------------------------------------------------------


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    """Write (or rewrite) a sweep's ``manifest.json`` atomically: indented JSON in the
    manifest's own key order."""
    write_atomic(folder / MANIFEST, json_text(manifest, sort_keys=False).encode("utf-8"))


def design_table(paths: Sequence[str], matrix: npt.NDArray[np.float64]) -> pa.Table:
    """``design.parquet``: ``point`` and one column per swept path."""
    columns: dict[str, pa.Array] = {"point": pa.array(np.arange(matrix.shape[0]), pa.int64())}
    for j, path in enumerate(paths):
        columns[path] = pa.array(matrix[:, j], type=pa.float64())
    return pa.table(columns)


def encode_table(table: pa.Table) -> bytes:
    """A table as the bytes of a shard (:data:`PARQUET_OPTIONS`)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **PARQUET_OPTIONS)
    return bytes(sink.getvalue().to_pybytes())


def write_chunk(folder: Path, index: int, runs: bytes, timeseries: bytes | None) -> None:
    """Write a finished chunk: its time series first (if any), then its runs (the marker)."""
    name = chunk_name(index)
    if timeseries is not None:
        write_atomic(folder / TIMESERIES / name, timeseries)
    write_atomic(folder / RUNS / name, runs)


def remove_temporaries(folder: Path) -> int:
    """Delete hidden temporary files left by an interrupted write; return how many."""
    removed = 0
    for sub in (folder, folder / RUNS, folder / TIMESERIES):
        if not sub.is_dir():
            continue
        for path in sub.iterdir():
            if is_temporary(path) and path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def done_chunks(folder: Path, layout: Layout, timeseries: bool) -> set[int]:
    """Chunks already on disk, whole (right number of rows) and, with time series, with their
    time-series shard. Anything else is run again."""
    done: set[int] = set()
    runs_dir = folder / RUNS
    if not runs_dir.is_dir():
        return done
    for path in runs_dir.iterdir():
        match = _CHUNK.match(path.name)
        if not match:
            continue
        index = int(match.group(1))
        if index >= layout.count:
            continue
        try:
            rows = pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException):
            continue
        if rows != layout.rows(index):
            continue
        if timeseries and not (folder / TIMESERIES / path.name).is_file():
            continue
        done.add(index)
    return done


# --- provenance ------------------------------------------------------------------------------


def sweep_versions() -> dict[str, str]:
    """What a sweep's manifest records as ``versions``: this package's (``sim``, checked when a
    sweep resumes), Python's, and the numeric and distributed libraries'."""
    return {"sim": sim_version, **provenance.package_versions((*provenance.PACKAGES, *_PACKAGES))}


# --- opening a folder for a sweep ----------------------------------------------------------


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """A sweep folder's manifest (a SweepError if there is none or it is not a sweep's)."""
    try:
        manifest = read_folder_manifest(Path(folder))
    except FolderError as error:
        raise SweepError(error.path, "", error.expected) from None
    if manifest.get("kind") != "sweep":
        path = Path(folder) / MANIFEST
        raise SweepError(path, "kind", 'expected "sweep" (a folder written by csto sweep)')
    return manifest


def check_resumable(folder: Path, definition: Mapping[str, Any], digest: str) -> dict[str, Any]:
    """The manifest of an existing folder, if it holds this very sweep; else a SweepError
    saying what differs. A folder without a manifest must be empty."""
    if folder.exists() and not folder.is_dir():
        raise SweepError(folder, "", "exists and is not a folder (expected a results folder)")
    if not (folder / MANIFEST).exists():
        # An empty folder may hold the lock of a start that was moving files into it.
        if folder.is_dir() and any(path.name != ".lock" for path in folder.iterdir()):
            raise SweepError(
                folder,
                "",
                "not empty and not a sweep folder (no manifest.json); choose another --out",
            )
        return {}
    manifest = read_manifest(folder)
    if manifest.get("definition_sha256") == digest:
        return manifest
    old = manifest.get("definition", {})
    changed = [key for key in {**old, **definition} if old.get(key) != definition.get(key)]
    if "posterior" in changed:
        others = [key for key in changed if key != "posterior"]
        also = f" (also changed: {', '.join(others)})" if others else ""
        raise SweepError(
            folder / MANIFEST,
            "posterior",
            _posterior_change(old.get("posterior"), definition.get("posterior")) + also,
        )
    what = ", ".join(changed) if changed else "definition"
    raise SweepError(
        folder / MANIFEST,
        "definition",
        f"this folder holds a different sweep (changed: {what}); rerun the command that "
        "wrote it to resume, or choose another --out for the new sweep",
    )


def _posterior_change(old: Any, new: Any) -> str:
    """Why a folder's runs and this sweep's would not mix: they draw from different posteriors,
    or one draws and the other runs the scenario's own values."""
    if not isinstance(old, Mapping):
        return (
            "this folder holds a sweep of the scenario's own values, and this one draws from "
            f"the posterior of {new.get('scenario')}; add --no-posterior (or posterior = false) "
            "to resume it, or choose another --out"
        )
    if not isinstance(new, Mapping):
        return (
            f"this folder holds a sweep that drew from the posterior of {old.get('scenario')}, "
            "and this one runs the scenario's own values (--no-posterior, posterior = false, or "
            "no posterior found); rerun the command that wrote it to resume, or choose another "
            "--out"
        )
    return (
        f"this folder holds a sweep that drew from the posterior of {old.get('scenario')} as it "
        f"was then (particles sha256 {str(old.get('particles_sha256'))[:12]}), and the "
        f"posterior has changed since (now {new.get('scenario')}, "
        f"{str(new.get('particles_sha256'))[:12]}): its runs and new ones would mix parameter "
        "sets; choose another --out"
    )


# --- reading ---------------------------------------------------------------------------------


def chunk_files(folder: str | Path, kind: str = RUNS) -> list[Path]:
    """The shards of a folder, in chunk order."""
    directory = Path(folder) / kind
    if not directory.is_dir():
        return []
    found = [path for path in directory.iterdir() if _CHUNK.match(path.name)]
    return sorted(found, key=chunk_index)


def chunk_index(path: Path) -> int:
    """The chunk number in a shard's file name."""
    match = _CHUNK.match(path.name)
    if not match:
        raise ValueError(f"{path}: not a chunk file")
    return int(match.group(1))


def is_complete(folder: str | Path) -> bool:
    """True if the sweep finished: the manifest says so and every chunk is on disk."""
    try:
        manifest = read_manifest(folder)
    except SweepError:
        return False
    chunks = manifest.get("chunks", {})
    count = chunks.get("count") if isinstance(chunks, dict) else None
    return bool(manifest.get("complete")) and len(chunk_files(folder)) == count


def iter_runs(folder: str | Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    """The run shards one at a time (memory stays at one chunk)."""
    for path in chunk_files(folder):
        yield pq.read_table(path, columns=list(columns) if columns is not None else None)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Integer outcomes as pandas' nullable ``Int64`` (null in failed runs), whatever the
    shards hold."""
    frame: pd.DataFrame = table.to_pandas()
    for name in frame.columns:
        if name in REGISTRY and REGISTRY.by_name[name].type == "int":
            frame[name] = frame[name].astype("Int64")
    return frame


def read_runs(folder: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Every run written so far, one row per run, sorted by point and replicate."""
    tables = list(iter_runs(folder, columns))
    if not tables:
        return pd.DataFrame(columns=list(columns or ["point", "replicate", "seed", "status"]))
    frame = _to_pandas(pa.concat_tables(tables))
    if "point" in frame.columns and "replicate" in frame.columns:
        frame = frame.sort_values(["point", "replicate"], kind="stable")
    return frame.reset_index(drop=True)


def read_sweep(
    folder: str | Path, columns: Sequence[str] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """A sweep folder's manifest and its runs (see :func:`read_runs`)."""
    return read_manifest(folder), read_runs(folder, columns)


def read_design(folder: str | Path) -> pd.DataFrame:
    """``design.parquet``: one row per design point, in SALib's order for Sobol and Morris."""
    return pd.read_parquet(Path(folder) / DESIGN)


def read_timeseries(
    folder: str | Path,
    columns: Sequence[str] | None = None,
    points: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Time-series rows (needs ``--timeseries``), optionally only some columns or points."""
    files = chunk_files(folder, TIMESERIES)
    if not files:
        raise SweepError(
            Path(folder) / TIMESERIES, "", "no time series (expected a sweep run with --timeseries)"
        )
    selection = None if columns is None else list(dict.fromkeys(["point", *columns]))
    tables = []
    for path in files:
        table = pq.read_table(path, columns=selection)
        if points is not None:
            mask = pc.is_in(table["point"], value_set=pa.array(points, pa.int64()))
            table = table.filter(mask)
        tables.append(table)
    frame: pd.DataFrame = pa.concat_tables(tables).to_pandas()
    if columns is not None and "point" not in columns:
        frame = frame.drop(columns="point")
    return frame


def point_means(folder: str | Path, outcome: str) -> npt.NDArray[np.float64]:
    """The replicate mean of ``outcome`` at each design point, in design order (``Y`` for
    SALib's analyze); NaN where no run of a point succeeded. Reads one chunk at a time."""
    manifest = read_manifest(folder)
    points = int(manifest["points"])
    total = np.zeros(points)
    count = np.zeros(points)
    for table in iter_runs(folder, ["point", "status", outcome]):
        ok = table.filter(pc.equal(table["status"], "ok"))
        point = ok["point"].to_numpy()
        value = ok[outcome].to_numpy(zero_copy_only=False).astype(np.float64)
        np.add.at(total, point, value)
        np.add.at(count, point, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: npt.NDArray[np.float64] = total / count
    return means
