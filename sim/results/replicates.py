"""Replicates: one scenario run under many seeds derived from one master seed, and under many
parameter sets drawn from its calibrated posterior.

``run_replicates(scenario, seed, replicates, steps)`` is defined only by those four inputs: the
per-replicate seeds come from :func:`sim.model.draws.derive_seeds` before any run starts, so
replicate ``r`` is the same run however the work is done (one process, many, or the batch engine).
With a posterior, ``draws`` parameter sets are drawn from it (fixed by the same seed), and every
draw runs under the same ``replicates`` seeds: ``draws x replicates`` runs, numbered draw by draw,
so what the seeds change and what the parameters change can be told apart
(:func:`sim.stats.split_uncertainty`).

What a run's summary shows over replicates (:func:`member_outcomes`, :func:`freezes`) is
computed here (with :func:`sim.stats.describe`), apart from any drawing or printing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import BatchResult, simulate
from sim.model.draws import derive_seeds
from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.results.outcomes import summary_table
from sim.results.run import TIMESERIES_COLUMNS, event_month, timeseries_table
from sim.scenario import Scenario, load, schema
from sim.stats import describe

if TYPE_CHECKING:
    from sim.calibrate.posterior import Posterior

#: Replicates run together by the batch engine between two progress reports.
CHUNK = 50

#: Called as replicates finish with (replicates done, replicates in all).
Progress = Callable[[int, int], None]

#: Columns that say which run a row belongs to, first in every table of a replicate set.
ID_COLUMNS = ("scenario", "replicate", "seed")

#: The event kind of a member freezing its participation.
FREEZE = "participation_frozen"

#: Runs whose time series and event log a replicate set keeps (every run's summary is kept):
#: 1,000 posterior draws x 10 seeds need no 2 million rows of time series to be summarised.
DETAIL_RUNS = 300


@dataclass(frozen=True)
class ReplicateSet:
    """Replicates of one scenario: every table has ``scenario``, ``replicate`` and ``seed`` first.

    ``timeseries``: one row per replicate, step and member (columns of
    :data:`sim.results.run.TIMESERIES_COLUMNS`). ``events``: the event log of every replicate, in
    replicate order then canonical event order. ``summary``: one row per replicate (the keys
    of :attr:`sim.results.run.RunResult.summary`, plus each member's freeze month as "YYYY-MM").
    """

    scenario: Scenario
    master_seed: int
    seeds: tuple[int, ...]
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: pd.DataFrame
    draws: int = 1
    """Parameter sets drawn from the posterior (1: the scenario's own values)."""
    posterior: dict[str, Any] | None = None
    """Where the draws came from: the posterior's folder, scenario, digest and the values the
    scenario keeps as it sets them (None: no posterior used)."""

    @property
    def replicates(self) -> int:
        """Seeds each parameter set runs under."""
        return len(self.seeds)

    @property
    def runs(self) -> int:
        return self.draws * self.replicates

    @property
    def detailed(self) -> int:
        """Runs whose time series and events the set keeps (the first ones)."""
        return int(self.timeseries["replicate"].nunique()) if len(self.timeseries) else 0

    @property
    def covers(self) -> str:
        """What the spread over the set's runs covers (:data:`sim.stats.COVERS`)."""
        from sim.stats import DRAWS, DRAWS_AND_PARAMETERS

        return DRAWS_AND_PARAMETERS if self.draws > 1 else DRAWS

    @property
    def start(self) -> str:
        return self.scenario.start


def replicate_tables(
    batch: BatchResult,
    scenario: str,
    first_replicate: int = 0,
    replicate_numbers: npt.NDArray[np.int64] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The batch's time series, events and summary as replicate tables.

    Each table starts with ``scenario``, ``replicate`` (``first_replicate`` + the run's index,
    or ``replicate_numbers[index]``)
    and ``seed``, then the columns of :data:`sim.results.run.TIMESERIES_COLUMNS`,
    :data:`sim.model.events.COLUMNS` and the summary's outcomes; the batch needs its time
    series and events recorded.
    """
    if batch.events is None:
        raise ValueError("replicate tables need simulate(..., timeseries=True, events=True)")

    def identified(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        run = frame["run"].to_numpy(np.int64)
        table = frame.drop(columns="run")[list(columns)]
        table.insert(0, "seed", batch.seeds[run])
        numbers = run + first_replicate if replicate_numbers is None else replicate_numbers[run]
        table.insert(0, "replicate", numbers)
        table.insert(0, "scenario", scenario)
        return table

    summary = summary_table(batch)
    columns = [column for column in summary.columns if column not in ("run", "seed")]
    return (
        identified(timeseries_table(batch), TIMESERIES_COLUMNS),
        identified(batch.events, EVENT_COLUMNS),
        identified(summary, columns),
    )


def run_replicates(
    scenario: str | Path | Scenario,
    seed: int,
    replicates: int,
    steps: int | None = None,
    progress: Progress | None = None,
    *,
    draws: int = 1,
    posterior: Posterior | None = None,
    detail: int = DETAIL_RUNS,
) -> ReplicateSet:
    """Run ``replicates`` replicates of a scenario, seeds derived from the master ``seed``; with
    a ``posterior``, ``draws`` parameter sets drawn from it, each under those seeds.

    Run ``k`` is draw ``k // replicates`` under seed ``k % replicates`` (its ``replicate``
    number is ``k``). Every run's summary is kept; the time series and events of all runs if
    there are at most ``detail``, else of the first few seeds of every draw, or with more draws
    than ``detail`` the first seed of every few draws, evenly spread (about ``detail`` runs).

    >>> runs = run_replicates("baseline-2022", seed=1, replicates=2, steps=3)
    >>> runs.summary[["replicate", "seed"]].to_dict("list")["replicate"]
    [0, 1]
    >>> len(runs.timeseries) == 2 * 4 * len(schema.MEMBERS)     # 2 replicates, steps 0..3
    True
    """
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    if draws < 1 or (draws > 1 and posterior is None):
        raise ValueError("draws above 1 need a posterior to draw from")
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    horizon = resolved.horizon if steps is None else steps
    seeds = tuple(derive_seeds(seed, replicates))
    total = draws * replicates
    run_seeds = np.tile(np.asarray(seeds, dtype=np.uint64), draws)
    drawn = None if posterior is None else posterior.draw(draws, seed)
    every = np.arange(total)
    # the runs whose time series and events are kept: all, or the first few seeds of every
    # parameter set (so figures over time still span the posterior)
    kept_seeds = replicates if total <= detail else max(1, -(-detail // draws))
    # more parameter sets than detailed runs: the first seed of every few sets, evenly spread
    every_sets = max(1, -(-draws // detail)) if total > detail else 1
    keep = (every % replicates < kept_seeds) & ((every // replicates) % every_sets == 0)
    detailed = every[keep]
    brief = every[~keep]
    series: list[pd.DataFrame] = []
    logs: list[pd.DataFrame] = []
    summaries: list[pd.DataFrame] = []
    done = 0
    for runs, record, size in ((detailed, True, CHUNK), (brief, False, 20 * CHUNK)):
        for first in range(0, len(runs), size):
            chunk = runs[first : first + size]
            overrides = None
            if drawn is not None:
                which = chunk // replicates
                overrides = {path: np.asarray(values)[which] for path, values in drawn.items()}
            batch = simulate(
                resolved,
                run_seeds[chunk],
                overrides,
                steps=horizon,
                timeseries=record,
                events=record,
            )
            if record:
                timeseries, events, summary = replicate_tables(batch, resolved.name, 0, chunk)
                series.append(timeseries)
                logs.append(events)
            else:
                summary = _summary_only(batch, resolved.name, chunk)
            summary.insert(3, "draw", chunk // replicates)
            summaries.append(summary)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    events = _concat(logs, EVENT_COLUMNS)
    summary = pd.concat(summaries, ignore_index=True).sort_values("replicate", kind="stable")
    summary = summary.reset_index(drop=True)
    for name in schema.MEMBERS:
        steps_frozen = summary[f"freeze_step_{name}"]
        summary[f"freeze_month_{name}"] = [
            None if pd.isna(step) else event_month(resolved.start, int(step))
            for step in steps_frozen
        ]
    return ReplicateSet(
        scenario=resolved,
        master_seed=seed,
        seeds=seeds,
        steps=horizon,
        timeseries=_concat(series, TIMESERIES_COLUMNS),
        events=events,
        summary=_summary_frame(summary),
        draws=draws,
        posterior=None if posterior is None else posterior.record(),
    )


def _summary_only(
    batch: BatchResult, scenario: str, replicate_numbers: npt.NDArray[np.int64]
) -> pd.DataFrame:
    """The summary of a batch run without time series or events (its outcomes need neither);
    run ``i`` of the batch is replicate ``replicate_numbers[i]``."""
    summary = summary_table(batch)
    run = summary.pop("run").to_numpy(np.int64)
    summary.insert(0, "replicate", replicate_numbers[run])
    summary.insert(0, "scenario", scenario)
    return summary[["scenario", "replicate", "seed", *summary.columns[3:]]]


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    joined = pd.concat(frames, ignore_index=True)
    joined = joined[[*ID_COLUMNS, *columns]]
    return joined.astype({"replicate": "int64", "seed": "uint64"})


def _summary_frame(frame: pd.DataFrame) -> pd.DataFrame:
    steps = ["first_freeze_step", *(f"freeze_step_{name}" for name in schema.MEMBERS)]
    texts = ["first_freeze_member", *(f"freeze_month_{name}" for name in schema.MEMBERS)]
    types: dict[str, str] = {"replicate": "int64", "seed": "uint64"}
    types.update(dict.fromkeys(steps, "Int64"))
    types.update(dict.fromkeys(texts, "string"))
    return frame.astype(types)


# --- statistics over replicates --------------------------------------------------------------


def freezes(runs: ReplicateSet) -> pd.DataFrame:
    """Every freeze of participation (exit): one row per run and member that froze, from every
    run's summary.

    Columns: ``replicate``, ``member``, ``step``, ``date`` (the "YYYY-MM" month it happened).
    """
    rows = []
    for name in schema.MEMBERS:
        frozen = runs.summary[runs.summary[f"freeze_step_{name}"].notna()]
        rows.append(
            pd.DataFrame(
                {
                    "replicate": frozen["replicate"].to_numpy(np.int64),
                    "member": name,
                    "step": frozen[f"freeze_step_{name}"].to_numpy(np.int64),
                    "date": frozen[f"freeze_month_{name}"].astype(str).to_numpy(),
                }
            )
        )
    table = pd.concat(rows, ignore_index=True).sort_values(["replicate", "step"], kind="stable")
    return table.reset_index(drop=True).astype({"replicate": "int64", "step": "int64"})


def member_outcomes(runs: ReplicateSet) -> pd.DataFrame:
    """Per member: final alignment over replicates, and who froze, when, in what share of runs.

    Columns: ``member``, ``alignment`` (mean), ``alignment_ci_low``, ``alignment_ci_high``,
    ``froze_share`` (share of replicates in which the member froze), ``freeze_median``,
    ``freeze_first``, ``freeze_last`` ("YYYY-MM" months of the freezes, "" if none).
    """
    alignment = {
        name: describe(runs.summary, f"final_alignment_{name}").iloc[0] for name in schema.MEMBERS
    }
    frozen = freezes(runs).sort_values(["step", "replicate"])
    rows: list[dict[str, Any]] = []
    for name in schema.MEMBERS:
        months = frozen.loc[frozen["member"] == name, "date"].tolist()
        median = months[(len(months) - 1) // 2] if months else ""  # the lower median
        rows.append(
            {
                "member": name,
                "alignment": float(alignment[name]["mean"]),
                "alignment_ci_low": float(alignment[name]["ci_low"]),
                "alignment_ci_high": float(alignment[name]["ci_high"]),
                "froze_share": len(months) / runs.runs,
                "freeze_median": median,
                "freeze_first": months[0] if months else "",
                "freeze_last": months[-1] if months else "",
            }
        )
    return pd.DataFrame(rows)
