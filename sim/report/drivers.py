"""Why alignment and cohesion moved, for the reports: the data behind the run report's figures
"What pulled and pushed each member" and "What made up cohesion", its summary's sentences and
table on each member's drivers, and a comparison report's sentences on which drivers differ.

Everything here reads a results folder's tables (the time series's ``driver_...`` and
``cohesion_...`` columns, a comparison's ``drivers.csv``, :mod:`sim.results.drivers`) and
returns tables or sentences; :mod:`sim.report.figures` draws them. Means are over the runs
whose time series the folder keeps (every run up to 300, else the first seeds of every
parameter set).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pandas as pd

from sim.report.prose import change, covers_words, month_words
from sim.report.story import driver_words
from sim.results.drivers import CHANGE, END, START, driver_columns, member_order, run_totals
from sim.results.run import event_month
from sim.stats import CLEAR, NO_DIFFERENCE, UNCLEAR

#: Cohesion's parts (they add up to it), in the order the figure draws them.
COHESION_PARTS: Final = ("cohesion_alignment", "cohesion_action", "cohesion_strain")

#: Cohesion's parts in words.
PART_WORDS: Final = {
    "cohesion_alignment": "alignment's part",
    "cohesion_action": "collective action's part",
    "cohesion_strain": "strain's part",
}


# --- a run: what pulled and pushed each member ------------------------------------------------


def cumulative_by_run(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per run, member and step: each driver summed over the months up to that step (0 at step
    0, the initial state), and :data:`sim.results.drivers.CHANGE`, the alignment's change since
    step 0, which they add up to.

    Columns: ``replicate``, ``member``, ``step``, ``date``, the driver columns, ``CHANGE``;
    sorted by replicate, member (schema order) and step.
    """
    drivers = driver_columns(timeseries)
    keys = ["replicate", "member"]
    ordered = timeseries.sort_values([*keys, "step"], key=member_order, kind="stable")
    table = ordered[[*keys, "step", "date"]].reset_index(drop=True)
    # step 0, the initial state, has no drivers: nothing has moved yet
    pushes = ordered[drivers].mask(ordered["step"] == 0, 0.0, axis=0)
    grouped = ordered.groupby(keys, sort=False)
    table[drivers] = pushes.groupby([ordered[k] for k in keys], sort=False).cumsum().to_numpy()
    alignment = ordered["alignment"].to_numpy()
    table[CHANGE] = alignment - grouped["alignment"].transform("first").to_numpy()
    return table


def cumulative_drivers(timeseries: pd.DataFrame) -> pd.DataFrame:
    """The mean over runs of :func:`cumulative_by_run`, per member and step: ``member``,
    ``step``, ``date`` (timestamp), ``n`` (runs), the driver columns and ``CHANGE`` (the
    drivers of a row add up to it, as they do in each run)."""
    drivers = driver_columns(timeseries)
    runs = cumulative_by_run(timeseries)
    grouped = runs.groupby(["member", "step", "date"], sort=False)
    table = grouped[[*drivers, CHANGE]].mean()
    table.insert(0, "n", grouped["replicate"].nunique())
    table = table.reset_index().sort_values(["member", "step"], key=member_order, kind="stable")
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    return table.reset_index(drop=True)


def member_totals(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per member (schema order), the mean over runs of :func:`sim.results.drivers.run_totals`:
    ``member``, ``n`` (runs), the driver columns (each summed over the horizon), ``START``,
    ``END`` and ``CHANGE`` (the alignment at the start, at the end, and its change: the sum of
    the drivers)."""
    totals = run_totals(timeseries)
    drivers = driver_columns(timeseries)
    grouped = totals.groupby("member", sort=False)
    table = grouped[[*drivers, START, END, CHANGE]].mean()
    table.insert(0, "n", grouped["replicate"].nunique())
    table = table.reset_index().sort_values("member", key=member_order, kind="stable")
    return table.reset_index(drop=True)


def _ranked(row: pd.Series, drivers: Sequence[str], sign: float) -> list[tuple[str, float]]:
    """The drivers of ``row`` with the given sign, largest first."""
    values = [(column, float(row[column])) for column in drivers]
    chosen = [(column, value) for column, value in values if value * sign > 0]
    return sorted(chosen, key=lambda item: -abs(item[1]))


def _listed(items: Sequence[tuple[str, float]]) -> str:
    """ "outside markets (−1.19) and sanctions entrapment (−0.81)"."""
    words = [f"{driver_words(column)} ({value:+.2f})" for column, value in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def member_driver_sentence(row: pd.Series, drivers: Sequence[str]) -> str:
    """One member's alignment over the horizon and the drivers that moved it most (a row of
    :func:`member_totals`): the two strongest in the direction it moved, the strongest
    against it.

    "Kazakhstan: alignment 0.55 → 0.33 (−0.22); pulled away most by outside markets (−1.19)
    and sanctions entrapment (−0.81); held by lock-in (+0.52)."
    """
    start, end, moved = float(row[START]), float(row[END]), float(row[CHANGE])
    head = f"{row['member']}: alignment {start:.2f} → {end:.2f} ({moved:+.2f})"
    away, toward = _ranked(row, drivers, -1.0), _ranked(row, drivers, 1.0)
    if round(moved, 2) == 0:
        parts = []
        if toward:
            parts.append(f"{_listed(toward[:2])} pushed it toward Russia")
        if away:
            parts.append(f"{_listed(away[:2])} pulled it away")
        return f"{head}; its drivers cancelled out: " + ", while ".join(parts) + "."
    if moved < 0:
        along, against = away, toward
        along_words, against_words = "pulled away most by", "held by"
    else:
        along, against = toward, away
        along_words, against_words = "pushed toward Russia most by", "held back by"
    text = head
    if along:
        text += f"; {along_words} {_listed(along[:2])}"
    if against:
        text += f"; {against_words} {_listed(against[:1])}"
    return text + "."


def driver_sentences(
    totals: pd.DataFrame, drivers: Sequence[str], start: str, steps: int
) -> list[str]:
    """The summary's sentences on what moved each member (``totals``: :func:`member_totals`;
    ``start``: the first simulated month, "YYYY-MM"; ``steps``: months simulated): a lead-in,
    then one per member."""
    if totals.empty:
        return []
    runs = int(totals["n"].max())
    span = f"from {month_words(start)} to the end of {month_words(event_month(start, steps))}"
    lead = (
        f"What moved each member's alignment {span}: each driver's push (+, toward Russia) or "
        f"pull (−) summed over the months, the mean over the {runs:,} runs whose time series "
        "the folder keeps; a member's drivers add up to its change (table "
        '"What moved each member", figure "What pulled and pushed each member").'
    )
    return [lead, *(member_driver_sentence(row, drivers) for _, row in totals.iterrows())]


def driver_table(totals: pd.DataFrame, drivers: Sequence[str]) -> pd.DataFrame:
    """:func:`member_totals` as a table to read: a row per driver (in words), then their sum and
    the alignment at the start and end; a column per member; numbers to two decimals, signed
    where they are pushes and pulls."""
    rows: list[dict[str, str]] = []
    members = list(totals["member"])
    by_member = totals.set_index("member")

    def add(label: str, column: str, signed: bool) -> None:
        row = {"": label}
        for member in members:
            value = float(by_member.at[member, column])  # type: ignore[arg-type]
            row[member] = f"{value:+.2f}" if signed else f"{value:.2f}"
        rows.append(row)

    add("alignment at the start", START, signed=False)
    for column in drivers:
        add(driver_words(column), column, signed=True)
    add("sum of the drivers: the change", CHANGE, signed=True)
    add("alignment at the end", END, signed=False)
    return pd.DataFrame(rows, columns=["", *members])


# --- a run: what made up cohesion ------------------------------------------------------------


def cohesion_parts(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Cohesion and its parts per step, means over runs: ``step``, ``date`` (timestamp), ``n``,
    ``cohesion`` and :data:`COHESION_PARTS` (which add up to it, run by run and on the mean).
    Empty if the time series records no parts."""
    columns = ["step", "date", "n", "cohesion", *COHESION_PARTS]
    if not set(COHESION_PARTS) <= set(timeseries.columns):
        return pd.DataFrame({column: [] for column in columns})
    alliance = timeseries.drop_duplicates(["replicate", "step"])
    grouped = alliance.groupby(["step", "date"], sort=True)
    table = grouped[["cohesion", *COHESION_PARTS]].mean()
    table.insert(0, "n", grouped["replicate"].nunique())
    table = table.reset_index()
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    return table[columns]


def cohesion_reading(parts: pd.DataFrame, start: str) -> str:
    """What made cohesion move, in words, from :func:`cohesion_parts`: its first month, with
    the part that moved most, then the rest of the horizon part by part."""
    if len(parts) < 2:
        return ""
    first, second, last = parts.iloc[0], parts.iloc[1], parts.iloc[-1]
    steps = int(last["step"])

    def moved(row_from: pd.Series, row_to: pd.Series, column: str) -> float:
        return float(row_to[column]) - float(row_from[column])

    biggest = max(COHESION_PARTS, key=lambda c: abs(moved(first, second, c)))
    went = change(float(first["cohesion"]), float(second["cohesion"]))
    text = (
        f"Cohesion is the sum of its three parts (means over the {int(parts['n'].max()):,} "
        f"runs the folder keeps). In {month_words(start)} it {went} "
        f"from {first['cohesion']:.2f} to {second['cohesion']:.2f}, mostly through "
        f"{PART_WORDS[biggest]} ({first[biggest]:+.2f} → {second[biggest]:+.2f})"
    )
    if steps > 1:
        listed = ", ".join(
            f"{PART_WORDS[c]} {second[c]:+.2f} → {last[c]:+.2f}" for c in COHESION_PARTS
        )
        later = change(float(second["cohesion"]), float(last["cohesion"]))
        text += (
            f"; from then to the end of {month_words(event_month(start, steps))} it {later} "
            f"to {last['cohesion']:.2f}: {listed}"
        )
    return text + "."


# --- a comparison: which drivers differ ----------------------------------------------------------


def _interval(row: pd.Series) -> str:
    low, high = float(row["ci_low"]), float(row["ci_high"])
    return f"{low:+.3f} to {high:+.3f}"


def _driver_items(rows: pd.DataFrame, limit: int) -> str:
    """ "outside protection −0.232 (−0.284 to −0.186) and lock-in −0.076 (…)"."""
    words = [
        f"{driver_words(str(row['driver']))} {float(row['difference']):+.3f} ({_interval(row)})"
        for _, row in rows.head(limit).iterrows()
    ]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def compare_driver_sentences(table: pd.DataFrame, baseline: str) -> list[str]:
    """Which drivers differ between each scenario and the baseline, in words, from
    ``drivers.csv`` (:func:`sim.results.drivers.driver_differences`).

    Per scenario: for each member whose alignment change differs clearly (its ``CHANGE``
    row's verdict), how much and the drivers that account for most of it — up to three that
    differ clearly in the same direction, largest first, and up to two that differ clearly
    against it; for a member whose alignment changes alike but some driver differs clearly,
    those drivers (they offset each other); then the members whose change differs
    negligibly, or not at all, in one sentence.
    """
    sentences: list[str] = []
    if table.empty:
        return sentences
    for name in dict.fromkeys(table["scenario"]):
        rows = table[table["scenario"] == name]
        runs = int(rows["n"].max())
        covers = covers_words(str(rows["covers"].iloc[0]))
        sentences.append(
            f"{name}: what moved each member's alignment, against {baseline}, paired run by run "
            f"over the {runs:,} runs whose time series the folder keeps; each driver's total "
            "over the months, scenario minus baseline (they add up to the difference in the "
            f"alignment's change); paired 95% intervals {covers}."
        )
        alike: list[str] = []
        for member in dict.fromkeys(rows["member"]):
            own = rows[rows["member"] == member]
            total = own[own["driver"] == CHANGE].iloc[0]
            start = own[own["driver"] == START]
            same_start = bool(len(start)) and str(start.iloc[0]["verdict"]) == NO_DIFFERENCE
            drivers = own[~own["driver"].isin([CHANGE, START])]
            clear = drivers[drivers["verdict"] == CLEAR]
            clear = clear.reindex(clear["difference"].abs().sort_values(ascending=False).index)
            difference = float(total["difference"])
            kind = str(total["verdict"])
            if kind in (CLEAR, UNCLEAR):
                direction = "lower" if difference < 0 else "higher"
                if same_start:
                    head = (
                        f"{name}: {member}'s alignment ends {abs(difference):.3f} {direction} "
                        f"than under {baseline}"
                    )
                else:
                    head = (
                        f"{name}: {member}'s alignment changes by {float(total['mean']):+.3f} "
                        f"against {float(total['baseline_mean']):+.3f} under {baseline}"
                    )
                head += f" (paired 95% interval {_interval(total)}"
                if kind == UNCLEAR:
                    head += ", which includes zero: no clear difference"
                head += ")"
                along = clear[clear["difference"] * difference > 0]
                against = clear[clear["difference"] * difference < 0]
                if kind == CLEAR and len(along):
                    way = "away from Russia" if difference < 0 else "toward Russia"
                    head += f". Moved further {way} by {_driver_items(along, 3)}"
                    if len(against):
                        head += f"; partly offset by {_driver_items(against, 2)}"
                elif len(clear):
                    head += f". Drivers that differ clearly: {_driver_items(clear, 3)}"
                sentences.append(head + ".")
            else:
                alike.append(f"{member} ({difference:+.3f})" if kind != NO_DIFFERENCE else member)
                if len(clear):
                    sentences.append(
                        f"{name}: {member}'s alignment changes alike ({kind}, "
                        f"{difference:+.3f}), but what moves it differs, the drivers offsetting "
                        f"each other: {_driver_items(clear, 4)}."
                    )
        if alike:
            sentences.append(
                f"{name}: the alignment of {_and(alike)} changes as under {baseline}, or by less "
                "than the 0.01 on a 0–1 scale that matters."
            )
    return sentences


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def driver_difference_table(table: pd.DataFrame) -> pd.DataFrame:
    """``drivers.csv`` as a table to read: a row per scenario, member and driver (in words; the
    starting alignment left out), the baseline's and the scenario's totals, the difference, its
    interval and verdict."""
    shown = table[table["driver"] != START]
    words = {CHANGE: "sum: the alignment's change"}
    return pd.DataFrame(
        {
            "scenario": shown["scenario"],
            "member": shown["member"],
            "driver": [words.get(str(d), driver_words(str(d))) for d in shown["driver"]],
            "baseline total": shown["baseline_mean"].map(lambda v: f"{v:+.3f}"),
            "scenario total": shown["mean"].map(lambda v: f"{v:+.3f}"),
            "difference": shown["difference"].map(lambda v: f"{v:+.3f}"),
            "paired 95% interval": [_interval(row) for _, row in shown.iterrows()],
            "verdict": shown["verdict"],
        }
    ).reset_index(drop=True)
