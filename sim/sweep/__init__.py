"""Parameter sweeps at scale: many design points x replicates, on one machine or a cluster.

A sweep is a base scenario, parameters to vary (any numeric scenario value by dotted path), a
design (full grid, Latin hypercube, Sobol or Morris), replicates and the outcomes to keep
(:mod:`sim.sweep.spec`). Replicate ``r`` has the same seed at every design point and, where the
scenario has a calibrated posterior, the same parameter set drawn from it for the values not
swept (unless the sweep says ``posterior = false``). It runs on the vectorised batch engine
(:mod:`sim.engine`) in chunks (:mod:`sim.sweep.worker`), locally or on a Dask cluster
(:mod:`sim.sweep.execute`), and streams to a results folder of Parquet shards that an
interrupted sweep resumes from (:mod:`sim.sweep.store`). docs/sweeps.md describes the file
format, the CLI and the folder.

>>> from sim.sweep import from_options, read_design
>>> spec = from_options("baseline-2022", ["russia.capacity.initial=0.3:0.7:3"], replicates=2)
>>> spec.runs()
6
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.sweep.execute import BackendError, SweepInterrupted, SweepSummary, run_sweep
    from sim.sweep.spec import (
        DESIGNS,
        OUTCOME_COLUMNS,
        Design,
        Parameter,
        SweepError,
        SweepSpec,
        from_options,
        is_sweep_file,
        load_sweep,
        with_options,
    )
    from sim.sweep.store import (
        chunk_files,
        is_complete,
        point_means,
        read_design,
        read_manifest,
        read_runs,
        read_sweep,
        read_timeseries,
    )

#: Public names and the module each comes from, imported on first use (PEP 562), so that
#: reading a sweep file (``sim.sweep.spec``) loads neither pandas nor Dask.
_LAZY = {
    **dict.fromkeys(
        ("BackendError", "SweepInterrupted", "SweepSummary", "run_sweep"), "sim.sweep.execute"
    ),
    **dict.fromkeys(
        (
            "DESIGNS",
            "OUTCOME_COLUMNS",
            "Design",
            "Parameter",
            "SweepError",
            "SweepSpec",
            "from_options",
            "is_sweep_file",
            "load_sweep",
            "with_options",
        ),
        "sim.sweep.spec",
    ),
    **dict.fromkeys(
        (
            "chunk_files",
            "is_complete",
            "point_means",
            "read_design",
            "read_manifest",
            "read_runs",
            "read_sweep",
            "read_timeseries",
        ),
        "sim.sweep.store",
    ),
}

__all__ = [
    "DESIGNS",
    "OUTCOME_COLUMNS",
    "BackendError",
    "Design",
    "Parameter",
    "SweepError",
    "SweepInterrupted",
    "SweepSpec",
    "SweepSummary",
    "chunk_files",
    "from_options",
    "is_complete",
    "is_sweep_file",
    "load_sweep",
    "point_means",
    "read_design",
    "read_manifest",
    "read_runs",
    "read_sweep",
    "read_timeseries",
    "run_sweep",
    "with_options",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim.sweep' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
