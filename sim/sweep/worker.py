"""One chunk of a sweep: run it with the batch engine and encode its rows as Parquet bytes.

:func:`run_chunk` is a pure function of its :class:`ChunkTask`; it runs unchanged in the
calling process, in a local worker process or on a Dask worker, and touches no file. A run's
numbers depend only on its seed and parameter values (the batch engine draws every random
number from the run's own seed), so a chunk's bytes do not depend on where it ran.

A run that raises, or ends with a non-finite outcome, is recorded as ``failed`` with its error
and NaN (or null) outcomes; the rest of the chunk is kept. A chunk that raises is split in
halves until the failing runs are isolated, which costs a few extra batches per failure.
"""

from __future__ import annotations

import os
import platform
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import psutil
import pyarrow as pa
import pyarrow.compute as pc

from sim import __version__ as sim_version
from sim import engine as batch
from sim.results import outcomes
from sim.results.run import ALLIANCE_COLUMNS, TIMESERIES_COLUMNS, step_date
from sim.scenario import Scenario, schema
from sim.sweep.store import encode_table

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UInt64Array = npt.NDArray[np.uint64]

MEMBERS = schema.MEMBERS


@dataclass(frozen=True)
class ChunkTask:
    """The runs of one chunk: who they are (point, replicate, seed) and their parameter values
    (swept, and drawn from a posterior)."""

    index: int
    scenario: Scenario
    steps: int
    paths: tuple[str, ...]
    point: IntArray
    replicate: IntArray
    seed: UInt64Array
    values: FloatArray
    """Parameter values of each run: shape ``(runs, len(paths))``."""
    outcomes: tuple[str, ...]
    timeseries: bool = False
    drawn: Mapping[str, npt.NDArray[Any]] = field(default_factory=dict)
    """Values drawn from a posterior, by dotted path: one per run (numbers as floats, the
    structural variants as names); empty when the sweep runs the scenario's own values."""
    particle: IntArray | None = None
    """With ``drawn``: the posterior particle (row of its ``particles.parquet``) of each run."""

    @property
    def count(self) -> int:
        return int(self.seed.shape[0])


@dataclass
class ChunkStats:
    """What the end-of-sweep summary needs from a chunk: counts, and for each outcome of the
    registry's ``sweep totals`` group (that the sweep keeps) the count, sum, sum of squares,
    minimum and maximum over successful runs."""

    rows: int = 0
    failed: int = 0
    outcomes: dict[str, list[float]] = field(default_factory=dict)
    froze: int = 0
    first_freezers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def table_stats(table: pa.Table) -> ChunkStats:
    """Summary statistics of a run table (a chunk just run, or a shard read back)."""
    stats = ChunkStats(rows=table.num_rows)
    status = table["status"].to_numpy(zero_copy_only=False)
    failed = status == "failed"
    ok = ~failed
    stats.failed = int(failed.sum())
    if stats.failed:
        for message in table["error"].to_numpy(zero_copy_only=False)[failed]:
            stats.errors[str(message)] = stats.errors.get(str(message), 0) + 1
    names = table.column_names
    for name in outcomes.REGISTRY.names(outcomes.SWEEP_TOTALS):
        if name not in names:
            continue
        column = table[name].to_numpy(zero_copy_only=False)
        values = np.asarray(column[ok], dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            stats.outcomes[name] = [
                float(values.size),
                float(values.sum()),
                float((values * values).sum()),
                float(values.min()),
                float(values.max()),
            ]
        else:
            stats.outcomes[name] = [0.0, 0.0, 0.0, float("inf"), float("-inf")]
    if "first_freeze_step" in names:
        steps = np.asarray(table["first_freeze_step"].fill_null(-1).to_numpy(zero_copy_only=False))
        stats.froze = int(((steps >= 0) & ok).sum())
    if "first_freeze_member" in names:
        for item in pc.value_counts(table["first_freeze_member"].drop_null()).to_pylist():
            stats.first_freezers[str(item["values"])] = int(item["counts"])
    return stats


@dataclass(frozen=True)
class ChunkOutput:
    """A finished chunk: its rows as Parquet bytes, ready to be written by the coordinator."""

    index: int
    runs: bytes
    timeseries: bytes | None
    count: int
    failed: int
    seconds: float
    versions: dict[str, str]
    worker: str = ""
    """The process that ran the chunk: ``host:pid``."""
    stats: ChunkStats = field(default_factory=ChunkStats)


def worker_id() -> str:
    """This process, as ``host:pid``."""
    return f"{platform.node()}:{os.getpid()}"


def versions() -> dict[str, str]:
    """What decides a run's numbers: this package's and numpy's versions (and Python's)."""
    return {"sim": sim_version, "numpy": np.__version__, "python": platform.python_version()}


def run_chunk(task: ChunkTask) -> ChunkOutput:
    """Run a chunk's runs and encode them (failed runs included, marked)."""
    started = time.perf_counter()
    state = _ChunkState(task)
    with np.errstate(all="ignore"):
        state.evaluate(np.arange(task.count))
    table = state.runs_table()
    runs = encode_table(table)
    series = encode_table(state.series_table()) if task.timeseries else None
    return ChunkOutput(
        index=task.index,
        runs=runs,
        timeseries=series,
        count=task.count,
        failed=int((state.error != "").sum()),
        seconds=time.perf_counter() - started,
        versions=versions(),
        worker=worker_id(),
        stats=table_stats(table),
    )


class _ChunkState:
    """Outcome columns of a chunk, filled batch by batch; failed runs keep NaN or null.

    The outcomes are the registry's: those the sweep keeps, and every float outcome a batch
    gives without a time series or events, which must be finite for a run to succeed.
    """

    def __init__(self, task: ChunkTask) -> None:
        self.task = task
        count = task.count
        registry = outcomes.REGISTRY
        self.kept = tuple(registry.get(name, outcomes.SWEEP) for name in task.outcomes)
        self.checked = tuple(
            entry
            for entry in outcomes.sweep_layout(registry.group(outcomes.SWEEP))
            if entry.type == "float" and not entry.needs
        )
        self.needs = frozenset().union(*(entry.needs for entry in self.kept))
        self.entries = {entry.name: entry for entry in (*self.checked, *self.kept)}
        self.error = np.full(count, "", dtype=object)
        self.values = {name: _empty_column(entry, count) for name, entry in self.entries.items()}
        self.series: list[pa.Table] = []

    def evaluate(self, runs: IntArray) -> None:
        """Run ``runs`` as one batch; if it raises, split it until the failures are isolated."""
        task = self.task
        overrides = {path: values[runs] for path, values in task.drawn.items()}
        overrides.update({path: task.values[runs, j] for j, path in enumerate(task.paths)})
        try:
            result = batch.simulate(
                task.scenario,
                task.seed[runs],
                overrides,
                task.steps,
                timeseries=task.timeseries or outcomes.SERIES in self.needs,
                events=outcomes.EVENTS in self.needs,
            )
        except Exception as error:
            if runs.size == 1:
                self.error[runs[0]] = _describe(error)
                return
            half = runs.size // 2
            self.evaluate(runs[:half])
            self.evaluate(runs[half:])
            return
        self._keep(runs, result)

    def _keep(self, runs: IntArray, result: batch.BatchResult) -> None:
        computed = {name: entry.compute(result) for name, entry in self.entries.items()}
        finite = np.ones(runs.size, dtype=bool)
        for entry in self.checked:
            column = computed[entry.name]
            bad = ~np.isfinite(column) & finite
            for position in np.flatnonzero(bad):
                self.error[runs[position]] = (
                    f"non-finite outcome: {entry.name} = {column[position]}"
                )
            finite &= ~bad
        ok = runs[finite]
        for name, column in computed.items():
            self.values[name][ok] = column[finite]
        if self.task.timeseries and result.series is not None and ok.size:
            self.series.append(self._series(ok, finite, result))

    def runs_table(self) -> pa.Table:
        task = self.task
        failed = self.error != ""
        columns: dict[str, pa.Array] = {
            "point": pa.array(task.point, type=pa.int64()),
            "replicate": pa.array(task.replicate, type=pa.int64()),
            "seed": pa.array(task.seed, type=pa.uint64()),
        }
        if task.particle is not None:
            columns["particle"] = pa.array(task.particle, type=pa.int64())
        for j, path in enumerate(task.paths):
            columns[path] = pa.array(task.values[:, j], type=pa.float64())
        columns["status"] = pa.array(np.where(failed, "failed", "ok").tolist(), type=pa.string())
        columns["error"] = pa.array(self.error.tolist(), type=pa.string())
        for entry in self.kept:
            columns[entry.name] = _arrow_column(entry, self.values[entry.name], failed)
        return pa.table(columns)

    def _series(
        self, ok: IntArray, finite: npt.NDArray[np.bool_], result: batch.BatchResult
    ) -> pa.Table:
        """Time-series rows (run x step x member) of the successful runs of one batch."""
        assert result.series is not None
        task = self.task
        steps = result.steps + 1
        members = len(MEMBERS)
        per_run = steps * members
        count = ok.size
        step = np.tile(np.repeat(np.arange(steps, dtype=np.int32), members), count)
        member = np.tile(np.arange(members, dtype=np.int32), count * steps)
        dates = pa.array([step_date(result.start, s) for s in range(steps)], type=pa.string())
        columns: dict[str, pa.Array] = {
            "point": pa.array(np.repeat(task.point[ok], per_run), type=pa.int64()),
            "replicate": pa.array(np.repeat(task.replicate[ok], per_run), type=pa.int64()),
            "seed": pa.array(np.repeat(task.seed[ok], per_run), type=pa.uint64()),
            "step": pa.array(step.astype(np.int64), type=pa.int64()),
            "date": pa.DictionaryArray.from_arrays(pa.array(step), dates),
            "member": pa.DictionaryArray.from_arrays(
                pa.array(member), pa.array(list(MEMBERS), type=pa.string())
            ),
        }
        for name in TIMESERIES_COLUMNS[3:]:
            array = result.series[name][finite]
            if name in ALLIANCE_COLUMNS:
                flat = np.repeat(array.reshape(-1), members)
            else:
                flat = array.reshape(-1)
            if name == "frozen":
                columns[name] = pa.array(flat.astype(bool), type=pa.bool_())
            else:
                columns[name] = pa.array(flat, type=pa.float64())
        return pa.table(columns)

    def series_table(self) -> pa.Table:
        if not self.series:
            return _empty_series_table(self.task.paths)
        return pa.concat_tables(self.series)


def _empty_column(entry: outcomes.Outcome, count: int) -> npt.NDArray[Any]:
    """A chunk's column of one outcome before any run: NaN, 0 (masked as null), None."""
    if entry.type == "float":
        return np.full(count, np.nan)
    if entry.type == "int":
        return np.zeros(count, dtype=np.int64)
    if entry.type == "bool":
        return np.zeros(count, dtype=bool)
    return np.full(count, None, dtype=object)


def _arrow_column(entry: outcomes.Outcome, values: npt.NDArray[Any], failed: Any) -> pa.Array:
    """One outcome's column of a run shard: failed runs NaN (floats) or null."""
    if entry.type == "float":
        return pa.array(values, type=pa.float64())
    if entry.type == "int":
        return pa.array(values, type=pa.int64(), mask=failed)
    if entry.type == "bool":
        return pa.array(values, type=pa.bool_(), mask=failed)
    return pa.array(values.tolist(), type=pa.string())


def _empty_series_table(paths: tuple[str, ...]) -> pa.Table:
    schema_fields = [
        pa.field("point", pa.int64()),
        pa.field("replicate", pa.int64()),
        pa.field("seed", pa.uint64()),
        pa.field("step", pa.int64()),
        pa.field("date", pa.dictionary(pa.int32(), pa.string())),
        pa.field("member", pa.dictionary(pa.int32(), pa.string())),
    ]
    for name in TIMESERIES_COLUMNS[3:]:
        schema_fields.append(pa.field(name, pa.bool_() if name == "frozen" else pa.float64()))
    return pa.schema(schema_fields).empty_table()


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}"[:500] if text else type(error).__name__


# --- local worker processes ----------------------------------------------------------------


def init_worker(coordinator: int, created: float) -> None:
    """Set up a local worker process: leave Ctrl-C to the coordinator, and exit as soon as the
    coordinator is gone (``kill -9``; a dead process whose parent has not yet collected it
    counts as gone, and so does a reused process id) instead of lingering."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def alive() -> bool:
        try:
            process = psutil.Process(coordinator)
            same = process.create_time() == created
            return bool(same and process.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            return False

    def watch() -> None:
        while alive():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="sweep-coordinator-watch", daemon=True).start()
