"""Run a sweep: cut it into chunks, send them to workers, write each shard as it comes back.

Three backends run the same :func:`sim.sweep.worker.run_chunk`:

* ``inline``: in this process (``--workers 1``, a single chunk left, or by default a sweep
  small enough to finish before worker processes would have started);
* ``local``: worker processes on this machine (``concurrent.futures.ProcessPoolExecutor``,
  started with ``forkserver`` where available, else ``spawn``; never ``fork``, which is unsafe
  in a process with threads);
* ``dask``: an existing Dask distributed cluster (``--scheduler tcp://HOST:PORT``).

All seeds are derived from the master seed before any chunk is sent, every chunk is a pure
function of its runs, and the coordinator writes shards by chunk number, so the folder's rows
are identical whatever the backend, the number of workers or the order chunks finish in. Only
a bounded number of chunks is in flight at once and finished rows go straight to disk, so the
coordinator's memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
import psutil
import pyarrow.parquet as pq

from sim.model.draws import derive_seeds
from sim.results import provenance
from sim.stats import DRAWS, DRAWS_AND_PARAMETERS
from sim.sweep import claim, store
from sim.sweep import design as design_module
from sim.sweep.spec import SweepError, SweepSpec, definition_digest
from sim.sweep.worker import (
    ChunkOutput,
    ChunkStats,
    ChunkTask,
    init_worker,
    run_chunk,
    table_stats,
    versions,
)

if TYPE_CHECKING:
    from sim.sweep.cluster import ClusterSettings

#: Called with (runs done, runs in all) as chunks finish.
ProgressCallback = Callable[[int, int], None]


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C or SIGTERM); finished chunks are on disk."""

    def __init__(self, folder: Path, done: int, total: int) -> None:
        self.folder = folder
        self.done = done
        self.total = total
        super().__init__(
            f"interrupted: {done} of {total} chunks are on disk in {folder}; "
            "rerun the same command to resume"
        )


class BackendError(Exception):
    """A backend that cannot be used (scheduler unreachable, workers with other versions)."""


def available_cores() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


# --- backends --------------------------------------------------------------------------------


class Backend(Protocol):
    description: str

    def map(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkOutput]: ...

    def close(self, cancel: bool) -> None: ...


class InlineBackend:
    """Chunks run one after another in this process."""

    description = "this process"

    def map(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkOutput]:
        for task in tasks:
            yield run_chunk(task)

    def close(self, cancel: bool) -> None:
        pass


class LocalBackend:
    """Worker processes on this machine; at most two chunks per worker in flight.

    Worker processes take from half a second to a few seconds to start (the forkserver imports
    numpy, pandas and pyarrow once, then forks them). They are started in the background; if
    none is ready by the time the first chunk could be sent, the coordinator runs chunks itself
    until one is (``coordinator_helps``), so little is lost to the start-up.
    """

    def __init__(self, workers: int, coordinator_helps: bool = True) -> None:
        self.workers = workers
        self.coordinator_helps = coordinator_helps
        self.description = f"{workers} local worker processes"
        # Workers are single-threaded numpy: no BLAS thread pools (which would also make the
        # forkserver multi-threaded before it forks).
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            try:
                _start_forkserver(context)
            except OSError as error:
                raise BackendError(f"cannot start worker processes ({error})") from None
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(os.getpid(), psutil.Process().create_time()),
        )
        self.used = False
        self.ready: list[Future[dict[str, str]]] = []
        self.start_error: BaseException | None = None
        # Starting a forkserver worker blocks until the server has imported its modules: do it
        # in the background, so that this process can run chunks meanwhile.
        self.starter = threading.Thread(target=self._start, name="sweep-pool-start", daemon=True)
        self.starter.start()

    def _start(self) -> None:
        try:
            self.ready = [self.pool.submit(versions) for _ in range(self.workers)]
        except BaseException as error:  # pragma: no cover - reported by map()
            self.start_error = error

    def _warm(self) -> bool:
        if self.start_error is not None:
            raise BackendError(f"cannot start worker processes ({self.start_error})")
        return any(started.done() for started in self.ready)

    def map(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkOutput]:
        while self.coordinator_helps and not self._warm():
            task = next(tasks, None)
            if task is None:
                return
            yield run_chunk(task)
        self.starter.join()
        if self.start_error is not None:
            raise BackendError(f"cannot start worker processes ({self.start_error})")
        for started in self.ready:
            if started.done():
                self._result(started)
        self.used = True
        pending: set[Future[ChunkOutput]] = set()

        def fill() -> None:
            while len(pending) < 2 * self.workers:
                task = next(tasks, None)
                if task is None:
                    return
                pending.add(self.pool.submit(run_chunk, task))

        fill()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                pending.discard(future)
                yield self._result(future)
            fill()

    @staticmethod
    def _result(future: Future[Any]) -> Any:
        try:
            return future.result()
        except Exception as error:  # a worker process died (killed, out of memory)
            raise BackendError(
                f"a worker process failed ({type(error).__name__}: {error}); "
                "finished chunks are saved, rerun the same command to resume"
            ) from error

    def close(self, cancel: bool) -> None:
        if self.used:
            self.pool.shutdown(wait=not cancel, cancel_futures=True)
            return
        # Finished or stopped before any worker was ready: let the workers finish starting,
        # then stop them (a worker still starting when this process exits fails noisily).
        self.starter.join(timeout=120)
        self.pool.shutdown(wait=True, cancel_futures=True)


def _start_forkserver(context: Any) -> None:
    """Start the forkserver now, in a process group of its own: a terminal sends Ctrl-C to
    its foreground process group, and the server (and the workers it forks) would die with a
    ``KeyboardInterrupt`` traceback while importing; this process gets Ctrl-C and stops them.
    The server preloads :mod:`sim.sweep.preload`, which ends it and removes the
    multiprocessing folder if this process is killed."""
    from multiprocessing import forkserver, util

    from sim.sweep import preload

    os.environ[preload.COORDINATOR_PID] = str(os.getpid())
    os.environ[preload.POOL_FOLDER] = util.get_temp_dir()
    context.set_forkserver_preload(["sim.sweep.preload"])
    spawn = util.spawnv_passfds
    util.spawnv_passfds = _spawn_in_own_group  # type: ignore[assignment]
    try:
        forkserver.ensure_running()
    finally:
        util.spawnv_passfds = spawn


def _spawn_in_own_group(path: str, args: list[str], passfds: list[int]) -> int:
    """``multiprocessing.util.spawnv_passfds``, but the child leads a process group of its
    own. Only the descriptors in ``passfds`` (and the standard ones) are inherited: Python
    makes every other descriptor non-inheritable."""
    made = [fd for fd in passfds if not os.get_inheritable(fd)]
    for fd in made:
        os.set_inheritable(fd, True)
    try:
        return os.posix_spawn(path, args, os.environ, setpgroup=0)
    finally:
        for fd in made:
            os.set_inheritable(fd, False)


class DaskBackend:
    """Chunks sent to an existing Dask distributed scheduler.

    A chunk whose worker dies is sent again by the scheduler; one the scheduler gives up on
    (it killed :data:`RESUBMIT` workers in a row) is submitted afresh a few times before the
    sweep stops. Each chunk is written once, by its number, whichever worker ran it.
    """

    def __init__(self, address: str) -> None:
        self.distributed: Any = _distributed()
        try:
            self.client: Any = self.distributed.Client(address, timeout="20s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as error:
            raise BackendError(
                f"cannot reach the Dask scheduler at {address} "
                f"({' '.join(str(error).split()) or type(error).__name__}); "
                "start one with `dask scheduler` and workers with `dask worker ADDRESS`"
            ) from None
        threads = sum(self.client.nthreads().values())
        if threads == 0:
            self.client.wait_for_workers(1, timeout=60)
            threads = sum(self.client.nthreads().values())
        self.threads = max(1, int(threads))
        self.description = f"Dask scheduler {address} ({self.threads} worker threads)"

    def window(self) -> int:
        """Chunks in flight at once: two per worker thread."""
        return 2 * self.threads

    def map(self, tasks: Iterator[ChunkTask]) -> Iterator[ChunkOutput]:
        token = os.urandom(4).hex()
        attempts: dict[str, tuple[ChunkTask, int]] = {}
        queue: Any = self.distributed.as_completed([], loop=self.client.loop)

        def submit(task: ChunkTask, attempt: int) -> None:
            key = f"csto-chunk-{task.index}-{token}-{attempt}"
            attempts[key] = (task, attempt)
            queue.add(self.client.submit(run_chunk, task, pure=False, key=key))

        def fill() -> None:
            while queue.count() < self.window():
                task = next(tasks, None)
                if task is None:
                    return
                submit(task, 0)

        fill()
        for future in queue:
            task, attempt = attempts.pop(future.key)
            try:
                output: ChunkOutput = future.result()
            except self.distributed.KilledWorker as error:
                if attempt >= RESUBMIT:
                    raise BackendError(
                        f"chunk {task.index} was running on workers that died {attempt + 1} "
                        f"times ({error}); finished chunks are saved, rerun the same command "
                        "to resume"
                    ) from error
                submit(task, attempt + 1)  # its workers died (lost nodes, out of memory)
                continue
            except Exception as error:
                raise BackendError(
                    f"a Dask task failed ({type(error).__name__}: {error}); "
                    "finished chunks are saved, rerun the same command to resume"
                ) from error
            future.release()
            yield output
            fill()

    def close(self, cancel: bool) -> None:
        try:
            if cancel:
                self.client.cancel(list(self.client.futures.values()), force=True)
        finally:
            self.client.close()


#: Times a chunk is submitted again after the scheduler gave up on it (KilledWorker).
RESUBMIT = 3


def _distributed() -> Any:
    """``dask.distributed``, imported when a Dask backend is used (it takes a second)."""
    try:
        import distributed
    except ImportError as error:  # pragma: no cover - distributed is a dependency
        raise BackendError(f"Dask backends need dask.distributed ({error})") from None
    return distributed


#: Sweeps with at most this much work left (runs x months) run in this process: starting
#: worker processes (a second or two) would take longer than the runs (20,000 runs of 36 months
#: take about a second).
INLINE_WORK = 20_000 * 36


def make_backend(
    workers: int | None,
    scheduler: str | None,
    chunks: int,
    work: int,
    cluster: ClusterSettings | None = None,
    folder: Path | None = None,
) -> Backend:
    """The backend for these options: worker jobs on a cluster if ``cluster`` is given; Dask if
    a scheduler is given; else ``workers`` local processes, or by default one per core (this
    process alone for a small sweep)."""
    if cluster is not None:
        from sim.sweep.cluster import ClusterBackend

        return ClusterBackend(cluster, folder or Path("."))
    if scheduler:
        return DaskBackend(scheduler)
    if workers is None:
        workers = 1 if work <= INLINE_WORK else available_cores()
    count = min(workers, chunks)
    if count <= 1:
        return InlineBackend()
    return LocalBackend(count)


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class OutcomeStats:
    """Count, mean, spread and range of one outcome over successful runs, merged chunk by
    chunk."""

    count: int = 0
    total: float = 0.0
    squares: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")

    def merge(self, part: list[float]) -> None:
        count, total, squares, low, high = part
        self.count += int(count)
        self.total += total
        self.squares += squares
        self.low = min(self.low, low)
        self.high = max(self.high, high)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")

    @property
    def sd(self) -> float:
        if self.count < 2:
            return float("nan")
        variance = (self.squares - self.total * self.total / self.count) / (self.count - 1)
        return float(np.sqrt(max(variance, 0.0)))


@dataclass
class SweepSummary:
    """What a finished (or resumed) sweep reports."""

    folder: Path
    manifest: dict[str, Any]
    runs: int
    chunks: int
    present: int = 0
    failed: int = 0
    chunks_run: int = 0
    seconds: float = 0.0
    backend: str = "nothing to run"
    outcomes: dict[str, OutcomeStats] = field(default_factory=dict)
    froze: int = 0
    first_freezers: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    workers: set[str] = field(default_factory=set)
    """The processes (``host:pid``) that ran chunks in this session."""
    runs_run: int = 0
    """Runs run in this session (the others were on disk already)."""

    def add(self, stats: ChunkStats) -> None:
        """Count a chunk in."""
        self.present += stats.rows
        self.failed += stats.failed
        for name, part in stats.outcomes.items():
            self.outcomes.setdefault(name, OutcomeStats()).merge(part)
        self.froze += stats.froze
        for name, count in stats.first_freezers.items():
            self.first_freezers[name] = self.first_freezers.get(name, 0) + count
        for message, count in stats.errors.items():
            self.errors[message] = self.errors.get(message, 0) + count

    @property
    def complete(self) -> bool:
        return self.present == self.runs

    @property
    def rate(self) -> float:
        """Runs per second in this session."""
        if not self.runs_run or self.seconds <= 0:
            return float("nan")
        return self.runs_run / self.seconds


def run_sweep(
    spec: SweepSpec,
    out: str | Path | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: ClusterSettings | None = None,
    timeseries: bool = False,
    chunk_size: int | None = None,
    command: str | None = None,
    progress: ProgressCallback | None = None,
    backend: Backend | None = None,
) -> SweepSummary:
    """Run (or resume) a sweep into ``out`` (default ``results/sweeps/<name>``).

    ``cluster`` runs the chunks on worker jobs of a batch system (:mod:`sim.sweep.cluster`).
    ``backend`` replaces the one ``workers``, ``scheduler`` and ``cluster`` would choose (it is
    closed at the end). Raises :class:`SweepError` if ``out`` holds another sweep (nothing is
    written), :class:`BackendError` if the backend cannot be used, and
    :class:`SweepInterrupted` after Ctrl-C (finished chunks kept; the same call resumes).
    """
    folder = Path(out) if out is not None else store.DEFAULT_ROOT / spec.name
    total_runs = spec.runs()
    size = chunk_size or spec.chunk_size or store.default_chunk_size(total_runs, timeseries)
    layout = store.Layout(total_runs, size)
    definition = spec.definition(size, timeseries)
    digest = definition_digest(definition)
    held: claim.FolderLock | None = None
    old = store.check_resumable(folder, definition, digest)
    if old:
        with _writing(folder, layout, timeseries, created=True):
            held = claim.lock(folder)
        try:  # as it is now that no other sweep writes it
            old = store.check_resumable(folder, definition, digest)
            _check_recorded_versions(folder, old)
        except BaseException:
            held.release()
            raise
    try:
        return _run_claimed(
            spec,
            folder,
            layout,
            definition,
            digest,
            old,
            held,
            workers=workers,
            scheduler=scheduler,
            cluster=cluster,
            timeseries=timeseries,
            command=command,
            progress=progress,
            backend=backend,
        )
    finally:
        if held is not None:
            held.release()


class SweepWriteError(SweepError):
    """The results folder cannot be written (read-only, full, removed); the chunks already
    on disk stay there and the same command resumes once it can be written."""


@contextmanager
def _writing(folder: Path, layout: store.Layout, timeseries: bool, created: bool) -> Iterator[None]:
    """Turn an OSError while writing the folder into a :class:`SweepWriteError` saying what is
    on disk."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or str(error)
        if not created:
            state = "nothing was written"
        else:
            try:
                present = len(store.done_chunks(folder, layout, timeseries))
            except OSError:  # pragma: no cover - the folder went away
                present = 0
            state = (
                f"{present} of {layout.count} chunks are on disk in {folder}; once it can be "
                "written, rerun the same command to resume"
            )
        raise SweepWriteError(folder, "", f"cannot write the sweep ({reason}); {state}") from None


def _run_claimed(
    spec: SweepSpec,
    folder: Path,
    layout: store.Layout,
    definition: dict[str, Any],
    digest: str,
    old: dict[str, Any],
    held: claim.FolderLock | None,
    *,
    workers: int | None,
    scheduler: str | None,
    cluster: ClusterSettings | None,
    timeseries: bool,
    command: str | None,
    progress: ProgressCallback | None,
    backend: Backend | None,
) -> SweepSummary:
    """:func:`run_sweep` once the folder is locked (if it exists already)."""
    total_runs = layout.runs
    done = store.done_chunks(folder, layout, timeseries) if old else set()
    todo = [index for index in range(layout.count) if index not in done]
    runs_done = sum(layout.rows(index) for index in done)

    clock = time.perf_counter()
    summary = SweepSummary(folder=folder, manifest={}, runs=total_runs, chunks=layout.count)
    session: dict[str, Any] = {
        "command": command,
        "started": provenance.now(),
        "git_commit": provenance.git_commit()["commit"],
    }
    manifest: dict[str, Any] = {}
    cancel = True
    created = bool(old)

    def save(status: str) -> None:
        """Record how the session ended, if the folder can still be written."""
        if created and manifest:
            session["ended"] = provenance.now()
            session["status"] = status
            with suppress(OSError):
                store.write_manifest(folder, manifest)

    try:
        if todo and backend is None:  # first, so that worker processes start while we prepare
            work = (total_runs - runs_done) * spec.horizon
            backend = make_backend(workers, scheduler, len(todo), work, cluster, folder)
        seeds = np.asarray(derive_seeds(spec.seed, spec.replicates), dtype=np.uint64)
        posterior = spec.draws_from
        # replicate r runs under particle r of the posterior at every design point (drawn once,
        # with the master seed, as csto run draws its parameter sets)
        particles = None if posterior is None else posterior.choose(spec.replicates, spec.seed)
        if posterior is None or particles is None:
            matrix = design_module.points(spec)
        else:  # check the design with every parameter set a point will meet
            distinct, first = np.unique(particles, return_index=True)
            order = np.argsort(first)
            sets = posterior.at(distinct[order], spec.paths)
            matrix = design_module.points(spec, sets, first[order])
        if old:
            manifest = old
        else:
            manifest = _new_manifest(
                spec, definition, digest, layout, seeds, particles, command, timeseries
            )
        manifest.setdefault("sessions", []).append(session)
        manifest["complete"] = False

        def fill(place: Path) -> None:
            (place / store.RUNS).mkdir(exist_ok=True)
            if timeseries:
                (place / store.TIMESERIES).mkdir(exist_ok=True)
            store.remove_temporaries(place)
            if not (place / store.DESIGN).is_file():
                table = store.design_table(spec.paths, matrix)
                store.write_atomic(place / store.DESIGN, store.encode_table(table))
            store.write_manifest(place, manifest)

        if old:
            with _writing(folder, layout, timeseries, created=True):
                fill(folder)
        else:
            with _writing(folder, layout, timeseries, created=False):
                held = claim.create(folder, fill)
            if held is None:
                raise SweepError(
                    folder,
                    "",
                    "another csto sweep started writing this folder at the same moment; "
                    "wait for it to finish, or choose another --out",
                )
            created = True
        if progress is not None:
            progress(runs_done, total_runs)
        for path in store.chunk_files(folder):  # chunks of earlier sessions
            if store.chunk_index(path) in done:
                summary.add(table_stats(pq.read_table(path)))

        def tasks() -> Iterator[ChunkTask]:
            for index in todo:
                start, stop = layout.bounds(index)
                run = np.arange(start, stop, dtype=np.int64)
                point = run // spec.replicates
                replicate = run % spec.replicates
                drawn = {}
                if posterior is not None and particles is not None:
                    drawn = posterior.at(particles[replicate], spec.paths)
                yield ChunkTask(
                    index=index,
                    scenario=spec.scenario,
                    steps=spec.horizon,
                    paths=spec.paths,
                    point=point,
                    replicate=replicate,
                    seed=seeds[replicate],
                    values=matrix[point],
                    outcomes=spec.outcomes,
                    timeseries=timeseries,
                    drawn=drawn,
                    particle=None if particles is None else particles[replicate],
                )

        if backend is not None and todo:
            summary.backend = backend.description
            session["backend"] = backend.description
            mine = versions()
            for output in backend.map(tasks()):
                _check_versions(output.versions, mine)
                with _writing(folder, layout, timeseries, created=True):
                    store.write_chunk(folder, output.index, output.runs, output.timeseries)
                summary.add(output.stats)
                summary.workers.add(output.worker)
                summary.chunks_run += 1
                summary.runs_run += output.count
                runs_done += output.count
                session["processes"] = len(summary.workers)
                if progress is not None:
                    progress(runs_done, total_runs)
        cancel = False
    except KeyboardInterrupt:
        save("interrupted")
        present = len(store.done_chunks(folder, layout, timeseries)) if created else 0
        raise SweepInterrupted(folder, present, layout.count) from None
    except BaseException:
        save("failed")
        raise
    finally:
        if backend is not None:
            backend.close(cancel)
        if held is not None and not old:
            held.release()  # the lock of a folder created here (the caller holds an old one's)
    summary.seconds = time.perf_counter() - clock
    session["ended"] = provenance.now()
    session["status"] = "complete" if summary.complete else "incomplete"
    session["chunks_run"] = summary.chunks_run
    manifest["complete"] = summary.complete
    manifest["finished"] = session["ended"] if summary.complete else None
    manifest["ok"] = summary.present - summary.failed
    manifest["failed"] = summary.failed
    with _writing(folder, layout, timeseries, created=True):
        store.write_manifest(folder, manifest)
    summary.manifest = manifest
    return summary


def _check_recorded_versions(folder: Path, manifest: dict[str, Any]) -> None:
    recorded = manifest.get("versions", {})
    for key in ("sim", "numpy"):
        if recorded.get(key) != versions().get(key):
            raise SweepError(
                folder / store.MANIFEST,
                "versions",
                f"the sweep was started with {key} {recorded.get(key)} and this is "
                f"{versions().get(key)}; results would mix (choose another --out)",
            )


def _check_versions(theirs: dict[str, str], mine: dict[str, str]) -> None:
    for key in ("sim", "numpy"):
        if theirs.get(key) != mine.get(key):
            raise BackendError(
                f"a worker runs {key} {theirs.get(key)} but this process runs {mine.get(key)}; "
                "results would not be reproducible (run the workers in the same environment, "
                "e.g. `scripts/uvrun dask worker ...`)"
            )


def _new_manifest(
    spec: SweepSpec,
    definition: dict[str, Any],
    digest: str,
    layout: store.Layout,
    seeds: npt.NDArray[np.uint64],
    particles: npt.NDArray[np.int64] | None,
    command: str | None,
    timeseries: bool,
) -> dict[str, Any]:
    git = provenance.git_commit()
    scenario = spec.scenario
    posterior = spec.draws_from
    drawn: dict[str, Any] | None = None
    if posterior is not None and particles is not None:
        drawn = {
            **posterior.record(),
            "particles_sha256": definition["posterior"]["particles_sha256"],
            "drawn": list(spec.drawn()),
            "replicate_particles": [int(particle) for particle in particles],
        }
    return {
        "kind": "sweep",
        "manifest_version": store.MANIFEST_VERSION,
        "sweep": spec.name,
        "title": spec.title,
        "sweep_file": spec.file,
        "sweep_file_hash": spec.file_sha256,
        "definition_sha256": digest,
        "definition": definition,
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "sha256": scenario.digest,
            "values_sha256": definition["scenario"]["values_sha256"],
            "files": list(scenario.files),
        },
        "parameters": definition["parameters"],
        "design": spec.design.method,
        "settings": spec.design.settings(),
        "problem": spec.problem() if spec.design.method in ("sobol", "morris") else None,
        "replicates": spec.replicates,
        "master_seed": spec.seed,
        "replicate_seeds": [int(seed) for seed in seeds],
        "posterior": drawn,
        "covers": DRAWS if drawn is None else DRAWS_AND_PARAMETERS,
        "points": spec.points(),
        "runs": layout.runs,
        "chunks": {"count": layout.count, "size": layout.size},
        "steps": spec.horizon,
        "start": scenario.start,
        "outcomes": list(spec.outcomes),
        "timeseries": timeseries,
        "versions": store.sweep_versions(),
        "git_commit": git["commit"],
        "git": git,
        "command": command,
        "started": provenance.now(),
        "finished": None,
        "complete": False,
        "ok": None,
        "failed": None,
    }
