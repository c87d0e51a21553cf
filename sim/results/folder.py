"""Results folders: where they go, written atomically, reproducible byte for byte, read back.

A results folder is ``<out>/<scenario>/<run-id>/`` (``out`` defaults to ``results``). It is
written into a hidden sibling (``.<run-id>.tmp-<random>``) that is renamed into place only when
every file is complete, so a folder under its final name is always whole; an interrupted or
failed write leaves at most a hidden ``.tmp-`` folder, never one that looks finished. A single
file that is replaced in place (a sweep's shards and manifest, a report) is written the same
way, through a hidden temporary file (:func:`write_atomic`).

Data files are deterministic: the same tables give the same bytes (parquet without pandas or
time metadata, fixed writer options; CSV with ``\\n`` line ends and round-trip floats). Only
the manifest carries times.

Each kind of folder has its writer and reader beside what it holds: :mod:`sim.results.run`
(``csto run``), :mod:`sim.results.compare`, :mod:`sim.results.threshold` and
:mod:`sim.results.sweep` (read; the sweep engine writes it, :mod:`sim.sweep.store`). They all
write through :func:`write_folder`::

    folder = results_folder(out, scenario.name, new_run_id(seed, replicates, steps))
    write_folder(folder, {"timeseries.parquet": table}, manifest=lambda hashes: {...})

and :func:`read` reads any of them back, telling them apart by the manifest's ``kind``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from sim.results.forecast import ForecastFolder
    from sim.results.run import RunFolder
    from sim.results.sensitivity import SensitivityFolder
    from sim.results.sweep import SweepFolder
    from sim.results.threshold import ThresholdFolder

#: Default root of results folders, relative to the working directory.
DEFAULT_OUT = Path("results")

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"


class OutputError(Exception):
    """A results folder that cannot be written (exists already, or the place is unusable)."""


class FolderError(Exception):
    """A results folder that cannot be read, with a one-line explanation: the file, then what
    was expected."""

    def __init__(self, path: str | Path, expected: str) -> None:
        self.path = Path(path)
        self.expected = expected
        super().__init__(f"{path}: {expected}")


#: The kinds of results folder, and the commands that write them.
KINDS: Final = ("run", "compare", "threshold", "sweep", "forecast", "sensitivity")
WRITERS: Final = (
    "csto run, csto sweep, csto compare, csto threshold, csto forecast or csto sensitivity"
)


# --- where results go ------------------------------------------------------------------------


def new_run_id(seed: int, replicates: int, steps: int, tag: str = "", draws: int = 1) -> str:
    """A predictable run id: ``seed1-r30-t36`` (``seed1-d100-r10-t37`` with posterior draws;
    plus ``-tag``), so a rerun finds its folder.

    >>> new_run_id(1, 30, 36)
    'seed1-r30-t36'
    >>> new_run_id(1, 10, 37, draws=100)
    'seed1-d100-r10-t37'
    >>> new_run_id(7, 1, 12, tag="capacity sweep")
    'seed7-r1-t12-capacity-sweep'
    """
    drawn = f"-d{draws}" if draws > 1 else ""
    run_id = f"seed{seed}{drawn}-r{replicates}-t{steps}"
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


#: What a results folder's file is made from, by its name's suffix: a table (``.parquet``,
#: ``.csv``), a JSON-able value (``.json``), text or bytes, or a function that writes it (a
#: figure, or a folder of them).
FileContent = Any


def write_folder(
    folder: Path,
    files: Mapping[str, FileContent],
    *,
    force: bool = False,
    manifest: Callable[[dict[str, str]], Mapping[str, Any]] | None = None,
) -> Path:
    """Write a whole results folder atomically from ``{relative name: content}``, in order,
    and last, if given, ``manifest.json`` from ``manifest(hashes)`` (the SHA-256 of every file
    written before it, by relative path).

    Content by file suffix: ``.parquet`` and ``.csv`` take a DataFrame, ``.json`` a JSON-able
    value; a callable is called with the path to write; anything else is bytes or text.
    Subfolders in names (``figures/a.png``) are created. An existing ``folder`` is an
    :class:`OutputError` unless ``force`` (then it is replaced once the new one is whole).
    """
    with atomic_folder(folder, force) as work:
        for name, content in files.items():
            target = work / name
            if not target.resolve().is_relative_to(work.resolve()):
                raise OutputError(f"{name}: file name would lie outside the results folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, content)
        if manifest is not None:
            write_json(dict(manifest(file_hashes(work))), work / "manifest.json")
    return folder


def write_file(path: Path, content: FileContent) -> None:
    """Write one file, chosen by suffix (see :func:`write_folder`)."""
    if callable(content):
        content(path)
        return
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


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a hidden temporary name beside ``path`` for a writer to fill (a browser printing a
    PDF, say); on success move it to ``path`` (``os.replace``), on any error remove it."""
    temporary = path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}")
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):  # a folder made read-only: the first error is the one to tell
            temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a hidden temporary file (flushed to disk) and
    ``os.replace``: ``path`` holds its old bytes or the new ones, never a part."""
    with atomic_path(path) as temporary, temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def is_temporary(path: Path) -> bool:
    """True for a hidden temporary file or folder left by an interrupted atomic write."""
    return path.name.startswith(".") and _TMP_MARK in path.name


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
    path.write_text(json_text(value), encoding="utf-8")


def json_text(value: Any, sort_keys: bool = True) -> str:
    """Indented JSON (keys sorted, or in insertion order), ending in a newline; numpy scalars,
    tuples, sets and paths are written as plain JSON."""
    text = json.dumps(value, indent=2, sort_keys=sort_keys, ensure_ascii=False, default=_jsonable)
    return text + "\n"


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


# --- reading a folder back -------------------------------------------------------------------


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, or a FolderError saying why it is not a results folder."""
    if not folder.exists():
        raise FolderError(folder, f"no such folder (expected a results folder of {WRITERS})")
    if not folder.is_dir():
        raise FolderError(folder, f"not a folder (expected a results folder of {WRITERS})")
    path = folder / "manifest.json"
    if not path.is_file():
        raise FolderError(
            folder,
            f"not a results folder (no manifest.json; expected a folder written by {WRITERS})",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FolderError(path, f"unreadable manifest ({reason(error)})") from None
    if not isinstance(manifest, dict):
        raise FolderError(path, "expected a JSON object")
    return manifest


def folder_kind(folder: Path, manifest: dict[str, Any]) -> str:
    """The folder's kind: the manifest's ``kind``, else guessed from its files (a ``csto run``
    manifest has none)."""
    kind = manifest.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise FolderError(
                folder / "manifest.json",
                f"kind: unknown kind {kind!r} (expected one of {', '.join(KINDS)})",
            )
        return str(kind)
    if (folder / "design.parquet").exists() or (folder / "runs").is_dir():
        return "sweep"
    if (folder / "timeseries.parquet").exists() or (folder / "summary.csv").exists():
        return "run"
    raise FolderError(
        folder,
        "not a results folder (manifest.json has no kind, and there is neither "
        "timeseries.parquet nor design.parquet)",
    )


def read(
    folder: str | Path,
) -> RunFolder | ThresholdFolder | SweepFolder | ForecastFolder | SensitivityFolder:
    """Read and check a results folder of any kind (see each kind's reader); every problem is
    a :class:`FolderError` naming the file and what was expected."""
    from sim.results import (  # each kind reads its own
        compare,
        forecast,
        run,
        sensitivity,
        sweep,
        threshold,
    )

    path = Path(folder)
    manifest = read_manifest(path)
    kind = folder_kind(path, manifest)
    if kind == "run":
        return run.read_run(path, manifest)
    if kind == "compare":
        return compare.read_comparison(path, manifest)
    if kind == "threshold":
        return threshold.read_threshold(path, manifest)
    if kind == "forecast":
        return forecast.read_forecast(path, manifest)
    if kind == "sensitivity":
        return sensitivity.read_sensitivity(path, manifest)
    return sweep.read_sweep_folder(path, manifest)


def read_table(path: Path, needed: Sequence[str]) -> pd.DataFrame:
    """A parquet or CSV file of a results folder, with at least the columns ``needed``."""
    if not path.is_file():
        raise FolderError(path, "missing (expected in a results folder of its kind)")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, keep_default_na=True)
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as error:
        raise FolderError(path, f"unreadable ({reason(error)})") from None
    require_columns(frame, needed, path)
    return frame


def require_columns(frame: pd.DataFrame, needed: Sequence[str], path: Path) -> None:
    """A FolderError naming the columns of ``needed`` that ``frame`` (read from ``path``) lacks."""
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise FolderError(path, f"missing column(s) {', '.join(missing)}")


def reason(error: BaseException) -> str:
    """An error's message on one short line."""
    text = " ".join(str(error).split())
    return text[:160] or type(error).__name__
