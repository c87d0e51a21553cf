"""The report of a ``csto run`` folder: what happened over the replicates, in numbers and
sentences, and the data behind its figures (also drawn into the folder's ``figures/``).

Every function but :func:`run_report` computes from tables (the folder's files) and returns
tables or small dataclasses; :mod:`sim.report.figures` draws them.

Dates on the x axis are real months: a time-series row at step ``s`` is the state at the end
of the ``s``-th month (its ``date`` is the first day of the next month); an event is marked in
the middle of the month it happened in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from sim.report.document import (
    FigureItem,
    Report,
    ReportError,
    Section,
    TableItem,
    figure,
    manifest_value,
    provenance,
    scenario_name,
)
from sim.report.prose import (
    INTERVALS_TEXT,
    TIMELINE_KINDS,
    change,
    covers_words,
    month_text,
    month_words,
)
from sim.results.drivers import driver_columns
from sim.results.outcomes import REGISTRY, SUMMARY
from sim.results.replicates import FREEZE
from sim.results.run import RunFolder, event_month
from sim.scenario import schema
from sim.stats import DRAWS, DRAWS_AND_PARAMETERS, Estimate, describe, estimate

# --- the data behind the figures -------------------------------------------------------------


def alliance_rows(timeseries: pd.DataFrame) -> pd.DataFrame:
    """One row per replicate and step (alliance-level values repeat on each member's row)."""
    first = timeseries["member"] == schema.MEMBERS[0]
    if first.any():
        return timeseries[first]
    return timeseries.drop_duplicates(["replicate", "step"])


def alliance_band(
    timeseries: pd.DataFrame, column: str = "cohesion", by: Sequence[str] = ()
) -> pd.DataFrame:
    """An alliance-level column per step over replicates (``by`` groups first, e.g. scenario).

    Columns: ``by``..., ``step``, ``date`` (timestamp), ``n``, ``mean``, ``ci_low``,
    ``ci_high`` (95% interval of the mean), ``low``, ``high`` (middle 95% of replicates).
    """
    band = describe(alliance_rows(timeseries), column, by=[*by, "step", "date"])
    band["date"] = pd.to_datetime(band["date"], format="%Y-%m-%d")
    return band.reset_index(drop=True)


def cohesion_band(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Cohesion per step over replicates: ``step``, ``date`` (a timestamp), ``n``, ``mean``,
    ``ci_low``/``ci_high`` (95% interval of the mean), ``low``/``high`` (middle 95% of
    replicates), and ``capacity`` (Russia's, the mean over replicates)."""
    alliance = alliance_rows(timeseries)
    band = describe(alliance, "cohesion", by=["step", "date"])
    capacity = alliance.groupby("step", sort=True)["capacity"].mean()
    band["capacity"] = band["step"].map(capacity)
    band["date"] = _dates(band["date"])
    return band


def member_bands(timeseries: pd.DataFrame, column: str = "alignment") -> pd.DataFrame:
    """A member column per member and step over replicates, as :func:`cohesion_band`,
    with ``member`` first; members in the schema's order."""
    band = describe(timeseries, column, by=["member", "step", "date"])
    order = {name: index for index, name in enumerate(schema.MEMBERS)}
    band = band.sort_values(
        ["member", "step"], key=lambda c: c.map(order) if c.name == "member" else c
    )
    band["date"] = _dates(band["date"])
    return band.reset_index(drop=True)


def event_marks(events: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """Events to mark on the members' panels: scenario-given events and freezes.

    One row per member, month, kind and counterpart: ``member``, ``date`` (mid-month
    timestamp), ``kind``, ``counterpart``, ``share`` (of replicates in which it happened). A
    clash is marked on both members' panels; an event of Russia's (mobilisation) on every panel.
    """
    chosen = events[(events["origin"] == "scenario") | (events["kind"] == FREEZE)]
    rows: list[dict[str, object]] = []
    for event in chosen.to_dict("records"):
        kind, member, counterpart = (
            str(event["kind"]),
            str(event["member"]),
            str(event["counterpart"]),
        )
        if member not in schema.MEMBERS:  # Russia's own events concern every member
            panels = [(name, member) for name in schema.MEMBERS]
        elif kind == "clash" and counterpart in schema.MEMBERS:
            panels = [(member, counterpart), (counterpart, member)]
        else:
            panels = [(member, counterpart)]
        for target, other in panels:
            rows.append(
                {
                    "member": target,
                    "month": str(event["date"]),
                    "kind": kind,
                    "counterpart": other,
                    "replicate": int(event["replicate"]),
                }
            )
    columns = ["member", "date", "kind", "counterpart", "share"]
    if not rows:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    table = pd.DataFrame(rows)
    keys = ["member", "month", "kind", "counterpart"]
    marks = table.groupby(keys, sort=True)["replicate"].nunique().reset_index()
    marks["share"] = marks["replicate"] / replicates
    marks["date"] = pd.to_datetime(marks["month"] + "-15", format="%Y-%m-%d")
    return marks[columns].reset_index(drop=True)


#: The central shares of replicates a fan chart shades, widest first.
FAN_LEVELS: Final = (0.95, 0.8, 0.5)


def fan(
    rows: pd.DataFrame,
    column: str,
    by: Sequence[str] = (),
    levels: Sequence[float] = FAN_LEVELS,
    covers: str = DRAWS,
) -> pd.DataFrame:
    """A fan chart's bands: per step (and ``by`` group), the central ``level`` share of the
    values of ``column`` over ``rows`` (e.g. replicates), for each level, and the median.

    Columns: ``by``..., ``step``, ``date`` (timestamp), ``level``, ``low``, ``high`` (the
    ``(1 − level)/2`` and ``(1 + level)/2`` quantiles), ``median``, ``covers`` (what the spread
    is over: the replicates' random draws here; bands over parameters drawn from a posterior
    would carry ``"parameters"``, and a chart draws each kind apart).
    """
    keys = [*by, "step", "date"]
    grouped = rows.groupby(keys, sort=True)[column]
    median = grouped.median()
    parts = []
    for level in levels:
        part = pd.DataFrame(
            {
                "low": grouped.quantile((1 - level) / 2),
                "high": grouped.quantile((1 + level) / 2),
                "median": median,
            }
        ).reset_index()
        part.insert(len(keys), "level", float(level))
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table["covers"] = covers
    table["date"] = _dates(table["date"])
    return table.sort_values([*by, "level", "step"], ascending=True).reset_index(drop=True)


def fan_panels(timeseries: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The run report's fan chart: cohesion, then each member's alignment, over the
    replicates' random draws."""
    panels = {"Cohesion of the alliance": fan(alliance_rows(timeseries), "cohesion")}
    members = fan(timeseries, "alignment", by=["member"])
    for name in schema.MEMBERS:
        part = members[members["member"] == name].drop(columns="member")
        if len(part):
            panels[f"Alignment of {name}"] = part.reset_index(drop=True)
    return panels


def _dates(labels: pd.Series) -> pd.Series:
    return pd.to_datetime(labels, format="%Y-%m-%d")


# --- what happened --------------------------------------------------------------------------


@dataclass(frozen=True)
class FreezeFact:
    """How often, and when, one member froze its participation over the replicates."""

    member: str
    count: int
    replicates: int
    median_step: int | None
    first_step: int | None
    last_step: int | None

    @property
    def share(self) -> float:
        return self.count / self.replicates if self.replicates else 0.0


def freeze_facts(summary: pd.DataFrame) -> list[FreezeFact]:
    """Per member (schema order): replicates in which it froze, and the median, first and last
    step of its freeze (the median is the lower median, so it is a step that happened)."""
    facts: list[FreezeFact] = []
    replicates = len(summary)
    for name in schema.MEMBERS:
        column = f"freeze_step_{name}"
        steps = (
            pd.to_numeric(summary[column], errors="coerce").dropna().to_numpy(np.int64)
            if column in summary
            else np.array([], dtype=np.int64)
        )
        steps = np.sort(steps[steps >= 0])
        if len(steps):
            median = int(np.quantile(steps, 0.5, method="lower"))
            facts.append(
                FreezeFact(name, len(steps), replicates, median, int(steps[0]), int(steps[-1]))
            )
        else:
            facts.append(FreezeFact(name, 0, replicates, None, None, None))
    return facts


def freeze_table(summary: pd.DataFrame, start: str) -> pd.DataFrame:
    """Freezes per member as a table: share of replicates, median, first and last month."""
    rows = []
    for fact in freeze_facts(summary):
        rows.append(
            {
                "member": fact.member,
                "froze in": f"{fact.count} of {fact.replicates} ({fact.share:.0%})",
                "median month": month_text(start, fact.median_step),
                "earliest": month_text(start, fact.first_step),
                "latest": month_text(start, fact.last_step),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RunFacts:
    """The numbers a run report's summary is written from."""

    scenario: str
    replicates: int
    start: str
    steps: int
    initial_cohesion: Estimate
    final_cohesion: Estimate
    min_cohesion: Estimate
    capacity_start: float
    capacity_end: float
    freezes: list[FreezeFact]
    final_alignment: dict[str, Estimate]
    mean_counts: dict[str, float] = field(default_factory=dict)
    draws: int = 1
    """Parameter sets drawn from the posterior (1: the scenario's own values)."""
    detailed: int = 0
    """Runs whose time series and events the folder keeps (0: all)."""

    @property
    def runs_text(self) -> str:
        """How many runs, and what they vary: "30 replicates", or "1,000 runs (100 parameter
        sets from the calibrated posterior x 10 seeds)"."""
        if self.draws > 1:
            seeds = self.replicates // self.draws
            return (
                f"{self.replicates:,} runs ({self.draws} parameter sets from the calibrated "
                f"posterior x {seeds} seeds)"
            )
        return f"{self.replicates} replicate{'s' if self.replicates != 1 else ''}"

    @property
    def spread_words(self) -> str:
        """What the spread over runs covers, in words."""
        if self.draws > 1:
            return "runs, over the random draws and the calibrated parameters,"
        return "replicates"


#: The summary's counts of events (a run report gives their means over replicates).
COUNT_COLUMNS: Final = tuple(
    outcome.name for outcome in REGISTRY.group(SUMMARY) if outcome.event is not None
)


def run_facts(
    summary: pd.DataFrame,
    timeseries: pd.DataFrame,
    scenario: str,
    start: str,
    draws: int = 1,
) -> RunFacts:
    """Collect the summary's numbers from a run's ``summary.csv`` (every run) and
    ``timeseries.parquet`` (the runs it keeps); ``draws`` parameter sets from a posterior."""
    alliance = alliance_rows(timeseries)
    steps = int(alliance["step"].max())
    capacity = alliance.groupby("step", sort=True)["capacity"].mean()
    counts = {
        column: float(summary[column].mean()) for column in COUNT_COLUMNS if column in summary
    }
    alignment = {
        name: estimate(summary[f"final_alignment_{name}"], draws)
        for name in schema.MEMBERS
        if f"final_alignment_{name}" in summary
    }
    return RunFacts(
        scenario=scenario,
        replicates=len(summary),
        start=start,
        steps=steps,
        initial_cohesion=estimate(summary["initial_cohesion"], draws),
        final_cohesion=estimate(summary["final_cohesion"], draws),
        min_cohesion=estimate(summary["min_cohesion"], draws),
        capacity_start=float(capacity.iloc[0]),
        capacity_end=float(capacity.iloc[-1]),
        freezes=freeze_facts(summary),
        final_alignment=alignment,
        mean_counts=counts,
        draws=draws,
        detailed=int(timeseries["replicate"].nunique()) if "replicate" in timeseries else 0,
    )


def run_sentences(facts: RunFacts) -> list[str]:
    """The plain-language summary of a run, one sentence per item, written from the numbers."""
    first = month_words(facts.start)
    last = month_words(event_month(facts.start, facts.steps))
    final = facts.final_cohesion
    verb = change(facts.initial_cohesion.mean, final.mean)
    spread = (
        f"(95% interval of the mean {final.interval()}; the middle 95% of "
        f"{facts.spread_words} ended between {final.low:.2f} and {final.high:.2f})."
        if facts.replicates > 1
        else "(a single replicate: no interval; run more replicates to see the spread)."
    )
    sentences = [
        f"{facts.scenario}, {facts.runs_text} from {first} to the end of "
        f"{last} ({facts.steps} months): mean cohesion {verb} from "
        f"{facts.initial_cohesion.mean:.2f} to {final.mean:.2f} " + spread,
        f"At its lowest, cohesion averaged {facts.min_cohesion.mean:.2f} "
        f"(95% interval {facts.min_cohesion.interval()}).",
        f"Russia's capacity for the region went from {facts.capacity_start:.2f} to "
        f"{facts.capacity_end:.2f} of its pre-war level.",
    ]
    frozen = [fact for fact in facts.freezes if fact.count]
    if not frozen:
        sentences.append("No member froze its participation in any replicate.")
    for fact in sorted(frozen, key=lambda f: -f.count):
        assert fact.median_step is not None and fact.first_step is not None
        assert fact.last_step is not None
        median = month_words(event_month(facts.start, fact.median_step))
        earliest = month_words(event_month(facts.start, fact.first_step))
        latest = month_words(event_month(facts.start, fact.last_step))
        span = (
            f"; earliest {earliest}, latest {latest}" if fact.first_step != fact.last_step else ""
        )
        sentences.append(
            f"{fact.member} froze its participation in {fact.share:.0%} of "
            f"{'runs' if facts.draws > 1 else 'replicates'} "
            f"({fact.count} of {fact.replicates}), median month {fact.median_step} "
            f"({median}{span})."
        )
    if facts.final_alignment:
        ranked = sorted(facts.final_alignment.items(), key=lambda item: item[1].mean)
        (low_name, low), (high_name, high) = ranked[0], ranked[-1]
        sentences.append(
            f"At the end, {high_name} was the most aligned with Russia "
            f"({high.mean:.2f}, 95% interval {high.interval()}) and {low_name} the least "
            f"({low.mean:.2f}, {low.interval()}), on a scale from 0 (exit) to 1 (loyal)."
        )
    counts = facts.mean_counts
    if "appeals_answered" in counts and "appeals_ignored" in counts:
        sentences.append(
            f"Per {'run' if facts.draws > 1 else 'replicate'}, Russia answered "
            f"{counts['appeals_answered']:.1f} appeals for help "
            f"on average and ignored {counts['appeals_ignored']:.1f}."
        )
    if "drills_held" in counts and "drills_cancelled" in counts:
        total = counts["drills_held"] + counts["drills_cancelled"]
        sentences.append(
            f"Of {total:.0f} scheduled joint drills, {counts['drills_cancelled']:.1f} were "
            f"cancelled on average."
        )
    return sentences


def event_timeline(events: pd.DataFrame, replicates: int) -> pd.DataFrame:
    """How often each kind of event happened in each month, over the replicates.

    One row per kind and month: ``kind``, ``month`` ("YYYY-MM"), ``date`` (mid-month
    timestamp), ``share`` (of replicates with at least one such event that month), ``mean``
    (events per replicate that month), ``origin`` ("scenario" if the scenario gave it in
    every replicate, else "model").
    """
    columns = ["kind", "month", "date", "share", "mean", "origin"]
    if events.empty or replicates < 1:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})
    frame = events.assign(month=events["date"].astype(str).str.slice(0, 7))
    grouped = frame.groupby(["kind", "month"], sort=True)
    table = grouped.agg(
        runs=("replicate", "nunique"),
        count=("replicate", "size"),
        scenario=("origin", lambda origin: bool((origin == "scenario").all())),
    ).reset_index()
    table["share"] = table["runs"] / replicates
    table["mean"] = table["count"] / replicates
    table["origin"] = np.where(table["scenario"], "scenario", "model")
    table["date"] = pd.to_datetime(table["month"] + "-15", format="%Y-%m-%d")
    order = {kind: index for index, kind in enumerate(TIMELINE_KINDS)}
    table["order"] = table["kind"].map(order).fillna(len(order))
    table = table.sort_values(["order", "month"]).reset_index(drop=True)
    return table[columns]


def scenario_events(events: pd.DataFrame) -> pd.DataFrame:
    """The events the scenario gave (the same in every replicate): month, kind, members and
    the explanation from the first replicate."""
    given = events[events["origin"] == "scenario"]
    if given.empty:
        return pd.DataFrame(columns=["month", "kind", "member", "counterpart", "explanation"])
    first = given[given["replicate"] == given["replicate"].min()]
    table: pd.DataFrame = first[["date", "kind", "member", "counterpart", "explanation"]]
    return table.rename(columns={"date": "month"}).reset_index(drop=True)


# --- the report ----------------------------------------------------------------------------


def run_report(data: RunFolder, replicate: int | None = None) -> Report:
    """The report of a ``csto run`` folder; its story is that of ``replicate`` (default: the
    most typical, :func:`sim.report.story.typical_replicate`)."""
    from sim.report import figures  # matplotlib is slow to import: only when drawing

    manifest = data.manifest
    name = scenario_name(manifest)
    replicates = data.replicates
    start = data.start
    draws = int(manifest.get("draws") or 1)
    facts = run_facts(data.summary, data.timeseries, name, start, draws)
    sentences = run_sentences(facts)
    if facts.detailed and facts.detailed < facts.replicates:
        sentences.append(
            f"The figures over time and the event timeline show {facts.detailed:,} runs "
            + (
                "(the first seeds of the parameter sets, spread over the posterior: the folder "
                "keeps their time series and events)"
                if facts.draws > 1
                else "(the first ones: the folder keeps their time series and events)"
            )
            + f"; every number above is over all {facts.replicates:,}."
        )
    title = f"{name}: {facts.runs_text}"
    exit_threshold = manifest_value(manifest, "mechanisms.exit_threshold")
    why = _why(data, facts, figures)
    sentences += why.sentences

    cohesion = figure(
        "cohesion",
        "Cohesion of the alliance over time",
        figures.plot_cohesion(cohesion_band(data.timeseries), title=title),
        "The cohesion index (0 to 1) blends how aligned the active members are with Russia and "
        "whether they act together (joint drills), less the strain of clashes between members; a "
        "frozen member counts as zero. The dotted line is Russia's capacity for the region as a "
        f"share of its pre-war level. {_cohesion_reading(facts)}",
    )
    marks = event_marks(data.events, replicates)
    members = figure(
        "members",
        "Alignment of each member with Russia",
        figures.plot_members(
            member_bands(data.timeseries),
            marks,
            title=title,
            exit_threshold=exit_threshold,
        ),
        "One panel per member: 1 is loyal, 0.5 hedging, 0 exit. Vertical lines mark events the "
        "scenario gives (an appeal, a clash, a pledge by an outside power); crosses mark where "
        "members froze their participation, larger when more replicates froze that month. A "
        "member freezes after its alignment has stayed under the exit threshold (the low "
        "line) for several months in a row.",
    )
    trust = figure(
        "trust-dependence",
        "Trust in Russia's guarantee and dependence on Russia",
        figures.member_lines(
            {
                "trust": member_bands(data.timeseries, "trust"),
                "dependence": member_bands(data.timeseries, "dependence"),
            },
            {
                "trust": "Trust in Russia's guarantee (0–1)",
                "dependence": "Dependence on Russia (0–1)",
            },
        ),
        "Trust rises when Russia answers a member's appeal for help and falls, sharply, when it "
        "ignores one; other members learn from what happens to the appellant. Dependence (energy "
        "transit, security and economic ties) erodes slowly as hedging members build other "
        "options. Lines are means over replicates; shading is the 95% interval of the mean.",
    )
    fans = figure(
        "fan",
        "Fan chart: how far single histories spread",
        figures.fan_chart(fan_panels(data.timeseries)),
        "Each panel shades the central 50%, 80% and 95% of replicates month by month (darker "
        "is nearer the middle), around their median (the line): how differently single "
        "histories of the same scenario turn out. The bands are over the random draws of the "
        "replicates (their seeds) with the parameters fixed; they say nothing about how "
        "uncertain the parameters are.",
    )
    table = event_timeline(data.events, replicates)
    timeline = figure(
        "timeline",
        "Event timeline",
        figures.timeline(table, title=f"{name}: events by month over {replicates} replicates"),
        "A row per kind of event. Markers sit in the month events happened; their area is the "
        "share of replicates in which that event happened that month. Black stars are events "
        "the scenario gives (the same in every replicate); the rest arise in the model "
        "from the random draws and the members' and Russia's decisions.",
    )
    summary_section = Section("summary", "Summary", items=sentences, tables=why.tables)
    figures_section = Section(
        "figures",
        "What happened, month by month",
        paragraphs=[INTERVALS_TEXT, *why.missing],
        figures=[cohesion, *why.parts, fans, members, *why.drivers, trust, timeline],
    )
    story_section = _story_section(data, replicate)
    tables = Section(
        "tables",
        "Tables",
        tables=[
            TableItem(
                "outcomes",
                "Outcomes over replicates",
                _outcome_table(data.summary, facts.draws),
                "Mean with its 95% interval "
                + covers_words(DRAWS_AND_PARAMETERS if facts.draws > 1 else DRAWS)
                + ", and the middle 95% of replicates.",
            ),
            TableItem(
                "freezes",
                "Who froze its participation, and when",
                freeze_table(data.summary, start),
                "Months are counted from the first simulated month (month 1 = "
                f"{month_words(start)}).",
            ),
            TableItem(
                "scenario-events",
                "Events the scenario gives",
                scenario_events(data.events),
                "As explained in the event log of the first replicate.",
            ),
        ],
    )
    return Report(
        kind="run",
        title=f"Report: {name}",
        subtitle=_subtitle(manifest, replicates),
        sections=[summary_section, figures_section, story_section, tables],
        provenance=provenance(manifest, data.path),
    )


@dataclass
class _Why:
    """The run report's parts that say why alignment and cohesion moved (empty where the
    folder's time series does not record drivers or cohesion's parts)."""

    sentences: list[str] = field(default_factory=list)
    tables: list[TableItem] = field(default_factory=list)
    parts: list[FigureItem] = field(default_factory=list)
    drivers: list[FigureItem] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _why(data: RunFolder, facts: RunFacts, figures: Any) -> _Why:
    """What made up cohesion and what pulled and pushed each member: figures, the summary's
    sentences and table (:mod:`sim.report.drivers`), or a word on what the folder lacks."""
    from sim.report import drivers as why

    found = _Why()
    start, last = month_words(facts.start), month_words(event_month(facts.start, facts.steps))
    parts = why.cohesion_parts(data.timeseries)
    if len(parts):
        reading = why.cohesion_reading(parts, facts.start)
        found.sentences.append(reading)
        found.parts.append(
            figure(
                "cohesion-parts",
                "What made up cohesion",
                figures.plot_cohesion_parts(
                    parts, title=f"What made up cohesion, {start} – {last}"
                ),
                "Cohesion (black) is the sum of three parts, each drawn as the mean over the runs "
                "whose time series the folder keeps: what the active members' alignment "
                "contributes, what collective action contributes (the record of joint drills "
                "and summits: a cancelled drill lowers it), and what strain between members "
                "takes off (zero or negative: a clash raises strain, which then fades). " + reading,
            )
        )
    else:
        found.missing.append(
            "This folder's time series records no parts of cohesion (columns cohesion_alignment, "
            "cohesion_action, cohesion_strain), so the figure of what made up cohesion is left "
            "out; a folder written by this version of csto has them."
        )
    drivers = driver_columns(data.timeseries)
    if not drivers:
        found.missing.append(
            "This folder's time series records no drivers (columns driver_…, how much each "
            "motive pushed or pulled a member's alignment each month), so the figure and table "
            "of what pulled and pushed each member are left out; a folder written by this "
            "version of csto has them."
        )
        return found
    totals = why.member_totals(data.timeseries)
    found.sentences += why.driver_sentences(totals, drivers, facts.start, facts.steps)
    found.tables.append(
        TableItem(
            "drivers",
            "What moved each member",
            why.driver_table(totals, drivers),
            f"Each driver's contribution to the member's alignment, summed over the months from "
            f"{start} to the end of {last}: + pushed it toward Russia, − pulled it away; the "
            f"mean over the {int(totals['n'].max()):,} runs whose time series the folder keeps "
            "(the alignment at the start and end too, which may differ by a hundredth from "
            "the means over every run above). The drivers add up to the change.",
        )
    )
    found.drivers.append(
        figure(
            "drivers",
            f"What pulled and pushed each member, {start} – {last}",
            figures.driver_paths(
                why.cumulative_drivers(data.timeseries),
                drivers,
                title=f"What pulled and pushed each member, {start} – {last}",
            ),
            "One panel per member, one line per driver: its contribution to the member's "
            "alignment summed over the months so far (above zero it pushed the member toward "
            "Russia, below zero it pulled it away), the mean over the runs whose time series "
            "the folder keeps. The lines add up to the thick black one, the alignment's change "
            "since the start. Each motive's line is its share of the monthly move toward the "
            "alignment the member would choose; the drift toward hedging is the pull toward "
            "0.5 that remains when no motive tips the balance; peers are the pull of the other "
            "members; coercion is Russia's pressure. Drivers that pull in opposite directions "
            "largely cancel: a member falls as far as the sum, not as the largest line.",
        )
    )
    return found


def _story_section(data: RunFolder, replicate: int | None) -> Section:
    """One replicate's story (:mod:`sim.report.story`)."""
    from sim.report.story import story, typical_replicate

    typical = typical_replicate(data.timeseries)
    chosen = typical if replicate is None else replicate
    try:
        told = story(data.timeseries, data.events, chosen, data.start)
    except ValueError as error:
        raise ReportError(f"--replicate: {error}") from None
    seed = data.summary.loc[data.summary["replicate"] == chosen, "seed"]
    why = (
        "the most typical one: its cohesion path lies closest to the mean over replicates"
        if chosen == typical
        else f"as asked (the most typical is replicate {typical})"
    )
    paragraphs = [
        f"Replicate {chosen}" + (f" (seed {int(seed.iloc[0])})" if len(seed) else "") + f", {why}"
        ", month by month: what happened, from the event log's explanations, and how the "
        "members concerned and the alliance's cohesion moved (values at the end of the month "
        "against its start; other values are named when they moved by 0.05 or more). "
        "csto report --replicate N tells another replicate's story."
    ]
    if not driver_columns(data.timeseries):
        paragraphs.append(
            "This folder's time series records no drivers (columns driver_…, how much each "
            "motive pushed or pulled a member's alignment); where it does, the story names the "
            "strongest behind each member's move."
        )
    return Section(
        "story",
        f"One replicate's story: replicate {chosen}",
        paragraphs=paragraphs,
        items=list(told["text"]) or ["Nothing happened worth telling in this replicate."],
    )


def _cohesion_reading(facts: RunFacts) -> str:
    final = facts.final_cohesion
    return (
        f"Here mean cohesion goes from {facts.initial_cohesion.mean:.2f} to {final.mean:.2f} "
        f"(95% interval {final.interval()})."
    )


def _outcome_table(summary: pd.DataFrame, draws: int = 1) -> pd.DataFrame:
    rows = []
    columns = [
        ("initial_cohesion", "cohesion at the start"),
        ("final_cohesion", "cohesion at the end"),
        ("min_cohesion", "lowest cohesion"),
        ("final_capacity", "Russia's capacity at the end"),
        *((f"final_alignment_{name}", f"final alignment, {name}") for name in schema.MEMBERS),
        ("appeals_answered", "appeals answered"),
        ("appeals_ignored", "appeals ignored"),
        ("drills_cancelled", "drills cancelled"),
    ]
    for column, label in columns:
        if column not in summary:
            continue
        est = estimate(summary[column], draws)
        rows.append(
            {
                "outcome": label,
                "mean": f"{est.mean:.3f}",
                "95% interval of the mean": est.interval(3),
                "middle 95% of replicates": f"{est.low:.3f}–{est.high:.3f}",
            }
        )
    return pd.DataFrame(rows)


def _subtitle(manifest: dict[str, Any], replicates: int) -> str:
    scenario = manifest.get("scenario")
    title = scenario.get("title", "") if isinstance(scenario, dict) else ""
    steps = manifest.get("steps")
    seed = manifest.get("master_seed")
    parts = [str(title)] if title else []
    parts.append(f"{replicates} replicates" + (f" × {steps} months" if steps else ""))
    if seed is not None:
        parts.append(f"master seed {seed}")
    return "; ".join(parts)
