"""The Mesa model of CSTO cohesion: one run, stepped month by month.

``CSTOModel`` is the face a Mesa user expects — typed keyword parameters, ``rng``, a
``DataCollector``, agents by type, ``mesa.batch_run`` — over the same month the batch engine
runs: it holds a :class:`~sim.model.state.State` of one run and each ``step()`` calls
:func:`sim.model.step.advance` on it. Its agents (:mod:`sim.mesa.agents`) are views onto their
own slot of that state, so what a student sees stepping this model is exactly what
:func:`sim.engine.simulate` computes for the same seed.

One step is one month; step 1 simulates the scenario's start month (September 2022 in the
baseline). Every random number is a pure function of ``rng`` (the run's seed), the stream, the
month and the slot (:mod:`sim.model.draws`), computed as each month needs it; Mesa's own
generator is seeded from the same number and not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.mesa.agents import Member, OutsidePower, Russia
from sim.model.events import EventLog
from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES, draw, initial_state
from sim.model.step import Setting, advance
from sim.results.run import TIMESERIES_COLUMNS, RunResult, step_date, summarise
from sim.scenario import Scenario, load, schema
from sim.scenario.inputs import build_inputs, build_plan

#: Typed keyword parameters of the model, each a dotted scenario path (for ``mesa.batch_run``).
KEYWORD_PATHS: dict[str, str] = {
    "initial_capacity": "russia.capacity.initial",
    "drain_per_month": "russia.capacity.drain_per_month",
    "threat_posture": "russia.threat_posture",
    "reserve_share": "russia.reserve_share",
    "peer_weight": "mechanisms.peer_weight",
    "inertia": "mechanisms.inertia",
    "trust_loss_ignored": "mechanisms.trust_loss_ignored",
    "coercion_effect": "mechanisms.coercion_effect",
    "exit_threshold": "mechanisms.exit_threshold",
}

#: What the DataCollector records of each member (column name: agent attribute): every member
#: series of the state.
MEMBER_REPORTERS: dict[str, str] = {"member": "name", **{name: name for name in MEMBER_SERIES}}
#: ... and of Russia and the alliance (column name: model attribute).
MODEL_REPORTERS = (
    *ALLIANCE_SERIES,
    "min_cohesion",
    "first_freeze_step",
    "first_freeze_member",
)


@lru_cache(maxsize=32)
def _cached_scenario(name: str) -> Scenario:
    return load(name)


class CSTOModel(mesa.Model):  # type: ignore[misc]
    """Cohesion of the CSTO under varying Russian capacity (one run).

    Args:
        scenario: a scenario name from ``scenarios/``, a path, or a loaded :class:`Scenario`.
        rng: the run's seed (a non-negative integer); the same seed gives an identical run.
        steps: months to simulate (default: the scenario's horizon, 36 in the baseline).
        initial_capacity ... exit_threshold: override the scenario's value (see KEYWORD_PATHS).
        overrides: any other numeric scenario values, by dotted path.
    """

    def __init__(
        self,
        scenario: str | Scenario = "baseline-2022",
        rng: int | None = None,
        steps: int | None = None,
        *,
        initial_capacity: float | None = None,
        drain_per_month: float | None = None,
        threat_posture: float | None = None,
        reserve_share: float | None = None,
        peer_weight: float | None = None,
        inertia: float | None = None,
        trust_loss_ignored: float | None = None,
        coercion_effect: float | None = None,
        exit_threshold: float | None = None,
        overrides: Mapping[str, float] | None = None,
    ) -> None:
        seed = 0 if rng is None else int(rng)
        super().__init__(rng=seed)
        base = _cached_scenario(scenario) if isinstance(scenario, str) else scenario
        keyword_values = {
            "initial_capacity": initial_capacity,
            "drain_per_month": drain_per_month,
            "threat_posture": threat_posture,
            "reserve_share": reserve_share,
            "peer_weight": peer_weight,
            "inertia": inertia,
            "trust_loss_ignored": trust_loss_ignored,
            "coercion_effect": coercion_effect,
            "exit_threshold": exit_threshold,
        }
        chosen = {KEYWORD_PATHS[k]: v for k, v in keyword_values.items() if v is not None}
        chosen.update(overrides or {})
        self.scenario_spec = base.with_values(chosen, origin="model keywords") if chosen else base
        self.seed = seed
        self.plan = build_plan(self.scenario_spec, steps)
        self.inputs = build_inputs(self.scenario_spec, self.plan.steps)
        self.horizon = self.plan.steps
        seeds = np.array([seed], dtype=np.uint64)
        self.setting = Setting(self.plan, self.inputs, draw(seeds, self.horizon))
        self.state = initial_state(self.inputs)
        self.event_log = EventLog()

        self.russia = Russia(self)
        self.members = [Member(self, name, index) for index, name in enumerate(schema.MEMBERS)]
        self.powers = [OutsidePower(self, name, index) for index, name in enumerate(schema.POWERS)]
        self.datacollector = mesa.DataCollector(
            model_reporters={
                **{name: name for name in MODEL_REPORTERS},
                **{
                    f"alignment_{member.name}": partial(member_alignment, index=member.index)
                    for member in self.members
                },
            },
            agenttype_reporters={Member: MEMBER_REPORTERS},
        )
        self.datacollector.collect(self)

    def step(self) -> None:
        """Simulate one month (the phases of :mod:`sim.model.step`), then collect."""
        step = int(self.steps)
        if step > self.horizon:
            self.running = False
            return
        advance(self.state, self.setting, step, self.event_log)
        self.datacollector.collect(self)
        if step >= self.horizon:
            self.running = False

    def run(self) -> CSTOModel:
        """Step until the horizon; return self."""
        while self.running and self.steps < self.horizon:
            self.step()
        return self

    # --- what the DataCollector reports ------------------------------------------------------

    def _alliance(self, name: str) -> float:
        return float(self.state.series_value(name)[0])

    def __getattr__(self, name: str) -> Any:
        """Russia's and the alliance's other recorded series (cohesion's parts, ...)."""
        if name in ALLIANCE_SERIES:
            return self._alliance(name)
        raise AttributeError(name)

    @property
    def capacity(self) -> float:
        """Russia's capacity this month."""
        return self._alliance("capacity")

    @property
    def threat_posture(self) -> float:
        """Russia's threat posture this month."""
        return self._alliance("threat_posture")

    @property
    def cohesion(self) -> float:
        return self._alliance("cohesion")

    @property
    def initial_cohesion(self) -> float:
        return self._alliance("initial_cohesion")

    @property
    def min_cohesion(self) -> float:
        return self._alliance("min_cohesion")

    @property
    def action_record(self) -> float:
        return self._alliance("action_record")

    @property
    def strain(self) -> float:
        return self._alliance("strain")

    @property
    def drills_cancelled(self) -> int:
        return int(self.state.drills_cancelled[0])

    @property
    def first_freeze_step(self) -> int:
        """Step of the first freeze, -1 if no member has frozen."""
        steps = self.state.freeze_step[0]
        return int(steps[steps >= 0].min()) if (steps >= 0).any() else -1

    @property
    def first_freeze_member(self) -> str:
        """Who froze first ('' if nobody; the first in member order among those of that step)."""
        first = self.first_freeze_step
        if first < 0:
            return ""
        return schema.MEMBERS[int(np.flatnonzero(self.state.freeze_step[0] == first)[0])]


def member_alignment(model: Any, index: int) -> float:
    """Model reporter: one member's alignment (picklable through ``partial``, unlike a lambda)."""
    return float(model.members[index].alignment)


def result_from_model(model: CSTOModel) -> RunResult:
    """A :class:`RunResult` assembled from a model's DataCollector and event log."""
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
    events: pd.DataFrame = (
        model.event_log.frame(model.plan.start).drop(columns="run").reset_index(drop=True)
    )
    return RunResult(
        scenario=model.scenario_spec.name,
        seed=model.seed,
        start=model.plan.start,
        steps=model.plan.steps,
        timeseries=timeseries,
        events=events,
        summary=summarise(timeseries, events),
    )
