"""What a run returns: a time series per step and member, an event log, a per-run summary.

Also the tables of one run, or of every run, of a batch (:class:`sim.engine.BatchResult`):
:func:`timeseries_table` and :func:`run_result`; and the results folder of ``csto run``, its
writer (:func:`write_replicates`) and its reader (:func:`read_run`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.model.events import VOICE_KINDS, Event
from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES
from sim.results import provenance
from sim.results.folder import FileContent, FolderError, read_table, write_folder
from sim.results.outcomes import REGISTRY, SUMMARY
from sim.scenario import month_label, schema

if TYPE_CHECKING:
    from sim.engine import BatchResult
    from sim.results.replicates import ReplicateSet

#: Columns of the time series, one row per step and member; Russia's and the alliance's
#: values repeat on each member's row. They are what the model records
#: (:data:`sim.model.state.ALLIANCE_SERIES`, :data:`sim.model.state.MEMBER_SERIES`), so a
#: column the model adds is written without a change here.
ALLIANCE_COLUMNS: Final = ALLIANCE_SERIES
MEMBER_COLUMNS: Final = MEMBER_SERIES
TIMESERIES_COLUMNS = ("step", "date", "member", *ALLIANCE_COLUMNS, *MEMBER_COLUMNS)


#: Event kinds counted in the summary, and the summary's name for each count (the registry's
#: counts of events).
COUNTED_EVENTS = {
    str(outcome.event): outcome.name for outcome in REGISTRY.group(SUMMARY) if outcome.event
}


def event_month(start: str, step: int) -> str:
    """The "YYYY-MM" month an event logged at ``step`` happened in (step 1 is the start month)."""
    return month_label(start, step - 1)


def step_date(start: str, step: int) -> str:
    """The date a time-series row stands for: step 0 is the first day of the start month, step
    ``s`` the first day of the month after the ``s``-th simulated month (the state at its end)."""
    return month_label(start, step) + "-01"


@dataclass(frozen=True)
class RunResult:
    """One run: ``timeseries`` (step x member), ``events`` and ``summary``."""

    scenario: str
    seed: int
    start: str
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def member_series(self, column: str) -> pd.DataFrame:
        """One column of the time series as a step x member table."""
        table = self.timeseries.pivot(index="step", columns="member", values=column)
        return table[list(schema.MEMBERS)]

    def alliance_series(self) -> pd.DataFrame:
        """Russia's and the alliance's values per step (one row per step)."""
        columns = ["step", "date", *ALLIANCE_COLUMNS]
        return self.timeseries[columns].drop_duplicates("step").reset_index(drop=True)


def events_frame(events: list[Event]) -> pd.DataFrame:
    """The event log as a table, in canonical order (step, phase, member)."""
    ordered = sorted(events, key=Event.sort_key)
    frame = pd.DataFrame([event.as_row() for event in ordered], columns=list(EVENT_COLUMNS))
    return frame.astype(
        {"step": "int64", "value": "float64", "threshold": "float64", "effect": "float64"}
    )


#: Decimals the numbers of ``events.csv`` are written with: enough for any comparison the
#: explanation makes, without the binary noise of a float (0.43999999999999995).
EVENT_DECIMALS: Final = 6


def events_for_file(events: pd.DataFrame) -> pd.DataFrame:
    """The event log as ``events.csv`` holds it: its float columns rounded to
    :data:`EVENT_DECIMALS` (the explanations were written from the exact numbers)."""
    floats = [column for column in events.columns if pd.api.types.is_float_dtype(events[column])]
    return events.assign(**{column: events[column].round(EVENT_DECIMALS) for column in floats})


def summarise(timeseries: pd.DataFrame, events: pd.DataFrame) -> dict[str, Any]:
    """Per-run summary from the time series and the events of one Mesa run: the outcomes of the
    registry's ``summary`` group, in a summary's order (equal to
    :func:`sim.results.outcomes.summary_table` of the same run)."""
    alliance = timeseries.drop_duplicates("step").set_index("step")
    cohesion = alliance["cohesion"]
    final_step = int(alliance.index.max())
    last = timeseries[timeseries["step"] == final_step].set_index("member")
    summary: dict[str, Any] = {
        "initial_cohesion": float(cohesion.iloc[0]),
        "final_cohesion": float(cohesion.iloc[-1]),
        "min_cohesion": float(cohesion.min()),
        "min_cohesion_step": int(cohesion.to_numpy().argmin()),
        "final_capacity": float(alliance["capacity"].iloc[-1]),
    }
    frozen = events[events["kind"] == "participation_frozen"]
    voice = events.loc[events["kind"].isin(VOICE_KINDS), "member"].value_counts()
    for name in schema.MEMBERS:
        summary[f"final_alignment_{name}"] = float(last.at[name, "alignment"])  # type: ignore[arg-type]
        summary[f"final_trust_{name}"] = float(last.at[name, "trust"])  # type: ignore[arg-type]
        steps = frozen.loc[frozen["member"] == name, "step"]
        summary[f"freeze_step_{name}"] = int(steps.iloc[0]) if len(steps) else None
        summary[f"voice_acts_{name}"] = int(voice.get(name, 0))
    if len(frozen):
        first = frozen.sort_values(["step", "member"], key=_member_order).iloc[0]
        summary["first_freeze_step"] = int(first["step"])
        summary["first_freeze_member"] = str(first["member"])
    else:
        summary["first_freeze_step"] = None
        summary["first_freeze_member"] = None
    counts = events["kind"].value_counts()
    for kind, name in COUNTED_EVENTS.items():
        summary[name] = int(counts.get(kind, 0))
    return summary


def _member_order(column: pd.Series) -> pd.Series:
    if column.name == "member":
        order = {name: index for index, name in enumerate(schema.MEMBERS)}
        return column.map(order)
    return column


# --- a batch's runs as tables ----------------------------------------------------------------


def timeseries_table(batch: BatchResult, run: int | None = None) -> pd.DataFrame:
    """The time series of a batch (one row per run, step and member; ``run`` first), or of one
    of its runs; the batch needs its time series recorded."""
    if batch.series is None:
        raise ValueError("time series were not recorded: simulate(..., timeseries=True)")
    members = len(schema.MEMBERS)
    runs = np.arange(len(batch.seeds)) if run is None else np.array([run])
    steps = batch.steps + 1
    step_index = np.tile(np.repeat(np.arange(steps), members), len(runs))
    member_index = np.tile(np.arange(members), len(runs) * steps)
    dates = np.array([step_date(batch.start, s) for s in range(steps)], dtype=object)
    columns: dict[str, Any] = {
        "run": np.repeat(runs, steps * members),
        "step": step_index.astype(np.int64),
        "date": dates[step_index],
        "member": np.array(schema.MEMBERS, dtype=object)[member_index],
    }
    for name in ALLIANCE_COLUMNS:
        columns[name] = batch.series[name][runs].repeat(members, axis=-1).reshape(-1)
    for name in MEMBER_COLUMNS:
        columns[name] = batch.series[name][runs].reshape(-1)
    frame = pd.DataFrame(columns)
    frame["frozen"] = frame["frozen"].astype(bool)
    return frame[["run", *TIMESERIES_COLUMNS]]


def run_result(batch: BatchResult, run: int) -> RunResult:
    """One run of a batch as a :class:`RunResult`, comparable with ``sim.run`` (the batch needs
    its time series and events recorded)."""
    if batch.events is None:
        raise ValueError("events were not recorded: simulate(..., events=True)")
    series = timeseries_table(batch, run).drop(columns="run").reset_index(drop=True)
    log = batch.events[batch.events["run"] == run].drop(columns="run").reset_index(drop=True)
    return RunResult(
        scenario=batch.scenario.name,
        seed=int(batch.seeds[run]),
        start=batch.start,
        steps=batch.steps,
        timeseries=series,
        events=log,
        summary=summarise(series, log),
    )


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
    extra: Mapping[str, FileContent] | None = None,
) -> Path:
    """Write a replicate set's results folder atomically: ``timeseries.parquet`` (and
    ``timeseries.csv`` with ``csv``), ``events.csv``, ``summary.csv``, ``figures/*.png``, any
    ``extra`` files (name: content, such as the scenario file the dashboard made) and, last,
    ``manifest.json`` with the hashes of the others (see ``docs/cli.md``)."""
    files: dict[str, FileContent] = {"timeseries.parquet": runs.timeseries}
    if csv:
        files["timeseries.csv"] = runs.timeseries
    files["events.csv"] = events_for_file(runs.events)
    files["summary.csv"] = runs.summary
    if figures:
        files["figures"] = lambda path: draw_figures(runs, path)
    files.update(extra or {})

    def manifest(hashes: dict[str, str]) -> dict[str, Any]:
        return provenance.manifest(
            scenario=runs.scenario,
            command=command,
            seed=runs.master_seed,
            seeds=runs.seeds,
            steps=runs.steps,
            times=provenance.Timestamps(started, provenance.now()),
            run_id=folder.name,
            files=hashes,
            extra={
                "draws": runs.draws,
                "runs": runs.runs,
                "detailed_runs": runs.detailed,
                "covers": runs.covers,
                "posterior": runs.posterior,
            },
        )

    return write_folder(folder, files, force=force, manifest=manifest)


def draw_figures(runs: ReplicateSet, folder: Path) -> None:
    """Draw ``cohesion.png`` and ``members.png`` of a replicate set into ``folder``."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing
    from sim.report.run import cohesion_band, event_marks, member_bands

    folder.mkdir(parents=True, exist_ok=True)
    title = f"{runs.scenario.name}: {runs.replicates} replicates, seed {runs.master_seed}"
    figures.save(
        figures.plot_cohesion(cohesion_band(runs.timeseries), title=title),
        folder / "cohesion.png",
    )
    figures.save(
        figures.plot_members(
            member_bands(runs.timeseries),
            event_marks(runs.events, runs.replicates),
            title=title,
            exit_threshold=float(runs.scenario["mechanisms.exit_threshold"]),
        ),
        folder / "members.png",
    )


#: Columns a report needs from each table of a run folder (others are read if present).
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


@dataclass(frozen=True)
class RunFolder:
    """A ``csto run`` or ``csto compare`` results folder read back (``kind`` says which)."""

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


def read_run(path: Path, manifest: dict[str, Any], kind: str = "run") -> RunFolder:
    """A run folder (or, with ``kind="compare"``, a comparison's, whose tables start with
    ``scenario``): time series, events and summary, checked."""
    extra = ("scenario",) if kind == "compare" else ()
    timeseries = read_table(path / "timeseries.parquet", (*extra, *TIMESERIES_NEEDED))
    events = read_table(path / "events.csv", (*extra, *EVENTS_NEEDED))
    summary = read_table(path / "summary.csv", (*extra, *SUMMARY_NEEDED))
    if timeseries.empty or summary.empty:
        empty = "timeseries.parquet" if timeseries.empty else "summary.csv"
        raise FolderError(path / empty, "no rows (expected one row per replicate or more)")
    return RunFolder(path, kind, manifest, timeseries, events, summary)
