"""Results folders: written atomically, reproducible byte for byte, described by a manifest.

A results folder is ``<out>/<scenario>/<run-id>/`` (``out`` defaults to ``results``). It is
written into a hidden sibling (``.<run-id>.tmp-<random>``) that is renamed into place only when
every file is complete, so a folder under its final name is always whole; an interrupted or
failed write leaves at most a hidden ``.tmp-`` folder, never one that looks finished.

Data files are deterministic: the same tables give the same bytes (parquet without pandas or
time metadata, fixed writer options; CSV with ``\\n`` line ends and round-trip floats). Only
the manifest carries times.

Any command that writes results can reuse this module::

    folder = results_folder(out, scenario.name, new_run_id(seed, replicates, steps))
    with atomic_folder(folder, force=False) as work:
        write_parquet(table, work / "timeseries.parquet")
        write_json(manifest(...), work / "manifest.json")
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.results.replicates import ReplicateSet

#: Default root of results folders, relative to the working directory.
DEFAULT_OUT = Path("results")

#: Distributions whose versions every manifest records.
PACKAGES = (
    "csto-sim",
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "seaborn",
    "typer",
    "rich",
)

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"


class OutputError(Exception):
    """A results folder that cannot be written (exists already, or the place is unusable)."""


@dataclass(frozen=True)
class Timestamps:
    """When a run started and ended (ISO 8601, UTC)."""

    started: str
    finished: str


def now() -> str:
    """The current time, ISO 8601 in UTC to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- where results go ------------------------------------------------------------------------


def new_run_id(seed: int, replicates: int, steps: int, tag: str = "") -> str:
    """A predictable run id: ``seed1-r30-t36`` (plus ``-tag``), so a rerun finds its folder.

    >>> new_run_id(1, 30, 36)
    'seed1-r30-t36'
    >>> new_run_id(7, 1, 12, tag="capacity sweep")
    'seed7-r1-t12-capacity-sweep'
    """
    run_id = f"seed{seed}-r{replicates}-t{steps}"
    return f"{run_id}-{safe_component(tag)}" if tag else run_id


def safe_component(text: str) -> str:
    """A single, harmless path component made from ``text`` (no separators, no leading dot).

    Scenario names become folder names; this keeps any name inside the output folder.

    >>> safe_component("../../etc")
    'etc'
    >>> safe_component("my scenario/v2")
    'my-scenario-v2'
    """
    cleaned = _SAFE.sub("-", text).strip(".-")
    cleaned = re.sub(r"\.{2,}", ".", cleaned)
    return cleaned or "scenario"


def results_folder(out: Path, scenario: str, run_id: str) -> Path:
    """``out/<scenario>/<run-id>``, guaranteed to lie inside ``out``."""
    folder = out / safe_component(scenario) / safe_component(run_id)
    root = out.resolve()
    if not folder.resolve().is_relative_to(root):  # pragma: no cover - safe_component forbids it
        raise OutputError(f"{folder}: results folder would lie outside {out}")
    return folder


def check_writable(folder: Path, force: bool = False) -> None:
    """Refuse early (before any work) if ``folder`` exists or its root cannot hold folders."""
    if folder.exists() and not force:
        raise OutputError(
            f"{folder}: results folder already exists "
            "(use --force to replace it, or choose another --seed or --out)"
        )
    for parent in (folder.parent, *folder.parent.parents):
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{parent}: expected a folder for results, found a file")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputError(f"{parent}: cannot write results here (permission denied)")
            break


# --- atomic writing --------------------------------------------------------------------------


@contextmanager
def atomic_folder(folder: Path, force: bool = False) -> Iterator[Path]:
    """Yield a hidden work folder; on success rename it to ``folder``, on any error remove it.

    With ``force``, an existing ``folder`` is replaced (moved aside, then deleted once the new
    one is in place); without it, an existing folder is an :class:`OutputError`. Folders this
    created above ``folder`` are removed again if the write fails.
    """
    check_writable(folder, force)
    created = _make_parents(folder.parent)
    work = folder.parent / f".{folder.name}{_TMP_MARK}{secrets.token_hex(4)}"
    try:
        work.mkdir()
        yield work
        _replace(work, folder, force)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        for parent in created:
            _remove_if_empty(parent)
        raise


def write_run_folder(
    folder: Path,
    files: Mapping[str, Any],
    force: bool = False,
) -> Path:
    """Write a whole results folder atomically from ``{relative name: content}``.

    Content by file suffix: ``.parquet`` and ``.csv`` take a DataFrame, ``.json`` a JSON-able
    value, anything else bytes or text. Subfolders in names (``figures/a.png``) are created.
    """
    with atomic_folder(folder, force) as work:
        for name, content in files.items():
            target = work / name
            if not target.resolve().is_relative_to(work.resolve()):
                raise OutputError(f"{name}: file name would lie outside the results folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, content)
    return folder


def write_file(path: Path, content: Any) -> None:
    """Write one file, chosen by suffix (see :func:`write_run_folder`)."""
    match path.suffix:
        case ".parquet":
            write_parquet(content, path)
        case ".csv":
            write_csv(content, path)
        case ".json":
            write_json(content, path)
        case _:
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(bytes(content))


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created, deepest first."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: expected a folder for results, found a file") from None
    except OSError as error:
        raise OutputError(f"{folder}: cannot create results folder ({error.strerror})") from None
    return missing


def _remove_if_empty(folder: Path) -> None:
    with suppress(OSError):
        folder.rmdir()


def _replace(work: Path, folder: Path, force: bool) -> None:
    if not folder.exists():
        try:
            os.rename(work, folder)
        except OSError as error:
            raise OutputError(f"{folder}: cannot move results into place ({error})") from None
        return
    if not force:
        raise OutputError(f"{folder}: results folder appeared while this run was writing")
    old = folder.parent / f".{folder.name}{_OLD_MARK}{secrets.token_hex(4)}"
    os.rename(folder, old)
    os.rename(work, folder)
    shutil.rmtree(old, ignore_errors=True)


# --- deterministic files ---------------------------------------------------------------------


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with fixed options and no pandas or creation metadata: same table, same bytes."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
        data_page_version="1.0",
        row_group_size=1 << 20,
    )


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV with a header, no index, ``\\n`` line ends and round-trip float precision."""
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_json(value: Any, path: Path) -> None:
    """Indented JSON with sorted keys, UTF-8, ending in a newline."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=_jsonable)
    path.write_text(text + "\n", encoding="utf-8")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder``, by path relative to it, in sorted order."""
    return {
        str(path.relative_to(folder)): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


# --- the manifest ----------------------------------------------------------------------------


def package_versions(names: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (``"not installed"`` where missing), and Python's."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def project_root() -> Path:
    """The folder that holds the ``sim`` package (the git checkout in development)."""
    return Path(__file__).resolve().parents[2]


def git_commit(where: Path | None = None) -> dict[str, Any]:
    """The project's git commit and whether the work tree differs from it, when git knows.

    Returns ``{"commit": "<sha>" or "unknown", "dirty": bool or None}``.
    """
    folder = where or project_root()

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if not commit:
        return {"commit": "unknown", "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    """The scenario's identity: name, title, files (root first) with their hashes."""
    return {
        "name": scenario.name,
        "title": scenario.title,
        "sha256": scenario.digest,
        "files": [
            {"path": _display_path(Path(file)), "sha256": _file_hash(Path(file))}
            for file in scenario.files
        ],
    }


def parameters_record(scenario: Scenario) -> dict[str, Any]:
    """Every resolved value with its source, file and range, and the scenario-given events."""
    values: dict[str, Any] = {}
    for path in sorted(scenario.values):
        value = scenario.values[path]
        entry: dict[str, Any] = {
            "value": value.value,
            "source": value.source,
            "file": _display_path(Path(value.file)) if value.file else "",
        }
        if value.has_range:
            entry["range"] = [value.low, value.high]
        values[path] = entry
    events = [
        {key: item for key, item in vars(event).items() if item not in ("", None, ())}
        for event in scenario.events
    ]
    return {"values": values, "events": events}


def manifest(
    *,
    scenario: Scenario,
    command: Sequence[str],
    seed: int,
    seeds: Sequence[int],
    steps: int,
    times: Timestamps,
    run_id: str,
    files: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything needed to reproduce a results folder.

    ``command`` is the command line that reproduces the folder; ``files`` maps the folder's
    data files to their SHA-256; ``extra`` adds fields (e.g. a sweep's design).
    """
    record: dict[str, Any] = {
        "manifest_version": 1,
        "run_id": run_id,
        "scenario": scenario_record(scenario),
        "parameters": parameters_record(scenario),
        "master_seed": seed,
        "replicates": len(seeds),
        "replicate_seeds": [int(value) for value in seeds],
        "steps": steps,
        "start": scenario.start,
        "command": list(command),
        "argv": list(sys.argv),
        "packages": package_versions(),
        "git": git_commit(),
        "started": times.started,
        "finished": times.finished,
    }
    if files is not None:
        record["files"] = dict(files)
    if extra:
        record.update(extra)
    return record


def _file_hash(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError:
        return "unreadable"


def _display_path(path: Path) -> str:
    """A path relative to the project or the working directory when it lies inside one."""
    resolved = path.resolve()
    for base in (project_root(), Path.cwd().resolve()):
        if resolved.is_relative_to(base):
            return str(resolved.relative_to(base))
    return str(resolved)


# --- the results folder of ``csto run`` --------------------------------------------------------


def write_replicates(
    runs: ReplicateSet,
    folder: Path,
    *,
    command: Sequence[str],
    started: str,
    csv: bool = False,
    figures: bool = True,
    force: bool = False,
) -> Path:
    """Write a replicate set's results folder atomically: ``timeseries.parquet`` (and
    ``timeseries.csv`` with ``csv``), ``events.csv``, ``summary.csv``, ``figures/*.png`` and,
    last, ``manifest.json`` with the hashes of the others (see ``docs/cli.md``)."""
    with atomic_folder(folder, force) as work:
        write_parquet(runs.timeseries, work / "timeseries.parquet")
        if csv:
            write_csv(runs.timeseries, work / "timeseries.csv")
        write_csv(runs.events, work / "events.csv")
        write_csv(runs.summary, work / "summary.csv")
        if figures:
            draw_figures(runs, work / "figures")
        hashes = file_hashes(work)
        record = manifest(
            scenario=runs.scenario,
            command=command,
            seed=runs.master_seed,
            seeds=runs.seeds,
            steps=runs.steps,
            times=Timestamps(started, now()),
            run_id=folder.name,
            files=hashes,
        )
        write_json(record, work / "manifest.json")
    return folder


def draw_figures(runs: ReplicateSet, folder: Path) -> None:
    """Draw ``cohesion.png`` and ``members.png`` of a replicate set into ``folder``."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    folder.mkdir(parents=True, exist_ok=True)
    title = f"{runs.scenario.name}: {runs.replicates} replicates, seed {runs.master_seed}"
    figures.save(
        figures.plot_cohesion(figures.cohesion_band(runs.timeseries), title=title),
        folder / "cohesion.png",
    )
    figures.save(
        figures.plot_members(
            figures.member_bands(runs.timeseries),
            figures.event_marks(runs.events, runs.replicates),
            title=title,
            exit_threshold=float(runs.scenario["mechanisms.exit_threshold"]),
        ),
        folder / "members.png",
    )
