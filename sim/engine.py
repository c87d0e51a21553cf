"""The vectorised batch engine: many runs of one scenario at once, on numpy arrays.

It applies the same rule functions as the Mesa model (:mod:`sim.mesa.model`), phase by phase, to
arrays with a leading runs axis, so a run's trajectory and event log do not depend on which
engine ran it, nor on how many other runs shared its batch (a test checks both to 1e-12).
Each run has its own seed and its own values of any swept parameters (``overrides``).

>>> from sim.scenario import load
>>> batch = simulate(load("baseline-2022"), seeds=[1, 2, 3], steps=12)
>>> batch.outcomes()[["final_cohesion", "min_cohesion"]].shape
(3, 2)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model import draws, rules
from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.model.events import KIND_ORDER, PHASE, explain
from sim.results.run import (
    ALLIANCE_COLUMNS,
    COUNTED_EVENTS,
    MEMBER_COLUMNS,
    TIMESERIES_COLUMNS,
    RunResult,
    event_month,
    step_date,
    summarise,
)
from sim.scenario import Scenario, schema
from sim.scenario import inputs as params

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MEMBERS = schema.MEMBERS
N_MEMBERS = len(MEMBERS)
N_PAIRS = len(schema.PAIRS)
ORIGINS = ("model", "scenario")


@dataclass
class _EventBuffer:
    """Columns of events, appended phase by phase as arrays over the runs that had them."""

    run: list[IntArray] = field(default_factory=list)
    step: list[IntArray] = field(default_factory=list)
    kind: list[IntArray] = field(default_factory=list)
    member: list[IntArray] = field(default_factory=list)
    counterpart: list[npt.NDArray[np.object_]] = field(default_factory=list)
    origin: list[IntArray] = field(default_factory=list)
    value: list[FloatArray] = field(default_factory=list)
    threshold: list[FloatArray] = field(default_factory=list)
    effect: list[FloatArray] = field(default_factory=list)

    def add(
        self,
        mask: BoolArray,
        step: int,
        kind: str,
        member: int | IntArray,
        counterpart: str | npt.NDArray[np.object_],
        origin: str,
        value: Any,
        threshold: Any,
        effect: Any,
    ) -> None:
        runs = np.flatnonzero(mask)
        if runs.size == 0:
            return
        count = runs.size

        def pick(column: Any, dtype: type) -> Any:
            array = np.asarray(column)
            if array.ndim == 0:
                return np.full(count, array.item(), dtype=dtype)
            return array[runs].astype(dtype)

        self.run.append(runs.astype(np.int64))
        self.step.append(np.full(count, step, dtype=np.int64))
        self.kind.append(np.full(count, KIND_ORDER[kind], dtype=np.int64))
        self.member.append(pick(member, np.int64))
        self.counterpart.append(pick(counterpart, object))
        self.origin.append(np.full(count, ORIGINS.index(origin), dtype=np.int64))
        self.value.append(pick(value, np.float64))
        self.threshold.append(pick(threshold, np.float64))
        self.effect.append(pick(effect, np.float64))

    def add_runs(
        self,
        runs: IntArray,
        step: int,
        kind: str,
        member: int,
        counterpart: str,
        origin: str,
        value: FloatArray,
        threshold: FloatArray | float,
        effect: FloatArray,
    ) -> None:
        """Like :meth:`add`, for the runs ``runs`` with values given for those runs only."""
        count = runs.size
        if count == 0:
            return
        self.run.append(runs.astype(np.int64))
        self.step.append(np.full(count, step, dtype=np.int64))
        self.kind.append(np.full(count, KIND_ORDER[kind], dtype=np.int64))
        self.member.append(np.full(count, member, dtype=np.int64))
        self.counterpart.append(np.full(count, counterpart, dtype=object))
        self.origin.append(np.full(count, ORIGINS.index(origin), dtype=np.int64))
        self.value.append(np.broadcast_to(np.asarray(value, dtype=np.float64), (count,)).copy())
        self.threshold.append(
            np.broadcast_to(np.asarray(threshold, dtype=np.float64), (count,)).copy()
        )
        self.effect.append(np.broadcast_to(np.asarray(effect, dtype=np.float64), (count,)).copy())

    def frame(self, start: str) -> pd.DataFrame:
        """All events as a table with a ``run`` column, in canonical order."""
        if not self.run:
            empty = pd.DataFrame(columns=["run", *EVENT_COLUMNS])
            return empty.astype({"run": "int64", "step": "int64"})
        kinds = list(KIND_ORDER)
        names = [*MEMBERS, "Russia"]
        frame = pd.DataFrame(
            {
                "run": np.concatenate(self.run),
                "step": np.concatenate(self.step),
                "kind_code": np.concatenate(self.kind),
                "member_code": np.concatenate(self.member),
                "counterpart": np.concatenate(self.counterpart),
                "origin": np.array(ORIGINS, dtype=object)[np.concatenate(self.origin)],
                "value": np.concatenate(self.value),
                "threshold": np.concatenate(self.threshold),
                "effect": np.concatenate(self.effect),
            }
        )
        frame["kind"] = np.array(kinds, dtype=object)[frame["kind_code"].to_numpy()]
        frame["member"] = np.array(names, dtype=object)[frame["member_code"].to_numpy()]
        frame["insertion"] = np.arange(len(frame))
        frame["sequence"] = frame.groupby(["run", "step", "kind", "member"]).cumcount()
        frame["phase"] = frame["kind"].map(PHASE)
        frame = frame.sort_values(
            ["run", "step", "phase", "member", "sequence", "counterpart"], kind="stable"
        )
        frame["date"] = [event_month(start, int(step)) for step in frame["step"]]
        frame["explanation"] = [
            explain(k, m, c, v, t, e)
            for k, m, c, v, t, e in zip(
                frame["kind"],
                frame["member"],
                frame["counterpart"],
                frame["value"],
                frame["threshold"],
                frame["effect"],
                strict=True,
            )
        ]
        return frame[["run", *EVENT_COLUMNS]].reset_index(drop=True)


@dataclass
class BatchResult:
    """Runs of one batch: per-run outcomes, and optionally time series and events."""

    scenario: Scenario
    seeds: npt.NDArray[np.uint64]
    start: str
    steps: int
    initial_cohesion: FloatArray
    final_cohesion: FloatArray
    min_cohesion: FloatArray
    final_alignment: FloatArray
    final_trust: FloatArray
    freeze_step: IntArray
    """Step at which each member froze, -1 if it did not: shape (runs, members)."""
    drills_cancelled: IntArray
    drills_held: IntArray
    series: dict[str, FloatArray] | None = None
    events: pd.DataFrame | None = None

    @property
    def runs(self) -> int:
        return int(self.seeds.shape[0])

    def first_freeze(self) -> tuple[IntArray, npt.NDArray[np.object_]]:
        """Step of the first freeze in each run (-1 if none) and which member (None if none)."""
        steps = np.where(self.freeze_step < 0, np.iinfo(np.int64).max, self.freeze_step)
        first = steps.min(axis=1)
        member = steps.argmin(axis=1)
        froze = first != np.iinfo(np.int64).max
        names = np.array(MEMBERS, dtype=object)[member]
        return np.where(froze, first, -1), np.where(froze, names, np.array(None, dtype=object))

    def outcomes(self) -> pd.DataFrame:
        """One row per run: the outcomes a sweep keeps."""
        first_step, first_member = self.first_freeze()
        table: dict[str, Any] = {
            "seed": self.seeds,
            "initial_cohesion": self.initial_cohesion,
            "final_cohesion": self.final_cohesion,
            "min_cohesion": self.min_cohesion,
            "first_freeze_step": first_step,
            "first_freeze_member": first_member,
            "drills_cancelled": self.drills_cancelled,
        }
        for index, name in enumerate(MEMBERS):
            table[f"final_alignment_{name}"] = self.final_alignment[:, index]
        for index, name in enumerate(MEMBERS):
            table[f"freeze_step_{name}"] = self.freeze_step[:, index]
        return pd.DataFrame(table)

    def timeseries(self, run: int | None = None) -> pd.DataFrame:
        """The time series (one row per run, step and member), if recorded."""
        if self.series is None:
            raise ValueError("time series were not recorded: simulate(..., timeseries=True)")
        runs = np.arange(self.runs) if run is None else np.array([run])
        steps = self.steps + 1
        run_index = np.repeat(runs, steps * N_MEMBERS)
        step_index = np.tile(np.repeat(np.arange(steps), N_MEMBERS), len(runs))
        member_index = np.tile(np.arange(N_MEMBERS), len(runs) * steps)
        columns: dict[str, Any] = {
            "run": run_index,
            "step": step_index.astype(np.int64),
            "date": np.array([step_date(self.start, s) for s in range(steps)], dtype=object)[
                step_index
            ],
            "member": np.array(MEMBERS, dtype=object)[member_index],
        }
        for name in ALLIANCE_COLUMNS:
            columns[name] = self.series[name][runs].repeat(N_MEMBERS, axis=-1).reshape(-1)
        for name in MEMBER_COLUMNS:
            columns[name] = self.series[name][runs].reshape(-1)
        frame = pd.DataFrame(columns)
        frame["frozen"] = frame["frozen"].astype(bool)
        return frame[["run", *TIMESERIES_COLUMNS]]

    def summary(self) -> pd.DataFrame:
        """The per-run summary of :func:`sim.results.run.summarise` for every run at once.

        Needs the time series and events. Columns: ``run``, ``seed`` and the keys of
        ``summarise``; a member that did not freeze has an empty (NA) ``freeze_step_<member>``.
        """
        if self.series is None or self.events is None:
            raise ValueError("summary needs simulate(..., timeseries=True, events=True)")
        runs = self.runs
        cohesion = self.series["cohesion"]
        table: dict[str, Any] = {
            "run": np.arange(runs, dtype=np.int64),
            "seed": self.seeds,
            "initial_cohesion": cohesion[:, 0],
            "final_cohesion": cohesion[:, -1],
            "min_cohesion": cohesion.min(axis=1),
            "min_cohesion_step": cohesion.argmin(axis=1).astype(np.int64),
            "final_capacity": self.series["capacity"][:, -1],
        }
        for index, name in enumerate(MEMBERS):
            table[f"final_alignment_{name}"] = self.series["alignment"][:, -1, index]
            table[f"final_trust_{name}"] = self.series["trust"][:, -1, index]
            table[f"freeze_step_{name}"] = _optional_steps(self.freeze_step[:, index])
        first_step, first_member = self.first_freeze()
        table["first_freeze_step"] = _optional_steps(first_step)
        table["first_freeze_member"] = pd.array(
            [None if member is None else str(member) for member in first_member], dtype="string"
        )
        counts = (
            self.events.groupby(["run", "kind"]).size().unstack("kind", fill_value=0)
            if len(self.events)
            else pd.DataFrame(index=pd.RangeIndex(0))
        )
        for kind, name in COUNTED_EVENTS.items():
            column = counts[kind] if kind in counts else pd.Series(dtype=np.int64)
            table[name] = column.reindex(range(runs), fill_value=0).to_numpy(np.int64)
        return pd.DataFrame(table)

    def run_result(self, run: int) -> RunResult:
        """One run as a :class:`RunResult`, comparable with ``sim.run`` (needs time series and
        events recorded)."""
        if self.events is None:
            raise ValueError("events were not recorded: simulate(..., events=True)")
        series = self.timeseries(run).drop(columns="run").reset_index(drop=True)
        log = self.events[self.events["run"] == run].drop(columns="run").reset_index(drop=True)
        return RunResult(
            scenario=self.scenario.name,
            seed=int(self.seeds[run]),
            start=self.start,
            steps=self.steps,
            timeseries=series,
            events=log,
            summary=summarise(series, log),
        )


def _optional_steps(steps: IntArray) -> pd.Series:
    """Steps as a nullable integer column, empty where the step is -1 (it did not happen)."""
    return pd.Series(steps, dtype="Int64").mask(steps < 0)


def replicate_tables(
    batch: BatchResult, scenario: str, first_replicate: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The batch's time series, events and summary as replicate tables.

    Each table starts with ``scenario``, ``replicate`` (``first_replicate`` + the run's index)
    and ``seed``, then the columns of :data:`sim.results.run.TIMESERIES_COLUMNS`,
    :data:`sim.model.events.COLUMNS` and the summary's keys; the batch needs its time series and
    events recorded.
    """
    if batch.events is None:
        raise ValueError("replicate tables need simulate(..., timeseries=True, events=True)")

    def identified(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        run = frame["run"].to_numpy(np.int64)
        table = frame.drop(columns="run")[list(columns)]
        table.insert(0, "seed", batch.seeds[run])
        table.insert(0, "replicate", run + first_replicate)
        table.insert(0, "scenario", scenario)
        return table

    summary = batch.summary()
    columns = [column for column in summary.columns if column not in ("run", "seed")]
    return (
        identified(batch.timeseries(), TIMESERIES_COLUMNS),
        identified(batch.events, EVENT_COLUMNS),
        identified(summary, columns),
    )


def simulate(
    scenario: Scenario,
    seeds: Sequence[int] | npt.ArrayLike,
    overrides: Mapping[str, npt.ArrayLike] | None = None,
    steps: int | None = None,
    *,
    timeseries: bool = False,
    events: bool = False,
) -> BatchResult:
    """Run ``len(seeds)`` runs of ``scenario`` at once.

    Args:
        scenario: the resolved scenario every run starts from.
        seeds: one seed per run (non-negative integers below 2**64).
        overrides: dotted scenario paths mapped to one value per run (a sweep's design).
        steps: months to simulate (default: the scenario's horizon).
        timeseries: also record every step of every run (memory grows with runs x steps).
        events: also record the event log of every run.
    """
    seed_array = np.atleast_1d(np.asarray(seeds, dtype=np.uint64))
    runs = int(seed_array.shape[0])
    plan = params.plan(scenario, steps)
    inputs = params.inputs(scenario, plan.steps, overrides, runs=runs)
    engine = _Engine(plan, inputs, seed_array, record_series=timeseries, record_events=events)
    engine.run()
    return engine.result(scenario)


class _Engine:
    """The state of a batch of runs and the step that advances it (mirrors ``CSTOModel``)."""

    def __init__(
        self,
        plan: params.Plan,
        inputs: params.Inputs,
        seeds: npt.NDArray[np.uint64],
        record_series: bool,
        record_events: bool,
    ) -> None:
        self.plan = plan
        self.inp = inputs
        self.seeds = seeds
        runs = int(seeds.shape[0])
        self.runs = runs
        horizon = plan.steps
        keys = draws.run_keys(seeds)
        self.crisis_draws = draws.uniforms(keys, draws.CRISIS, horizon, N_MEMBERS)
        self.clash_draws = draws.uniforms(keys, draws.CLASH, horizon, N_PAIRS)
        self.coercion_draws = draws.uniforms(keys, draws.COERCION, horizon, N_MEMBERS)

        member = inputs.member
        self.mech = {key: value[:, np.newaxis] for key, value in inputs.mechanism.items()}
        self.mech_run = dict(inputs.mechanism)
        self.russia = dict(inputs.russia)
        self.energy = member["energy_transit"].copy()
        self.security = member["security_ties"].copy()
        self.economic = member["economic_ties"].copy()
        self.trust = member["trust"].copy()
        self.alignment = member["alignment"].copy()
        self.outside = member["outside_options"].copy()
        self.grievance = np.zeros((runs, N_MEMBERS))
        self.months_below = np.zeros((runs, N_MEMBERS))
        self.frozen = np.zeros((runs, N_MEMBERS), dtype=bool)
        self.preferred = np.full((runs, N_MEMBERS), np.nan)
        self.fear = np.full((runs, N_MEMBERS), np.nan)
        self.capacity = inputs.capacity[:, 0].copy()
        self.posture = self.russia["threat_posture"].copy()
        self.committed = np.zeros(runs)
        self.engagement = inputs.interest * (1.0 - inputs.capacity[:, 0])[:, None, None]
        self.strain = np.zeros(runs)
        self.action = np.ones(runs)
        self.last_clash = np.full((runs, N_PAIRS), -np.inf)
        #: constant over a run: the ethnic Russian share relative to the reference share
        self.exposure = rules.exposure(
            member["russian_share"], self.mech["exposure_reference_share"]
        )
        self.cohesion = self._cohesion()
        self.initial_cohesion = self.cohesion.copy()
        self.min_cohesion = self.cohesion.copy()
        self.freeze_step = np.full((runs, N_MEMBERS), -1, dtype=np.int64)
        self.drills_cancelled = np.zeros(runs, dtype=np.int64)
        self.drills_held = np.zeros(runs, dtype=np.int64)
        self.log = _EventBuffer() if record_events else None
        self.series: dict[str, FloatArray] | None = None
        if record_series:
            shape_alliance = (runs, horizon + 1)
            shape_member = (runs, horizon + 1, N_MEMBERS)
            self.series = {name: np.zeros(shape_alliance) for name in ALLIANCE_COLUMNS}
            self.series.update({name: np.zeros(shape_member) for name in MEMBER_COLUMNS})
            self._record(0)

    # --- the step, phase by phase, as in CSTOModel.step --------------------------------------

    def run(self) -> None:
        for step in range(1, self.plan.steps + 1):
            self.step(step)

    def step(self, step: int) -> None:
        month = step - 1
        given = self.plan.events_by_month.get(month, ())
        self.capacity = self.inp.capacity[:, month]
        self.posture = rules.threat_posture_after_month(
            self.posture, self.russia["threat_posture"], self.russia["posture_decay"]
        )
        self.committed = np.zeros(self.runs)
        self._scenario_events(step, given)
        self._clashes(step, month, given)
        self._appeals(step, month, given)
        self._coercion(step, month, given)
        self.engagement = rules.engagement_after_month(
            self.engagement,
            self.inp.interest,
            self.capacity[:, None, None],
            self.inp.responsiveness[:, :, None],
        )
        self._members_decide()
        self._drill(step, month)
        self._freezes(step)
        self.cohesion = self._cohesion()
        self.min_cohesion = np.minimum(self.min_cohesion, self.cohesion)
        if self.series is not None:
            self._record(step)

    def _scenario_events(self, step: int, given: tuple[Any, ...]) -> None:
        everyone = np.ones(self.runs, dtype=bool)
        for event in given:
            if event.kind == "security_pledge":
                member = params.MEMBER_INDEX[event.member]
                power = params.POWER_INDEX[event.power]
                before = self.engagement[:, power, member].copy()
                ones = np.ones(self.runs)
                after = rules.engagement_after_step_in(
                    before, ones, ones * float(event.size or 0.0)
                )
                self.engagement[:, power, member] = after
                if self.log is not None:
                    self.log.add(
                        everyone,
                        step,
                        "security_pledge",
                        member,
                        event.power,
                        "scenario",
                        after,
                        0.0,
                        after - before,
                    )
            elif event.kind == "mobilisation_shock":
                before = self.posture.copy()
                self.posture = rules.threat_posture_after_shock(
                    before, np.full(self.runs, float(event.posture_rise or 0.0))
                )
                if self.log is not None:
                    self.log.add(
                        everyone,
                        step,
                        "mobilisation_shock",
                        N_MEMBERS,
                        "",
                        "scenario",
                        self.capacity,
                        self.posture,
                        self.posture - before,
                    )

    def _clashes(self, step: int, month: int, given: tuple[Any, ...]) -> None:
        forced = np.zeros(N_PAIRS, dtype=bool)
        for event in given:
            if event.kind == "clash" and len(event.members) == 2:
                first, second = sorted(params.MEMBER_INDEX[name] for name in event.members)
                forced[params.PAIR_MEMBERS.index((first, second))] = True
        clashed = forced[np.newaxis, :] | rules.crisis_arrives(
            self.clash_draws[:, month, :], self.inp.clash_hazard
        )
        count = clashed.sum(axis=1).astype(np.float64)
        self.strain = rules.strain_after_month(
            self.strain, count, self.mech_run["clash_severity"], self.mech_run["strain_decay"]
        )
        loss = self.mech_run["clash_trust_loss"]
        for pair in np.flatnonzero(clashed.any(axis=0)):
            first, second = params.PAIR_MEMBERS[pair]
            runs = np.flatnonzero(clashed[:, pair])
            hit = np.ones(runs.size, dtype=bool)
            pair_loss = loss[runs]
            self.trust[runs, first] = rules.trust_after_clash(
                self.trust[runs, first], hit, pair_loss
            )
            self.trust[runs, second] = rules.trust_after_clash(
                self.trust[runs, second], hit, pair_loss
            )
            self.last_clash[runs, pair] = float(month)
            if self.log is not None:
                origin = "scenario" if forced[pair] else "model"
                self.log.add_runs(
                    runs,
                    step,
                    "clash",
                    first,
                    MEMBERS[second],
                    origin,
                    self.strain[runs],
                    0.0,
                    pair_loss,
                )

    def _appeals(self, step: int, month: int, given: tuple[Any, ...]) -> None:
        """Appeals, computed only on the runs where a member has a crisis this month."""
        injected = {
            event.member: event
            for event in given
            if event.kind == "appeal" or (event.kind == "clash" and event.adversary)
        }
        mech = self.mech_run
        reserve = self.russia["reserve"]
        member = self.inp.member
        arrivals = rules.crisis_arrives(self.crisis_draws[:, month, :], member["crisis_hazard"])
        for index, name in enumerate(MEMBERS):
            event = injected.get(name)
            crisis = ~self.frozen[:, index]
            if event is None:
                crisis &= arrivals[:, index]
            runs = np.flatnonzero(crisis)
            if runs.size == 0:
                continue
            if event is not None and event.cost is not None:
                cost = np.full(runs.size, float(event.cost))
            else:
                cost = member["crisis_cost"][runs, index]
            if event is not None and event.aversion is not None:
                aversion = np.full(runs.size, float(event.aversion))
            else:
                aversion = member["entrapment_aversion"][runs, index]
            committed = self.committed[runs]
            spare = rules.spare_capacity(self.capacity[runs], reserve[runs], committed)
            required = rules.required_capacity(cost, aversion)
            answered = rules.russia_answers(spare, required)
            self.committed[runs] = np.where(answered, committed + cost, committed)
            trust = self.trust[runs]
            before = trust[:, index].copy()
            weight = np.repeat(mech["onlooker_weight"][runs, np.newaxis], N_MEMBERS, axis=1)
            weight[:, index] = 1.0
            self.trust[runs] = rules.trust_after_appeal(
                trust,
                answered[:, np.newaxis],
                weight,
                mech["trust_gain_answered"][runs, np.newaxis],
                mech["trust_loss_ignored"][runs, np.newaxis],
            )
            ignored = runs[~answered]
            if ignored.size:
                self.engagement[ignored, :, index] = rules.engagement_after_step_in(
                    self.engagement[ignored, :, index],
                    self.inp.interest[ignored, :, index],
                    mech["step_in"][ignored, np.newaxis],
                )
            if self.log is not None:
                cause = (event.adversary or "crisis") if event is not None else "crisis"
                origin = "scenario" if event is not None else "model"
                change = self.trust[runs, index] - before
                for kind, chosen in (("appeal_answered", answered), ("appeal_ignored", ~answered)):
                    self.log.add_runs(
                        runs[chosen],
                        step,
                        kind,
                        index,
                        cause,
                        origin,
                        spare[chosen],
                        required[chosen],
                        change[chosen],
                    )

    def _coercion(self, step: int, month: int, given: tuple[Any, ...]) -> None:
        """Coercion, computed only on the runs where Russia coerces a member this month."""
        forced = {
            event.member: event.lever
            for event in given
            if event.kind in ("coercion", "pipeline_suspension")
        }
        russia = self.russia
        ties = {"energy": self.energy, "economic": self.economic, "security": self.security}
        for index, name in enumerate(MEMBERS):
            active = ~self.frozen[:, index]
            lever = forced.get(name)
            if lever is not None:
                runs = np.flatnonzero(active)
                leverage = ties[lever][runs, index]
                label = lever
            else:
                spare = rules.spare_capacity(self.capacity, russia["reserve"], self.committed)
                coerced = active & rules.coercion_attempted(
                    self.alignment[:, index],
                    russia["coercion_trigger"],
                    spare,
                    russia["coercion_cost"],
                    self.coercion_draws[:, month, index],
                    russia["coercion_propensity"],
                )
                runs = np.flatnonzero(coerced)
                leverage = rules.dependence(
                    self.energy[runs, index], self.security[runs, index], self.economic[runs, index]
                )
                label = "dependence"
            if runs.size == 0:
                continue
            before = self.alignment[runs, index]
            capacity = self.capacity[runs]
            pulled = rules.alignment_after_coercion(
                before, capacity, leverage, self.mech_run["coercion_effect"][runs]
            )
            self.alignment[runs, index] = pulled
            self.grievance[runs, index] = rules.grievance_after_coercion(
                self.grievance[runs, index], self.mech_run["coercion_backfire"][runs]
            )
            self.committed[runs] = self.committed[runs] + russia["coercion_cost"][runs]
            if self.log is not None:
                origin = "scenario" if lever is not None else "model"
                self.log.add_runs(
                    runs,
                    step,
                    "coercion",
                    index,
                    label,
                    origin,
                    before,
                    capacity * leverage,
                    pulled - before,
                )

    def _members_decide(self) -> None:
        mech = self.mech
        member = self.inp.member
        available = rules.outside_availability(self.engagement)
        peer = rules.peer_mean(self.alignment)
        dependence = rules.dependence(self.energy, self.security, self.economic)
        self.fear = rules.fear(
            self.posture[:, None], self.exposure, member["regime_ties"], self.grievance
        )
        self.preferred = rules.preferred_alignment(
            trust=self.trust,
            capacity=self.capacity[:, None],
            external_threat=member["external_threat"],
            alternative=available,
            regime_ties=member["regime_ties"],
            dependence=dependence,
            fear=self.fear,
            sanctions_exposure=member["sanctions_exposure"],
            outside_options=self.outside,
            weight_protection=mech["weight_protection"],
            weight_regime=mech["weight_regime"],
            weight_lockin=mech["weight_lockin"],
            weight_fear=mech["weight_fear"],
            weight_sanctions=mech["weight_sanctions"],
            weight_outside=mech["weight_outside"],
            bias=mech["alignment_bias"],
            steepness=mech["alignment_steepness"],
        )
        alignment = self.alignment
        outside = self.outside
        next_alignment = rules.alignment_after_month(
            alignment, self.preferred, peer, mech["inertia"], mech["peer_weight"]
        )
        next_outside = rules.outside_options_after_month(
            outside, available, alignment, self.grievance, mech["diversification_rate"]
        )
        self.energy = rules.tie_after_month(self.energy, alignment, outside, mech["energy_decay"])
        self.economic = rules.tie_after_month(
            self.economic, alignment, outside, mech["economic_decay"]
        )
        self.security = rules.tie_after_month(
            self.security, alignment, outside, mech["security_decay"]
        )
        self.grievance = rules.grievance_after_month(self.grievance, mech["grievance_decay"])
        self.alignment = next_alignment
        self.outside = next_outside

    def _drill(self, step: int, month: int) -> None:
        host = int(self.plan.drill_host[month])
        if host < 0:
            return
        mech = self.mech_run
        window = mech["clash_memory_months"]
        partner = np.full(self.runs, -1, dtype=np.int64)
        for pair, (first, second) in enumerate(params.PAIR_MEMBERS):
            if host not in (first, second):
                continue
            other = second if first == host else first
            active = (month - self.last_clash[:, pair]) < window
            take = (partner < 0) & active & ~self.frozen[:, other]
            partner = np.where(take, other, partner)
        in_clash = partner >= 0
        threshold = mech["drill_threshold"]
        eligible = ~self.frozen & (self.alignment >= threshold[:, None])
        participants = eligible.sum(axis=1).astype(np.float64)
        held = rules.drill_held(
            self.alignment[:, host],
            self.frozen[:, host],
            in_clash,
            participants,
            threshold,
            mech["min_drill_participants"],
        )
        self.action = rules.action_record_after_drill(self.action, held, mech["action_learning"])
        self.drills_held += held
        self.drills_cancelled += ~held
        if self.log is not None:
            names = np.array(["", *MEMBERS], dtype=object)[partner + 1]
            self.log.add(
                held,
                step,
                "drill_held",
                host,
                names,
                "model",
                self.alignment[:, host],
                threshold,
                participants,
            )
            self.log.add(
                ~held,
                step,
                "drill_cancelled",
                host,
                names,
                "model",
                self.alignment[:, host],
                threshold,
                participants,
            )

    def _freezes(self, step: int) -> None:
        mech = self.mech
        counted = rules.months_below_after_month(
            self.months_below, self.alignment, mech["exit_threshold"]
        )
        self.months_below = np.where(self.frozen, self.months_below, counted)
        newly = rules.freezes(self.months_below, self.frozen, mech["freeze_after_months"])
        self.frozen = self.frozen | newly
        self.freeze_step = np.where(newly, step, self.freeze_step)
        if self.log is not None:
            for index in range(N_MEMBERS):
                self.log.add(
                    newly[:, index],
                    step,
                    "participation_frozen",
                    index,
                    "",
                    "model",
                    self.alignment[:, index],
                    self.mech_run["exit_threshold"],
                    self.months_below[:, index],
                )

    # --- helpers -----------------------------------------------------------------------------

    def _cohesion(self) -> FloatArray:
        result: FloatArray = rules.cohesion(
            self.alignment, self.frozen, self.action, self.strain, self.mech_run["action_weight"]
        )
        return result

    def _record(self, step: int) -> None:
        assert self.series is not None
        series = self.series
        series["capacity"][:, step] = self.capacity
        series["threat_posture"][:, step] = self.posture
        series["cohesion"][:, step] = self.cohesion
        series["action_record"][:, step] = self.action
        series["strain"][:, step] = self.strain
        series["alignment"][:, step] = self.alignment
        series["preferred_alignment"][:, step] = self.preferred
        series["trust"][:, step] = self.trust
        series["dependence"][:, step] = rules.dependence(self.energy, self.security, self.economic)
        series["energy_transit"][:, step] = self.energy
        series["security_ties"][:, step] = self.security
        series["economic_ties"][:, step] = self.economic
        series["outside_options"][:, step] = self.outside
        series["fear"][:, step] = self.fear
        series["grievance"][:, step] = self.grievance
        series["frozen"][:, step] = self.frozen

    def result(self, scenario: Scenario) -> BatchResult:
        return BatchResult(
            scenario=scenario,
            seeds=self.seeds,
            start=self.plan.start,
            steps=self.plan.steps,
            initial_cohesion=self.initial_cohesion,
            final_cohesion=self.cohesion,
            min_cohesion=self.min_cohesion,
            final_alignment=self.alignment,
            final_trust=self.trust,
            freeze_step=self.freeze_step,
            drills_cancelled=self.drills_cancelled,
            drills_held=self.drills_held,
            series=self.series,
            events=self.log.frame(self.plan.start) if self.log is not None else None,
        )
