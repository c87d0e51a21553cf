"""What moved each member's alignment, run by run, and how that differs between scenarios.

The time series records, for every member and month, what moved its alignment that month
(columns ``driver_...``, :data:`sim.model.state.DRIVER_SERIES`): each motive's share of the move
toward the preferred alignment, the drift toward hedging, the pull of peers and Russia's
coercion. They add up exactly to the month's change, so summed over a run's months they add up
to the member's alignment change over the horizon (:func:`run_totals`).

A comparison folder's ``drivers.csv`` (:func:`driver_differences`) holds, for each scenario
against the baseline, each member and each driver, the paired difference of those totals — run
``k`` of every scenario shares its seed and, drawing from a posterior, its parameter set — with
its 95% interval (:func:`sim.stats.paired_differences`, the pigeonhole bootstrap over parameter
sets and seeds when there are several sets) and a verdict (:func:`sim.stats.verdict`, with the
0.01 that matters on the alignment's 0–1 scale).

The table is computed when the comparison folder is written (:func:`sim.results.compare.
write_comparison`), not each time a report is built, because it is a result like
``differences.csv``: a reader finds it in the folder (and in ``csto export``) without building
a report, its hash is in the manifest, so the numbers every report of the folder quotes are
fixed with it, and its bootstrap intervals are drawn once. A comparison folder written before
``drivers.csv`` existed gets the same table from its own ``timeseries.parquet`` and
``summary.csv`` at report time (:func:`comparison_drivers`); a folder whose time series records
no drivers has none, and its report says so. Nothing is ever rerun.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import pandas as pd

from sim.results.folder import read_table
from sim.results.outcomes import ALIGNMENT, UNIT_NEGLIGIBLE
from sim.scenario import schema
from sim.stats import PAIRED_COLUMNS, paired_differences, verdict

#: Time-series columns holding how much one motive pushed (+) or pulled (−) a member's alignment
#: that month start with this.
DRIVER_PREFIX: Final = "driver_"

#: A comparison folder's table of driver differences.
DRIVERS_FILE: Final = "drivers.csv"

#: The rows of :func:`run_totals` and of ``drivers.csv`` beside the drivers: the alignment at
#: the start (step 0), at the end, and its change over the horizon (the sum of the drivers).
START: Final = "alignment_start"
END: Final = "alignment_end"
CHANGE: Final = "alignment_change"

#: The smallest difference of a driver's total that matters: alignment's (0.01 on its 0–1
#: scale), since a driver's total is a share of the alignment's change.
NEGLIGIBLE: Final = UNIT_NEGLIGIBLE[ALIGNMENT]

#: Columns of ``drivers.csv``: those of :func:`sim.stats.paired_differences` with ``member`` and
#: ``driver`` after ``scenario``, then ``negligible`` and ``verdict``.
DRIVERS_COLUMNS: Final = (
    PAIRED_COLUMNS[0],
    "member",
    "driver",
    *PAIRED_COLUMNS[1:],
    "negligible",
    "verdict",
)


def driver_columns(timeseries: pd.DataFrame) -> list[str]:
    """The time series's driver columns (``driver_...``), in table order."""
    return [str(c) for c in timeseries.columns if str(c).startswith(DRIVER_PREFIX)]


def member_order(column: pd.Series) -> pd.Series:
    """A sort key putting a ``member`` column in the schema's order (others as they are)."""
    if column.name == "member":
        order = {name: index for index, name in enumerate(schema.MEMBERS)}
        return column.map(order)
    return column


def run_totals(timeseries: pd.DataFrame, by: Sequence[str] = ()) -> pd.DataFrame:
    """Per run and member: each driver summed over the months (steps 1 to the last; step 0, the
    initial state, has none), and the alignment at the start, at the end and its change.

    Columns: ``by``... (e.g. ``scenario``), ``replicate``, ``seed`` (if the time series has
    it), ``member``, the driver columns, :data:`START`, :data:`END`, :data:`CHANGE`; members
    in the schema's order. The drivers of a row add up to its change (to rounding).
    """
    drivers = driver_columns(timeseries)
    keys = [*by, "replicate", "member"]
    ordered = timeseries.sort_values([*keys, "step"], kind="stable")
    grouped = ordered.groupby(keys, sort=True)
    table = grouped["alignment"].agg(["first", "last"])
    table.columns = [START, END]
    table[CHANGE] = table[END] - table[START]
    months = ordered[ordered["step"] > 0]
    totals = months.groupby(keys, sort=True)[drivers].sum()
    table = totals.join(table, how="right").fillna({column: 0.0 for column in drivers})
    if "seed" in timeseries:
        table.insert(0, "seed", grouped["seed"].first())
    table = table.reset_index().sort_values(keys, key=member_order, kind="stable")
    return table.reset_index(drop=True)


def paired_runs(totals: pd.DataFrame, summary: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The rows of a comparison's :func:`run_totals` (by ``scenario``) that can be paired: the
    runs whose time series every scenario keeps, with their parameter set (``draw``, from
    ``summary``) where there are several.

    Run ``k`` is parameter set ``k // replicates`` under seed ``k % replicates``; the folder
    keeps the time series of the first seeds of every set, the same runs in every scenario. A
    crossed interval needs as many seeds in every set: where the kept runs are uneven (a
    scenario without a posterior beside one with it), only the first as many as the set with
    fewest has are kept.
    """
    kept: set[Any] | None = None
    for name in names:
        own = set(totals.loc[totals["scenario"] == name, "replicate"])
        kept = own if kept is None else kept & own
    frame = totals[totals["replicate"].isin(kept or set())]
    if "draw" not in summary:
        return frame.reset_index(drop=True)
    draws = summary[["scenario", "replicate", "draw"]].drop_duplicates(["scenario", "replicate"])
    frame = frame.merge(draws, on=["scenario", "replicate"], how="left")
    if frame["draw"].isna().any() or frame["draw"].nunique() < 2:
        return frame.drop(columns="draw").reset_index(drop=True)
    runs = frame[["replicate", "draw"]].drop_duplicates().sort_values("replicate")
    fewest = int(runs.groupby("draw")["replicate"].count().min())
    chosen = runs.groupby("draw", sort=True).head(fewest)["replicate"]
    return frame[frame["replicate"].isin(set(chosen))].reset_index(drop=True)


def driver_differences(
    timeseries: pd.DataFrame, summary: pd.DataFrame, names: Sequence[str]
) -> pd.DataFrame:
    """Paired differences to the baseline (``names[0]``) of each driver's total over the horizon,
    per scenario, member and driver, from a comparison's time series and summary: the columns
    :data:`DRIVERS_COLUMNS`, one row per scenario other than the baseline, member (schema
    order) and driver (the time series's order, then :data:`CHANGE`, their sum, and
    :data:`START`, the starting alignment's difference: zero when the scenarios start alike).

    Summed over a member's drivers, the differences equal its :data:`CHANGE` difference, run
    by run and so on the mean. Empty (with its columns) when the time series records no drivers.
    """
    drivers = driver_columns(timeseries)
    if not drivers:
        return pd.DataFrame({column: [] for column in DRIVERS_COLUMNS})
    totals = paired_runs(run_totals(timeseries, by=["scenario"]), summary, names)
    parts = []
    for member in [name for name in schema.MEMBERS if name in set(totals["member"])]:
        rows = totals[totals["member"] == member]
        for column in (*drivers, CHANGE, START):
            part = paired_differences(rows, column, names[0], order=names)
            parts.append(part.assign(member=member, driver=column))
    table = pd.concat(parts, ignore_index=True)
    table["negligible"] = NEGLIGIBLE
    table["verdict"] = [
        verdict(d, low, high, identical=bool(same), negligible=NEGLIGIBLE)
        for d, low, high, same in zip(
            table["difference"], table["ci_low"], table["ci_high"], table["identical"], strict=True
        )
    ]
    order = {name: index for index, name in enumerate(names)}
    table = table.sort_values(
        "scenario", key=lambda column: column.map(order), kind="stable"
    ).reset_index(drop=True)
    return table[list(DRIVERS_COLUMNS)]


def comparison_drivers(
    folder: Path, timeseries: pd.DataFrame, summary: pd.DataFrame, names: Sequence[str]
) -> pd.DataFrame:
    """A comparison folder's driver differences: its ``drivers.csv`` if it has one, else
    computed from its time series and summary (:func:`driver_differences`; a folder written
    before ``drivers.csv`` existed)."""
    path = folder / DRIVERS_FILE
    if path.is_file():
        return read_table(path, DRIVERS_COLUMNS)
    return driver_differences(timeseries, summary, names)
