"""Workers as batch jobs on a cluster: ``csto sweep --cluster slurm`` (docs/cluster.md).

The coordinator (the ``csto sweep`` process, on a login node or in a job of its own) starts a
Dask scheduler and asks the batch system for worker jobs through dask-jobqueue
(``SLURMCluster``). The number of jobs follows the work (Dask's adaptive scaling, up to
``jobs``); chunks go to the workers exactly as with ``--scheduler`` and come back to the
coordinator, which writes every shard itself, so the workers need the project's environment
but no access to the results folder, and the rows are byte-identical to a local run.

A batch job ends at its walltime. Each worker is given a lifetime shorter than the walltime
(dask's ``--lifetime``, spread by ``--lifetime-stagger`` so the jobs do not all leave at once):
it stops taking chunks, hands back what it holds and exits before SLURM kills it, and a new
job takes its place. A chunk that was running on a worker that died anyway (a node lost, a job
cancelled) is run again elsewhere; chunks are written by number, so none is lost or doubled.

``kind = "local"`` runs the same machinery with dask-jobqueue's local job queue (each "job" a
process on this machine): a way to try a configuration without a cluster.
"""

from __future__ import annotations

import logging
import math
import re
import signal
import sys
import threading
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Final

from sim.sweep.spec import SweepError

#: Batch systems ``--cluster`` knows.
KINDS: Final = ("slurm", "local")
#: The job name of the workers (``squeue --name``).
JOB_NAME: Final = "csto-sweep"
_WALLTIME = re.compile(r"^(?:(\d+)-)?(\d{1,3}):([0-5]\d):([0-5]\d)$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)?$")
#: Longest time between a worker's last chunk and its job's end, at full walltime.
_MARGIN_CAP: Final = 120.0
#: Shortest time a worker may be given (starting one takes seconds).
MIN_LIFETIME: Final = 60.0
#: Largest spread of the workers' lifetimes.
_STAGGER_CAP: Final = 300.0


@dataclass(frozen=True)
class ClusterSettings:
    """What to ask the batch system for; every field has the ``[cluster]`` key of its name."""

    kind: str = "slurm"
    jobs: int = 4
    """Most worker jobs at once (adaptive scaling starts and ends them with the work)."""
    cores: int = 1
    """Cores per job; each runs one single-threaded worker process."""
    memory: str = "2GB"
    """Memory per job (shared by its worker processes)."""
    walltime: str = "01:00:00"
    """Time limit of each job, ``HH:MM:SS`` or ``D-HH:MM:SS``."""
    queue: str | None = None
    """SLURM partition (``-p``)."""
    account: str | None = None
    """SLURM account to charge (``-A``)."""
    lifetime: str | None = None
    """How long a worker runs before it drains and exits (default: from the walltime)."""
    lifetime_stagger: str | None = None
    """Random spread of the lifetimes (default: from the walltime)."""
    prologue: tuple[str, ...] = ()
    """Shell lines run in each job before the worker starts (``module load ...``)."""
    directives: tuple[str, ...] = ()
    """Extra ``#SBATCH`` options, e.g. ``"--qos=short"``."""
    interface: str | None = None
    """Network interface the scheduler and workers talk on (e.g. ``ib0``)."""
    python: str | None = None
    """The Python that runs the workers (default: the coordinator's)."""
    log_directory: str | None = None
    """Where the jobs' output goes (default: ``logs/`` in the results folder)."""

    def walltime_seconds(self) -> float:
        seconds = _walltime_seconds(self.walltime)
        if seconds is None:
            raise ValueError(f"not a walltime: {self.walltime!r}")
        return float(seconds)

    def lifetimes(self) -> tuple[float, float]:
        """A worker's lifetime and its spread, in seconds: by default the lifetime ends a
        tenth of the walltime (at most two minutes) plus the spread (a tenth, at most five
        minutes) before the walltime, so the last worker leaves before SLURM kills it."""
        walltime = self.walltime_seconds()
        stagger = (
            _duration_seconds(self.lifetime_stagger)
            if self.lifetime_stagger is not None
            else min(_STAGGER_CAP, walltime / 10)
        )
        if self.lifetime is not None:
            return _duration_seconds(self.lifetime), stagger
        margin = min(_MARGIN_CAP, walltime / 10)
        return walltime - margin - stagger, stagger

    def describe(self) -> str:
        where = f" on {self.queue}" if self.queue else ""
        system = "SLURM" if self.kind == "slurm" else "local job queue"
        return (
            f"{system}{where}: up to {self.jobs} jobs x {self.cores} cores, {self.memory}, "
            f"walltime {self.walltime}"
        )


#: The CLI options that are also ``[cluster]`` keys.
OPTION_KEYS: Final = ("jobs", "cores", "memory", "walltime", "queue", "account")


def settings(
    kind: str | None,
    config: str | Path | None = None,
    **options: Any,
) -> ClusterSettings:
    """The cluster settings from a config file's ``[cluster]`` table, then the command-line
    options that are not None; a SweepError naming the file or option and field if one is
    invalid."""
    base = ClusterSettings()
    source = "--cluster"
    if config is not None:
        base = read_config(config)
        source = str(config)
    chosen = {key: value for key, value in options.items() if value is not None}
    unknown = set(chosen) - set(OPTION_KEYS)
    if unknown:  # pragma: no cover - a programming error
        raise TypeError(f"unknown cluster options {sorted(unknown)}")
    if kind is not None:
        chosen["kind"] = kind
    result = replace(base, **chosen)
    for key in chosen:
        _check(result, key, f"--{key}" if key != "kind" else "--cluster", "")
    for key in {f.name for f in fields(ClusterSettings)} - set(chosen):
        _check(result, key, source, "cluster." if config is not None else "")
    return result


def read_config(path: str | Path) -> ClusterSettings:
    """The ``[cluster]`` table of a TOML file (other tables are ignored)."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SweepError(
            file, "", "no such file (expected a TOML file with a [cluster] table)"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SweepError(file, "", f"cannot read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise SweepError(file, "", f"not valid TOML ({error})") from None
    table = data.get("cluster")
    if not isinstance(table, dict):
        raise SweepError(file, "cluster", "missing (expected a [cluster] table)")
    known = {f.name: f for f in fields(ClusterSettings)}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in known:
            raise SweepError(
                file, f"cluster.{key}", f"unknown key (expected one of {', '.join(known)})"
            )
        if key in ("prologue", "directives"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise SweepError(file, f"cluster.{key}", "expected a list of strings")
            value = tuple(value)
        values[key] = value
    settings = ClusterSettings(**values)
    for key in values:
        _check(settings, key, file, "cluster.")
    return settings


def _check(settings: ClusterSettings, key: str, where: str | Path, prefix: str) -> None:
    """One field's value, else a SweepError naming where it came from."""
    value = getattr(settings, key)
    name = f"{prefix}{key}" if prefix else ""

    def bad(expected: str) -> SweepError:
        return SweepError(where, name, f"expected {expected}, got {value!r}")

    expected = _EXPECTED.get(key)
    if expected is not None and not _VALID[key](value):
        raise bad(expected)
    # The lifetime against the walltime: reported as the lifetime's error if one was given.
    if key == ("lifetime" if settings.lifetime is not None else "walltime"):
        if _walltime_seconds(str(settings.walltime)) is None:
            return  # reported as the walltime's own error
        lifetime, stagger = settings.lifetimes()
        walltime = settings.walltime_seconds()
        if lifetime - stagger < MIN_LIFETIME or lifetime + stagger >= walltime:
            raise SweepError(
                where,
                name or key,
                f"a worker's lifetime ({lifetime:.0f} s, give or take {stagger:.0f} s) must "
                f"be at least {MIN_LIFETIME:.0f} s and end before the walltime "
                f"({settings.walltime}, {walltime:.0f} s)",
            )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100_000


def _is_line(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(value.strip()) and "\n" not in value)


def _is_duration(value: object) -> bool:
    return value is None or (isinstance(value, str) and _DURATION.match(value.strip()) is not None)


#: What each checked field must be, in words and as a test.
_EXPECTED: Final = {
    "kind": " or ".join(f'"{kind}"' for kind in KINDS),
    "jobs": "a whole number in [1, 100000]",
    "cores": "a whole number in [1, 100000]",
    "memory": 'an amount of memory such as "4GB" or "500MB"',
    "walltime": 'a time limit "HH:MM:SS" or "D-HH:MM:SS"',
    "lifetime": 'a duration such as "50m", "90s" or "1h"',
    "lifetime_stagger": 'a duration such as "5m" or "30s"',
    **dict.fromkeys(
        ("queue", "account", "interface", "python", "log_directory"),
        "a non-empty string on one line",
    ),
}
_VALID: Final = {
    "kind": lambda value: value in KINDS,
    "jobs": _is_count,
    "cores": _is_count,
    "memory": lambda value: isinstance(value, str) and _bytes(value) is not None,
    "walltime": lambda value: isinstance(value, str) and _walltime_seconds(value) is not None,
    "lifetime": _is_duration,
    "lifetime_stagger": _is_duration,
    **dict.fromkeys(("queue", "account", "interface", "python", "log_directory"), _is_line),
}


def _walltime_seconds(text: str) -> int | None:
    match = _WALLTIME.match(text.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(part) if part else 0 for part in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total if total > 0 else None


def _duration_seconds(text: str) -> float:
    match = _DURATION.match(text.strip())
    if not match:  # pragma: no cover - checked before
        raise ValueError(text)
    number, unit = match.groups()
    return float(number) * {"s": 1, "m": 60, "h": 3600, None: 1}[unit]


def _bytes(text: str) -> int | None:
    from dask.utils import parse_bytes

    try:
        value = int(parse_bytes(text))
    except (ValueError, TypeError):
        return None
    return value if value > 0 else None


# --- the backend -----------------------------------------------------------------------------


class ClusterBackend:
    """Chunks sent to worker jobs that this process asks the batch system for.

    The scheduler starts in :meth:`map`, once the results folder exists (the jobs' logs go
    there). While chunks are pending, a watcher replaces jobs that ended (walltime, lifetime,
    ``scancel``): dask's adaptive scaling counts a job that is gone as planned until it is
    told otherwise.
    """

    #: Seconds between the watcher's looks at the jobs.
    watch_every = 2.0

    def __init__(self, settings: ClusterSettings, folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.description = settings.describe()
        self.cluster: Any = None
        self.dask: Any = None
        self.stop = threading.Event()
        self.watcher: threading.Thread | None = None
        self.logs: list[tuple[logging.Logger, list[logging.Handler], bool]] = []

    def _start(self) -> None:
        from sim.sweep.execute import BackendError, DaskBackend

        settings = self.settings
        lifetime, stagger = settings.lifetimes()
        log_directory = settings.log_directory or str(self.folder / "logs")
        options: dict[str, Any] = {
            "cores": settings.cores,
            "processes": settings.cores,
            "memory": settings.memory,
            "walltime": settings.walltime,
            "job_name": JOB_NAME,
            "python": settings.python or sys.executable,
            "interface": settings.interface,
            "job_script_prologue": list(settings.prologue),
            # One thread per worker process: the batch engine is single-threaded numpy.
            "worker_extra_args": [
                "--lifetime",
                f"{math.floor(lifetime)}s",
                "--lifetime-stagger",
                f"{math.floor(stagger)}s",
            ],
            "log_directory": log_directory,
            "scheduler_options": {"dashboard_address": None},
        }
        if settings.kind == "slurm":
            options.update(
                queue=settings.queue,
                account=settings.account,
                job_extra_directives=list(settings.directives),
                # Jobs run the worker with the coordinator's environment variables, and no
                # BLAS thread pools (one worker process per core).
                job_script_prologue=[
                    "export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1",
                    *settings.prologue,
                ],
            )
        distributed = _distributed_module()  # first: it sets up its log on import
        self._log_to(Path(log_directory) / "coordinator.log")
        try:
            jobqueue = _import_jobqueue()
            if settings.kind == "slurm":
                self.cluster = jobqueue.slurm.SLURMCluster(**options)
            else:
                self.cluster = jobqueue.local.LocalCluster(**options)
        except ImportError as error:  # pragma: no cover - dask-jobqueue is a dependency
            raise BackendError(f"--cluster needs dask-jobqueue ({error})") from None
        except (OSError, RuntimeError, ValueError) as error:
            raise BackendError(f"cannot start the cluster's scheduler ({error})") from None
        self.cluster.adapt(
            minimum_jobs=1,
            maximum_jobs=settings.jobs,
            # Ask for every job while chunks wait (the coordinator keeps two per worker
            # queued), and let idle ones go at the end.
            target_duration="1s",
        )
        self.dask = DaskBackend.__new__(DaskBackend)
        self.dask.distributed = distributed
        try:
            self.dask.client = self.dask.distributed.Client(self.cluster, set_as_default=False)
        except (OSError, TimeoutError) as error:  # pragma: no cover - a local scheduler
            raise BackendError(f"cannot reach the cluster's scheduler ({error})") from None
        self.dask.threads = settings.jobs * settings.cores
        self.dask.description = self.description
        self.watcher = threading.Thread(target=self._watch, name="sweep-jobs", daemon=True)
        self.watcher.start()

    def _log_to(self, path: Path) -> None:
        """Send the scheduler's and dask-jobqueue's log to ``path`` instead of the terminal
        (a lost job is logged as an error there, and is handled)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        for name in ("distributed", "dask_jobqueue"):
            log = logging.getLogger(name)
            self.logs.append((log, log.handlers[:], log.propagate))
            log.handlers = [handler]
            log.propagate = False
            if log.level == logging.NOTSET:
                log.setLevel(logging.INFO)

    def _watch(self) -> None:
        """Replace jobs that are gone (dask keeps counting them as planned)."""
        while not self.stop.wait(self.watch_every):
            cluster = self.cluster
            try:
                gone = set(cluster.worker_spec) - set(cluster.workers)
                if gone:
                    cluster.scale(jobs=len(cluster.worker_spec))
            except Exception:  # pragma: no cover - the cluster is closing
                continue

    def map(self, tasks: Any) -> Any:
        if self.cluster is None:
            self._start()
        yield from self.dask.map(tasks)

    def job_script(self) -> str:
        """The batch script each worker job runs (for ``docs/cluster.md`` and tests)."""
        if self.cluster is None:
            self._start()
        return str(self.cluster.job_script())

    def close(self, cancel: bool) -> None:
        self.stop.set()
        try:
            if self.dask is not None:
                self.dask.close(cancel)
        finally:
            try:
                if self.cluster is not None:
                    self.cluster.close()
            finally:
                for log, handlers, propagate in self.logs:
                    for handler in log.handlers:
                        handler.close()
                    log.handlers = handlers
                    log.propagate = propagate
                self.logs.clear()


def _import_jobqueue() -> Any:
    """dask-jobqueue, without the SIGINT handler it installs on import (``sys.exit()``, which
    would turn Ctrl-C into a quiet exit with status 0 instead of a saved, resumable stop)."""
    handler = signal.getsignal(signal.SIGINT)
    try:
        import dask_jobqueue.local
        import dask_jobqueue.slurm
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, handler)
    return dask_jobqueue


def _distributed_module() -> Any:
    from sim.sweep.execute import _distributed

    return _distributed()
