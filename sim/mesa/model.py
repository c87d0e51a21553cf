"""The Mesa model of CSTO cohesion: one run, stepped month by month.

``CSTOModel`` is the reference implementation: readable, inspectable, driven by
``mesa.batch_run`` like any Mesa model. The vectorised engine in :mod:`sim.engine` must give the
same trajectories and events (a test checks it to 1e-12).

One step is one month; step 1 simulates the scenario's start month (October 2022 in the
baseline). All randomness is drawn in ``__init__`` from ``rng`` (the run's seed) by
:mod:`sim.model.draws`; Mesa's own generator is seeded from the same number and used only to shuffle
the order in which members decide, which the simultaneous update makes irrelevant.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache, partial
from typing import Any

import mesa
import numpy as np

from sim.mesa.agents import Member, OutsidePower, Russia
from sim.model import draws, rules
from sim.model.events import Event
from sim.scenario import Scenario, ScenarioEvent, load, schema
from sim.scenario import inputs as params

#: Typed keyword parameters of the model, each a dotted scenario path (for ``mesa.batch_run``).
KEYWORD_PATHS: dict[str, str] = {
    "initial_capacity": "russia.capacity.initial",
    "drain_per_month": "russia.capacity.drain_per_month",
    "threat_posture": "russia.threat_posture",
    "reserve": "russia.reserve",
    "peer_weight": "mechanisms.peer_weight",
    "inertia": "mechanisms.inertia",
    "trust_loss_ignored": "mechanisms.trust_loss_ignored",
    "coercion_effect": "mechanisms.coercion_effect",
    "exit_threshold": "mechanisms.exit_threshold",
}


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
        reserve: float | None = None,
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
            "reserve": reserve,
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
        self.plan = params.plan(self.scenario_spec, steps)
        self.inputs = params.inputs(self.scenario_spec, self.plan.steps)
        self.mechanism = {key: float(v) for key, v in self.inputs.mechanism.items()}
        self.russia_values = {key: float(v) for key, v in self.inputs.russia.items()}
        self.horizon = self.plan.steps

        key = draws.run_keys([seed])
        self.crisis_draws = draws.uniforms(key, draws.CRISIS, self.horizon, len(schema.MEMBERS))[0]
        self.clash_draws = draws.uniforms(key, draws.CLASH, self.horizon, len(schema.PAIRS))[0]
        self.coercion_draws = draws.uniforms(
            key, draws.COERCION, self.horizon, len(schema.MEMBERS)
        )[0]

        self.russia = Russia(self, self.russia_values["threat_posture"])
        self.russia.capacity = float(self.inputs.capacity[0])
        self.members = [
            Member(
                self,
                name,
                index,
                {k: float(self.inputs.member[k][index]) for k in params.MEMBER_KEYS},
            )
            for index, name in enumerate(schema.MEMBERS)
        ]
        self.powers = [
            OutsidePower(
                self,
                name,
                index,
                float(self.inputs.responsiveness[index]),
                self.inputs.interest[index].copy(),
                self.inputs.interest[index] * (1.0 - self.inputs.capacity[0]),
            )
            for index, name in enumerate(schema.POWERS)
        ]
        self.strain = 0.0
        self.action_record = 1.0
        self.last_clash = np.full(len(schema.PAIRS), -np.inf)
        self.peer_alignment = np.zeros(len(self.members))
        self.outside_available = np.zeros(len(self.members))
        self.event_log: list[Event] = []
        self.cohesion = self._cohesion()
        self.initial_cohesion = self.cohesion
        self.min_cohesion = self.cohesion
        self.drills_cancelled = 0
        self.first_freeze_step = -1
        self.first_freeze_member = ""
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "capacity": "capacity",
                "threat_posture": "threat_posture",
                "cohesion": "cohesion",
                "min_cohesion": "min_cohesion",
                "action_record": "action_record",
                "strain": "strain",
                "drills_cancelled": "drills_cancelled",
                "first_freeze_step": "first_freeze_step",
                "first_freeze_member": "first_freeze_member",
                **{
                    f"alignment_{member.name}": partial(member_alignment, index=member.index)
                    for member in self.members
                },
            },
            agenttype_reporters={
                Member: {
                    "member": "name",
                    "alignment": "alignment",
                    "preferred_alignment": "preferred",
                    "trust": "trust",
                    "dependence": "dependence",
                    "energy_transit": "energy_transit",
                    "security_ties": "security_ties",
                    "economic_ties": "economic_ties",
                    "outside_options": "outside_options",
                    "fear": "fear",
                    "grievance": "grievance",
                    "frozen": "frozen",
                }
            },
        )
        self.datacollector.collect(self)

    # --- the step ----------------------------------------------------------------------------

    def step(self) -> None:
        """Simulate one month: capacity, injected events, clashes, appeals, coercion, outside
        powers, members' decisions, drills, freezes, cohesion."""
        step = int(self.steps)
        month = step - 1
        if month >= self.horizon:
            self.running = False
            return
        mech = self.mechanism
        given = self.plan.events_by_month.get(month, ())
        self.russia.begin_month(
            float(self.inputs.capacity[month]), self.russia_values["posture_decay"]
        )
        self._scenario_events(step, given)
        self._clashes(step, month, given)
        self._appeals(step, month, given)
        self._coercion(step, month, given)
        for power in self.powers:
            power.respond()
        engagement = np.stack([power.engagement for power in self.powers])
        self.outside_available = rules.outside_availability(engagement)
        self.peer_alignment = rules.peer_mean(np.array([m.alignment for m in self.members]))
        self.agents_by_type[Member].shuffle_do("decide")
        self.agents_by_type[Member].do("commit")
        self._drill(step, month)
        for member in self.members:
            if not member.frozen and member.count_months_below():
                self._log(
                    step,
                    "participation_frozen",
                    member.name,
                    "",
                    "model",
                    member.alignment,
                    mech["exit_threshold"],
                    member.months_below,
                )
                if self.first_freeze_step < 0:
                    self.first_freeze_step = step
                    self.first_freeze_member = member.name
        self.cohesion = self._cohesion()
        self.min_cohesion = min(self.min_cohesion, self.cohesion)
        self.datacollector.collect(self)
        if step >= self.horizon:
            self.running = False

    def _scenario_events(self, step: int, given: tuple[ScenarioEvent, ...]) -> None:
        for event in given:
            if event.kind == "security_pledge":
                member = params.MEMBER_INDEX[event.member]
                power = self.powers[params.POWER_INDEX[event.power]]
                rise = power.pledge(member, float(event.size or 0.0))
                self._log(
                    step,
                    "security_pledge",
                    event.member,
                    event.power,
                    "scenario",
                    float(power.engagement[member]),
                    0.0,
                    rise,
                )
            elif event.kind == "mobilisation_shock":
                before = self.russia.threat_posture
                self.russia.threat_posture = float(
                    rules.threat_posture_after_shock(before, float(event.posture_rise or 0.0))
                )
                self._log(
                    step,
                    "mobilisation_shock",
                    "Russia",
                    "",
                    "scenario",
                    self.russia.capacity,
                    self.russia.threat_posture,
                    self.russia.threat_posture - before,
                )

    def _clashes(self, step: int, month: int, given: tuple[ScenarioEvent, ...]) -> None:
        mech = self.mechanism
        forced = {
            params.PAIR_MEMBERS.index(_pair(event.members))
            for event in given
            if event.kind == "clash" and len(event.members) == 2
        }
        hazard = self.inputs.clash_hazard
        clashed = [
            p
            for p in range(len(schema.PAIRS))
            if p in forced or bool(rules.crisis_arrives(self.clash_draws[month, p], hazard[p]))
        ]
        self.strain = float(
            rules.strain_after_month(
                self.strain, float(len(clashed)), mech["clash_severity"], mech["strain_decay"]
            )
        )
        for p in clashed:
            first, second = params.PAIR_MEMBERS[p]
            self.members[first].suffer_clash()
            self.members[second].suffer_clash()
            self.last_clash[p] = month
            self._log(
                step,
                "clash",
                schema.MEMBERS[first],
                schema.MEMBERS[second],
                "scenario" if p in forced else "model",
                self.strain,
                0.0,
                mech["clash_trust_loss"],
            )

    def _appeals(self, step: int, month: int, given: tuple[ScenarioEvent, ...]) -> None:
        mech = self.mechanism
        injected = {
            event.member: event
            for event in given
            if event.kind == "appeal" or (event.kind == "clash" and event.adversary)
        }
        reserve = self.russia_values["reserve"]
        for member in self.members:
            if member.frozen:
                continue
            event = injected.get(member.name)
            if event is None and not rules.crisis_arrives(
                self.crisis_draws[month, member.index], member.crisis_hazard
            ):
                continue
            cost = member.crisis_cost if event is None or event.cost is None else event.cost
            aversion = (
                member.entrapment_aversion
                if event is None or event.aversion is None
                else event.aversion
            )
            answered, spare, required = self.russia.answer(cost, aversion, reserve)
            before = member.trust
            for other in self.members:
                weight = 1.0 if other is member else mech["onlooker_weight"]
                other.read_appeal(answered, weight)
            if not answered:
                for power in self.powers:
                    power.step_in(member.index, mech["step_in"])
            cause = (event.adversary or "crisis") if event is not None else "crisis"
            self._log(
                step,
                "appeal_answered" if answered else "appeal_ignored",
                member.name,
                cause,
                "scenario" if event is not None else "model",
                spare,
                required,
                member.trust - before,
            )

    def _coercion(self, step: int, month: int, given: tuple[ScenarioEvent, ...]) -> None:
        russia = self.russia
        reserve = self.russia_values["reserve"]
        forced = {
            event.member: event.lever
            for event in given
            if event.kind in ("coercion", "pipeline_suspension")
        }
        for member in self.members:
            if member.frozen:
                continue
            lever = forced.get(member.name)
            if lever is None:
                attempted = rules.coercion_attempted(
                    member.alignment,
                    self.russia_values["coercion_trigger"],
                    russia.spare(reserve),
                    self.russia_values["coercion_cost"],
                    self.coercion_draws[month, member.index],
                    self.russia_values["coercion_propensity"],
                )
                if not attempted:
                    continue
                lever = "dependence"
            leverage = member.lever(lever)
            before = member.alignment
            change = member.be_coerced(russia.capacity, leverage)
            russia.committed = russia.committed + self.russia_values["coercion_cost"]
            self._log(
                step,
                "coercion",
                member.name,
                lever,
                "scenario" if member.name in forced else "model",
                before,
                russia.capacity * leverage,
                change,
            )

    def _drill(self, step: int, month: int) -> None:
        host_index = int(self.plan.drill_host[month])
        if host_index < 0:
            return
        mech = self.mechanism
        host = self.members[host_index]
        window = mech["clash_memory_months"]
        partner = ""
        for p, (first, second) in enumerate(params.PAIR_MEMBERS):
            if host_index not in (first, second) or month - self.last_clash[p] >= window:
                continue
            other = second if first == host_index else first
            if not self.members[other].frozen:
                partner = schema.MEMBERS[other]
                break
        threshold = mech["drill_threshold"]
        participants = float(
            sum(1 for m in self.members if not m.frozen and m.alignment >= threshold)
        )
        held = bool(
            rules.drill_held(
                host.alignment,
                host.frozen,
                bool(partner),
                participants,
                threshold,
                mech["min_drill_participants"],
            )
        )
        self.action_record = float(
            rules.action_record_after_drill(self.action_record, held, mech["action_learning"])
        )
        if not held:
            self.drills_cancelled += 1
        self._log(
            step,
            "drill_held" if held else "drill_cancelled",
            host.name,
            partner,
            "model",
            host.alignment,
            threshold,
            participants,
        )

    # --- helpers -----------------------------------------------------------------------------

    @property
    def capacity(self) -> float:
        """Russia's capacity this month."""
        return float(self.russia.capacity)

    @property
    def threat_posture(self) -> float:
        """Russia's threat posture this month."""
        return float(self.russia.threat_posture)

    def _cohesion(self) -> float:
        alignment = np.array([m.alignment for m in self.members])
        frozen = np.array([m.frozen for m in self.members])
        return float(
            rules.cohesion(
                alignment, frozen, self.action_record, self.strain, self.mechanism["action_weight"]
            )
        )

    def _log(
        self,
        step: int,
        kind: str,
        member: str,
        counterpart: str,
        origin: str,
        value: float,
        threshold: float,
        effect: float,
    ) -> None:
        sequence = sum(
            1 for e in self.event_log if e.step == step and e.kind == kind and e.member == member
        )
        self.event_log.append(
            Event(
                step,
                self.plan.date(step),
                kind,
                member,
                counterpart,
                origin,
                float(value),
                float(threshold),
                float(effect),
                sequence,
            )
        )

    def run(self) -> CSTOModel:
        """Step until the horizon; return self."""
        while self.running and self.steps < self.horizon:
            self.step()
        return self


def _pair(members: tuple[str, ...]) -> tuple[int, int]:
    first, second = sorted(params.MEMBER_INDEX[name] for name in members)
    return first, second


def member_alignment(model: Any, index: int) -> float:
    """Model reporter: one member's alignment (picklable through ``partial``, unlike a lambda)."""
    return float(model.members[index].alignment)
