"""A sweep's results folder read back for a report: its manifest, design and every run so far.

The folder is written by the sweep engine (:mod:`sim.sweep.execute`) as Parquet shards
(:mod:`sim.sweep.store`, whose reader of the shards this uses). A sweep whose runs are not all
there is *not* an error: it reads as incomplete, with the number of missing runs, and its
report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.results.folder import FolderError, read_table, reason, require_columns

RUNS_NEEDED: Final = ("point", "replicate", "status")


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


def read_sweep_folder(path: Path, manifest: dict[str, Any]) -> SweepFolder:
    """A sweep folder: its design and every run written so far (all chunks, one table)."""
    from sim.sweep import store  # the sweep engine's own reader of its shards

    design = read_table(path / "design.parquet", ("point",))
    parameters = sweep_parameters(manifest, design)
    try:
        runs = store.read_runs(path)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise FolderError(*_unreadable_chunk(path, error)) from None
    require_columns(runs, RUNS_NEEDED, path / "runs" / "chunk-*.parquet")
    expected = _expected_runs(manifest, design)
    return SweepFolder(path, manifest, design, runs, expected, parameters)


def _unreadable_chunk(path: Path, error: BaseException) -> tuple[Path, str]:
    """Name the shard that cannot be read, if one can be singled out."""
    from sim.sweep import store

    for chunk in store.chunk_files(path):
        try:
            pq.read_metadata(chunk)
        except (OSError, pa.ArrowException) as cause:
            return chunk, f"unreadable parquet file ({reason(cause)})"
    return path / "runs", f"unreadable runs ({reason(error)})"


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
