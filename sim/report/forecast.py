"""The report of a ``csto forecast`` folder: the half-yearly probabilities beside persistence's,
cohesion's band, and the table a scorer fills in (``docs/forecast.md``).

The data of every figure and table is computed here from ``forecast.csv``
(:func:`probability_rows`, :func:`cohesion_band`, :func:`wide_table`) and drawn by
:mod:`sim.report.posterior_figures`.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from sim.report.document import Report, Section, TableItem, figure, provenance, scenario_name
from sim.report.prose import month_words
from sim.results.forecast import MEMBERS, QUANTILE_STATISTICS, ForecastFolder


def periods_of(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The half-years of a forecast table, in order, as (start, end)."""
    pairs = zip(table["period_start"].astype(str), table["period_end"].astype(str), strict=True)
    return sorted(set(pairs))


def probability_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The probability rows with ``period`` numbered from 0, members first, then the alliance's
    drills (as ``subject`` "drills held")."""
    periods = periods_of(table)
    number = {start: index for index, (start, _end) in enumerate(periods)}
    rows = table[table["statistic"] == "probability"].copy()
    rows["period"] = rows["period_start"].astype(str).map(number)
    rows.loc[rows["quantity"] == "drills_held", "subject"] = "drills held"
    order = {name: index for index, name in enumerate((*MEMBERS, "drills held"))}
    rows["order"] = rows["subject"].map(order)
    result = rows.sort_values(["order", "quantity", "period"], kind="stable")
    return result.drop(columns="order").reset_index(drop=True)


def cohesion_band(table: pd.DataFrame) -> pd.DataFrame:
    """Cohesion's quantiles at each half-year's end: ``period``, ``model_q05`` ... and
    ``persistence_q05`` ..."""
    periods = periods_of(table)
    number = {start: index for index, (start, _end) in enumerate(periods)}
    rows = table[(table["quantity"] == "cohesion") & table["statistic"].isin(QUANTILE_STATISTICS)]
    records: dict[int, dict[str, float]] = {}
    for row in rows.to_dict("records"):
        entry = records.setdefault(number[str(row["period_start"])], {})
        entry[f"model_{row['statistic']}"] = float(row["model"])
        entry[f"persistence_{row['statistic']}"] = float(row["persistence"])
    frame = pd.DataFrame.from_dict(records, orient="index").sort_index()
    frame.insert(0, "period", frame.index)
    return frame.reset_index(drop=True)


QUANTITY_WORDS: Final = {
    "voice": "voice action",
    "exit": "exited",
    "cohesion": "cohesion (median)",
    "drills_held": "drill held",
}


def wide_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per quantity and subject, one column per half-year: the model's number and, in
    brackets, persistence's (probabilities, and cohesion's median)."""
    shown = table[table["statistic"].isin(("probability", "q50"))]
    periods = periods_of(table)
    records = []
    for (quantity, subject), rows in shown.groupby(["quantity", "subject"], sort=False):
        record = {"quantity": QUANTITY_WORDS.get(str(quantity), str(quantity)), "subject": subject}
        by_start = {str(row["period_start"]): row for row in rows.to_dict("records")}
        for start, end in periods:
            row = by_start.get(start)
            record[f"{start} to {end}"] = (
                ""
                if row is None
                else f"{float(row['model']):.2f} ({float(row['persistence']):.2f})"
            )
        records.append(record)
    return pd.DataFrame(records)


def summary_sentences(table: pd.DataFrame, manifest: dict[str, object]) -> list[str]:
    """What the forecast says, in a few sentences: how it was made, each member's chance of
    exit and voice by the last half-year, cohesion's band, the drills."""
    record = manifest.get("forecast")
    setting = record if isinstance(record, dict) else {}
    periods = periods_of(table)
    first, last = periods[0], periods[-1]
    issued = str(table["issued"].iloc[0])
    posterior = setting.get("posterior")
    source = (
        f"{setting.get('draws')} parameter sets drawn from the calibrated posterior of "
        f"{posterior.get('scenario')}"
        if isinstance(posterior, dict)
        else f"the scenario's own values ({setting.get('draws')} draws, all alike)"
    )
    sentences = [
        f"Made from {table['runs'].iloc[0]:,} runs — {source}, each under "
        f"{setting.get('replicates')} seeds — with what was known at the end of "
        f"{month_words(issued)}, for {len(periods)} half-years from {month_words(first[0])} "
        f"to {month_words(last[1])}. Probabilities cover both what the calibration leaves "
        "uncertain and chance; persistence carries each run's state at the end of "
        f"{month_words(issued)} forward unchanged."
    ]
    at_end = table[table["period_end"].astype(str) == last[1]]

    def number(quantity: str, subject: str, statistic: str = "probability") -> pd.Series:
        rows = at_end[
            (at_end["quantity"] == quantity)
            & (at_end["subject"] == subject)
            & (at_end["statistic"] == statistic)
        ]
        return rows.iloc[0]

    exits = sorted(
        ((float(number("exit", m)["model"]), m) for m in MEMBERS if m in set(at_end["subject"])),
        reverse=True,
    )
    if exits:
        described = ", ".join(f"{member} {value:.2f}" for value, member in exits)
        sentences.append(
            f"Probability of having exited by the end of {month_words(last[1])}: {described} "
            "(persistence: "
            + ", ".join(f"{float(number('exit', m)['persistence']):.2f}" for _v, m in exits)
            + ")."
        )
    voices = [
        (
            member,
            float(number("voice", member)["model"]),
            float(number("voice", member)["persistence"]),
        )
        for member in MEMBERS
        if member in set(at_end["subject"])
    ]
    if voices:
        sentences.append(
            f"Probability of at least one voice action from {month_words(last[0])} to "
            f"{month_words(last[1])}: "
            + ", ".join(f"{m} {v:.2f} (persistence {p:.2f})" for m, v, p in voices)
            + "."
        )
    band = {
        statistic: float(number("cohesion", "alliance", statistic)["model"])
        for statistic in ("q05", "q50", "q95")
    }
    carried = float(number("cohesion", "alliance", "q50")["persistence"])
    sentences.append(
        f"Cohesion at the end of {month_words(last[1])}: median {band['q50']:.2f}, 90% of runs "
        f"between {band['q05']:.2f} and {band['q95']:.2f} (persistence's median "
        f"{carried:.2f})."
    )
    drills = table[(table["quantity"] == "drills_held") & (table["statistic"] == "probability")]
    if len(drills):
        sentences.append(
            "Chance that a scheduled drill is held, half-year by half-year: "
            + ", ".join(f"{float(v):.2f}" for v in drills["model"])
            + " (persistence: "
            + ", ".join(f"{float(v):.2f}" for v in drills["persistence"])
            + ")."
        )
    return sentences


def forecast_report(data: ForecastFolder) -> Report:
    """The report of a ``csto forecast`` folder."""
    from sim.report import posterior_figures

    manifest = data.manifest
    table = data.table
    name = scenario_name(manifest)
    periods = periods_of(table)
    setting = manifest.get("forecast", {})
    probabilities = figure(
        "probabilities",
        "Voice, exit and drills by half-year",
        posterior_figures.forecast_probabilities(
            probability_rows(table), periods, title=f"{name}: forecast by half-year"
        ),
        "Each panel is a member: the solid line is the probability that it takes at least one "
        "voice action in the half-year, the dashed line that it has exited by the half-year's "
        "end; the last panel is the chance that a scheduled joint drill is held. Shaded: the "
        "Monte-Carlo 95% interval of each probability (runs clustered by parameter draw). Thin "
        "dotted lines with open markers: persistence, each run's state at the end of the origin "
        "month carried forward.",
    )
    cohesion = figure(
        "cohesion",
        "Cohesion's band by half-year",
        posterior_figures.forecast_cohesion(
            cohesion_band(table), periods, title=f"{name}: cohesion at each half-year's end"
        ),
        "The line is the median over runs of cohesion at each half-year's end, the dark band "
        "the middle 50% of runs and the light band the middle 90% (both parameter uncertainty "
        "and chance). The other colour's lines are persistence: the 5%, 50% and 95% quantiles "
        "of cohesion at the end of the origin month.",
    )
    return Report(
        kind="forecast",
        title=f"Forecast: {name}",
        subtitle=f"{setting.get('draws')} draws x {setting.get('replicates')} seeds, master seed "
        f"{manifest.get('master_seed', '?')}, issued {table['issued'].iloc[0]}",
        sections=[
            Section("summary", "Summary", items=summary_sentences(table, manifest)),
            Section(
                "figures",
                "The forecast by half-year",
                paragraphs=[METHOD_FORECAST],
                figures=[probabilities, cohesion],
            ),
            Section(
                "tables",
                "Tables",
                paragraphs=[SCORING],
                tables=[
                    TableItem(
                        "forecast",
                        "Model (persistence) by half-year",
                        wide_table(table),
                        "voice action: probability of at least one in the half-year; exited: "
                        "probability of having exited by its end; cohesion: median at its end; "
                        "drill held: probability that at least one scheduled drill is held.",
                    )
                ],
            ),
        ],
        provenance=provenance(manifest, data.path),
    )


METHOD_FORECAST: Final = (
    "Every run draws a parameter set (values and structural variants) from the scenario's "
    "calibrated posterior, by weight, and runs under its own seed, so the probabilities cover "
    "what the calibration leaves uncertain and the runs' own chance together. Half-years run "
    "October to March and April to September. Persistence is the baseline a forecast must "
    "beat: in every run, the state at the end of the month the first half-year starts in is "
    "carried forward unchanged (a member that spoke out then speaks out in every half-year, no "
    "new exit, cohesion stays put, every drill meets the fate of the last one)."
)

SCORING: Final = (
    "forecast.csv in this folder holds every number here, one row per quantity, subject, "
    "half-year and statistic, with an empty 'observed' column: fill it with what happened (1 "
    "or 0 for a probability row) and score model and persistence alike, e.g. by the Brier "
    "score. docs/forecast.md describes every column and works an example."
)
