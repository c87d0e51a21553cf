"""``sim.run``: one run of a scenario, without Mesa's UI or the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.mesa.agents import Member
from sim.mesa.model import CSTOModel
from sim.results.run import TIMESERIES_COLUMNS, RunResult, events_frame, step_date, summarise
from sim.scenario import Scenario, load, schema


def run(
    scenario: str | Path | Scenario = "baseline-2022",
    seed: int = 0,
    steps: int | None = None,
) -> RunResult:
    """Run one scenario once with the Mesa model and return its time series, events and summary.

    >>> result = run("baseline-2022", seed=1, steps=12)
    >>> len(result.timeseries) == 13 * 5      # steps 0..12, five members
    True
    >>> result.summary["final_cohesion"] < result.summary["initial_cohesion"]
    True
    """
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    model = CSTOModel(resolved, rng=seed, steps=steps).run()
    return result_from_model(model)


def result_from_model(model: CSTOModel) -> RunResult:
    """Assemble a :class:`RunResult` from a finished model's DataCollector and event log."""
    collector = model.datacollector
    alliance = collector.get_model_vars_dataframe().reset_index(drop=True)
    alliance.insert(0, "step", range(len(alliance)))
    members = collector.get_agenttype_vars_dataframe(Member).reset_index()
    members = members.rename(columns={"Step": "collection"})
    # agenttype records are keyed by collection number (0 = initial state)
    collections = sorted(members["collection"].unique())
    members["step"] = members["collection"].map({c: i for i, c in enumerate(collections)})
    frame = members.merge(alliance, on="step", how="left")
    frame["date"] = [step_date(model.plan.start, int(s)) for s in frame["step"]]
    order = {name: index for index, name in enumerate(schema.MEMBERS)}
    frame["member_order"] = frame["member"].map(order)
    frame = frame.sort_values(["step", "member_order"]).reset_index(drop=True)
    frame["frozen"] = frame["frozen"].astype(bool)
    timeseries = frame[list(TIMESERIES_COLUMNS)].astype({"step": "int64"})
    events = events_frame(model.event_log)
    return RunResult(
        scenario=model.scenario_spec.name,
        seed=model.seed,
        start=model.plan.start,
        steps=model.plan.steps,
        timeseries=timeseries,
        events=events,
        summary=summarise(timeseries, events),
    )


def as_frame(result: RunResult) -> pd.DataFrame:
    """The time series with the run's seed and scenario as columns (self-describing rows)."""
    frame = result.timeseries.copy()
    frame.insert(0, "seed", result.seed)
    frame.insert(0, "scenario", result.scenario)
    return frame
