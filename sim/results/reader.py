"""Read a results folder back for a report, checking it is one and saying plainly if not.

Four kinds of folder, told apart by the manifest's ``kind`` (or, for a ``csto run`` folder
whose manifest has none, by its files):

* ``run`` (``csto run``): ``manifest.json``, ``timeseries.parquet``, ``events.csv``,
  ``summary.csv``;
* ``compare`` (``csto compare``): the same files with a ``scenario`` column;
* ``threshold`` (``csto threshold``): ``manifest.json``, ``curve.parquet``,
  ``evaluations.csv``;
* ``sweep`` (``csto sweep``): ``manifest.json``, ``design.parquet``, ``runs/chunk-*.parquet``
  (read with the sweep engine's own reader, :func:`sim.sweep.store.read_runs`).

Every problem is a :class:`FolderError` with a one-line message naming the file and what was
expected. A sweep whose runs are not all there is *not* an error: it reads as incomplete, with
the number of missing runs, and its report says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.model.events import COLUMNS as EVENT_COLUMNS

KINDS: Final = ("run", "compare", "threshold", "sweep")
WRITERS: Final = "csto run, csto sweep, csto compare or csto threshold"

#: Columns a report needs from each table (others are read if present).
TIMESERIES_NEEDED: Final = (
    "replicate",
    "step",
    "date",
    "member",
    "capacity",
    "cohesion",
    "alignment",
    "trust",
    "dependence",
)
SUMMARY_NEEDED: Final = ("replicate", "initial_cohesion", "final_cohesion", "min_cohesion")
EVENTS_NEEDED: Final = ("replicate", *EVENT_COLUMNS)
CURVE_NEEDED: Final = ("capacity", "replicate", "value")
RUNS_NEEDED: Final = ("point", "replicate", "status")


class FolderError(Exception):
    """A folder a report cannot be built from, with a one-line explanation."""


@dataclass(frozen=True)
class RunFolder:
    """A ``csto run`` or ``csto compare`` results folder (``kind`` says which)."""

    path: Path
    kind: str
    manifest: dict[str, Any]
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame

    @property
    def start(self) -> str:
        return str(self.manifest.get("start") or str(self.timeseries["date"].iloc[0])[:7])

    @property
    def replicates(self) -> int:
        return int(self.summary["replicate"].nunique())


@dataclass(frozen=True)
class ThresholdFolder:
    """A ``csto threshold`` results folder."""

    path: Path
    manifest: dict[str, Any]
    curve: pd.DataFrame
    evaluations: pd.DataFrame
    kind: str = "threshold"


@dataclass(frozen=True)
class SweepFolder:
    """A ``csto sweep`` results folder; ``missing`` runs (of ``expected``) are not there yet."""

    path: Path
    manifest: dict[str, Any]
    design: pd.DataFrame
    runs: pd.DataFrame
    expected: int
    parameters: list[str] = field(default_factory=list)
    kind: str = "sweep"

    @property
    def present(self) -> int:
        return len(self.runs)

    @property
    def missing(self) -> int:
        return max(self.expected - self.present, 0)

    @property
    def complete(self) -> bool:
        return self.missing == 0 and bool(self.manifest.get("complete", True))


Folder = RunFolder | ThresholdFolder | SweepFolder


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, or a FolderError saying why it is not a results folder."""
    if not folder.exists():
        raise FolderError(f"{folder}: no such folder (expected a results folder of {WRITERS})")
    if not folder.is_dir():
        raise FolderError(f"{folder}: not a folder (expected a results folder of {WRITERS})")
    path = folder / "manifest.json"
    if not path.is_file():
        raise FolderError(
            f"{folder}: not a results folder (no manifest.json; expected a folder written by "
            f"{WRITERS})"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FolderError(f"{path}: unreadable manifest ({_reason(error)})") from None
    if not isinstance(manifest, dict):
        raise FolderError(f"{path}: expected a JSON object")
    return manifest


def detect(folder: Path, manifest: dict[str, Any]) -> str:
    """The folder's kind: the manifest's ``kind``, else guessed from its files."""
    kind = manifest.get("kind")
    if kind is not None:
        if kind not in KINDS:
            raise FolderError(
                f"{folder / 'manifest.json'}: kind: unknown kind {kind!r} "
                f"(expected one of {', '.join(KINDS)})"
            )
        return str(kind)
    if (folder / "design.parquet").exists() or (folder / "runs").is_dir():
        return "sweep"
    if (folder / "timeseries.parquet").exists() or (folder / "summary.csv").exists():
        return "run"
    raise FolderError(
        f"{folder}: not a results folder (manifest.json has no kind, and there is neither "
        "timeseries.parquet nor design.parquet)"
    )


def read(folder: str | Path) -> Folder:
    """Read and check a results folder of any kind."""
    path = Path(folder)
    manifest = read_manifest(path)
    kind = detect(path, manifest)
    if kind in ("run", "compare"):
        return read_run(path, manifest, kind)
    if kind == "threshold":
        return read_threshold(path, manifest)
    return read_sweep(path, manifest)


def read_run(path: Path, manifest: dict[str, Any], kind: str = "run") -> RunFolder:
    """A run or comparison folder: time series, events and summary, checked."""
    extra = ("scenario",) if kind == "compare" else ()
    timeseries = _table(path / "timeseries.parquet", (*extra, *TIMESERIES_NEEDED))
    events = _table(path / "events.csv", (*extra, *EVENTS_NEEDED))
    summary = _table(path / "summary.csv", (*extra, *SUMMARY_NEEDED))
    if timeseries.empty or summary.empty:
        empty = "timeseries.parquet" if timeseries.empty else "summary.csv"
        raise FolderError(f"{path / empty}: no rows (expected one row per replicate or more)")
    return RunFolder(path, kind, manifest, timeseries, events, summary)


def read_threshold(path: Path, manifest: dict[str, Any]) -> ThresholdFolder:
    """A threshold folder: the outcome of every replicate on the capacity grid."""
    curve = _table(path / "curve.parquet", CURVE_NEEDED)
    evaluations = _table(path / "evaluations.csv", ("capacity", "mean"))
    for key in ("outcome", "level", "threshold"):
        if key not in manifest:
            raise FolderError(f"{path / 'manifest.json'}: {key}: missing (a threshold manifest)")
    return ThresholdFolder(path, manifest, curve, evaluations)


def read_sweep(path: Path, manifest: dict[str, Any]) -> SweepFolder:
    """A sweep folder: its design and every run written so far (all chunks, one table)."""
    from sim.sweep import store  # the sweep engine's own reader of its shards

    design = _table(path / "design.parquet", ("point",))
    parameters = sweep_parameters(manifest, design)
    try:
        runs = store.read_runs(path)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise FolderError(_unreadable_chunk(path, error)) from None
    _require(runs, RUNS_NEEDED, path / "runs" / "chunk-*.parquet")
    expected = _expected_runs(manifest, design)
    return SweepFolder(path, manifest, design, runs, expected, parameters)


def _unreadable_chunk(path: Path, error: BaseException) -> str:
    """Name the shard that cannot be read, if one can be singled out."""
    from sim.sweep import store

    for chunk in store.chunk_files(path):
        try:
            pq.read_metadata(chunk)
        except (OSError, pa.ArrowException) as reason:
            return f"{chunk}: unreadable parquet file ({_reason(reason)})"
    return f"{path / 'runs'}: unreadable runs ({_reason(error)})"


def sweep_parameters(manifest: dict[str, Any], design: pd.DataFrame) -> list[str]:
    """The swept dotted paths, in the manifest's order (else the design's columns)."""
    names = [entry["path"] for entry in sweep_definition(manifest) if "path" in entry]
    return names or [column for column in design.columns if column != "point"]


def sweep_definition(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The swept parameters' entries (``path``, ``low``, ``high``, ``levels``), wherever the
    manifest keeps them (``sweep.parameters`` or ``parameters`` as a list)."""
    for holder in (manifest.get("sweep"), manifest):
        if isinstance(holder, dict):
            entries = holder.get("parameters")
            if isinstance(entries, list):
                return [entry for entry in entries if isinstance(entry, dict)]
    return []


def sweep_setting(manifest: dict[str, Any], key: str, default: Any = None) -> Any:
    """A sweep setting (``design``, ``problem``, ``replicates``, ...) from the manifest's top
    level or its ``sweep`` section."""
    if key in manifest:
        return manifest[key]
    section = manifest.get("sweep")
    if isinstance(section, dict) and key in section:
        return section[key]
    return default


def _expected_runs(manifest: dict[str, Any], design: pd.DataFrame) -> int:
    runs = sweep_setting(manifest, "runs")
    if isinstance(runs, int):
        return runs
    replicates = sweep_setting(manifest, "replicates", 1)
    return len(design) * int(replicates if isinstance(replicates, int) else 1)


def _table(path: Path, needed: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise FolderError(f"{path}: missing (expected in a results folder of its kind)")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, keep_default_na=True)
    except (OSError, ValueError, pa.ArrowException, pd.errors.ParserError) as error:
        raise FolderError(f"{path}: unreadable ({_reason(error)})") from None
    _require(frame, needed, path)
    return frame


def _require(frame: pd.DataFrame, needed: Sequence[str], path: Path) -> None:
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise FolderError(f"{path}: missing column(s) {', '.join(missing)}")


def _reason(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:160] or type(error).__name__
