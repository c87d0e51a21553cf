"""The month, written once: the phases of one step of the model, in order.

:func:`advance` simulates one month for every run of a :class:`~sim.model.state.State`: the
batch engine (:mod:`sim.engine`) loops over it for thousands of runs at once, and the Mesa model
(:mod:`sim.mesa.model`) calls it on a state of one run. Each phase is a function that applies
the rules of :mod:`sim.model.rules` to the state's arrays, computing only on the runs a phase
concerns (a crisis, a coercion) and logging what happened with the numbers that caused it.

The phases of month ``m`` (step ``m + 1``), as ``docs/model.md`` describes them:

1. Russia's capacity follows the scenario's path; a threat-posture shock relaxes; nothing is
   committed yet.
2. Scenario-given events: security pledges by outside powers, mobilisation shocks.
3. Clashes between members (drawn or given) strain the alliance and cost trust.
4. Crises and appeals: Russia answers if its spare capacity covers the cost; every member reads
   the answer; outside powers step in where Russia did not.
5. Coercion of drifting members (drawn or given).
6. Outside powers' engagement rises into the space a weakened Russia leaves.
7. Members decide, simultaneously, from this month's state: preferred alignment, alignment,
   outside options, ties, grievances.
8. The scheduled joint drill is held or cancelled.
9. Members long under the exit threshold freeze their participation.
10. Cohesion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.model import rules
from sim.model.events import RUSSIA, EventLog
from sim.model.state import MEMBERS, N_MEMBERS, N_PAIRS, Draws, FloatArray, State
from sim.scenario.inputs import MEMBER_INDEX, PAIR_MEMBERS, POWER_INDEX, Inputs, Plan
from sim.scenario.resolve import ScenarioEvent

#: Which tie Russia pulls for each lever a scenario's coercion event may name.
LEVER_TIES: Final = {
    "energy": "energy_transit",
    "economic": "economic_ties",
    "security": "security_ties",
}


@dataclass(frozen=True)
class Setting:
    """What a month needs besides the state: the schedule, the inputs and the draws."""

    plan: Plan
    inputs: Inputs
    draws: Draws


def advance(state: State, setting: Setting, step: int, log: EventLog | None = None) -> None:
    """Simulate month ``step - 1`` (step 1 is the scenario's start month) in place."""
    month = step - 1
    given = setting.plan.events_by_month.get(month, ())
    begin_month(state, setting.inputs, month)
    scenario_events(state, step, given, log)
    clashes(state, setting, step, given, log)
    appeals(state, setting, step, given, log)
    coercion(state, setting, step, given, log)
    powers_respond(state, setting.inputs)
    members_decide(state, setting.inputs)
    drill(state, setting, step, log)
    freezes(state, setting.inputs, step, log)
    state.cohesion = rules.cohesion(
        state.alignment,
        state.frozen,
        state.action_record,
        state.strain,
        setting.inputs.mechanism["action_weight"],
    )
    state.min_cohesion = np.minimum(state.min_cohesion, state.cohesion)


def begin_month(state: State, inputs: Inputs, month: int) -> None:
    """Capacity comes from the scenario's path; a posture shock relaxes; commitments reset."""
    state.capacity = inputs.capacity[:, month]
    state.threat_posture = rules.threat_posture_after_month(
        state.threat_posture, inputs.russia["threat_posture"], inputs.russia["posture_decay"]
    )
    state.committed = np.zeros(state.runs)


def scenario_events(
    state: State, step: int, given: tuple[ScenarioEvent, ...], log: EventLog | None
) -> None:
    """Security pledges raise a power's engagement; a mobilisation shock raises the posture."""
    everyone = np.arange(state.runs)
    for event in given:
        if event.kind == "security_pledge":
            member = MEMBER_INDEX[event.member]
            power = POWER_INDEX[event.power]
            before = state.engagement[:, power, member].copy()
            ones = np.ones(state.runs)
            after = rules.engagement_after_step_in(before, ones, ones * float(event.size or 0.0))
            state.engagement[:, power, member] = after
            if log is not None:
                log.add(
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
            before = state.threat_posture.copy()
            state.threat_posture = rules.threat_posture_after_shock(
                before, np.full(state.runs, float(event.posture_rise or 0.0))
            )
            if log is not None:
                log.add(
                    everyone,
                    step,
                    "mobilisation_shock",
                    RUSSIA,
                    "",
                    "scenario",
                    state.capacity,
                    state.threat_posture,
                    state.threat_posture - before,
                )


def clashes(
    state: State,
    setting: Setting,
    step: int,
    given: tuple[ScenarioEvent, ...],
    log: EventLog | None,
) -> None:
    """Clashes between members, drawn from each pair's hazard or given by the scenario."""
    month = step - 1
    mechanism = setting.inputs.mechanism
    forced = np.zeros(N_PAIRS, dtype=bool)
    for event in given:
        if event.kind == "clash" and len(event.members) == 2:
            first, second = sorted(MEMBER_INDEX[name] for name in event.members)
            forced[PAIR_MEMBERS.index((first, second))] = True
    clashed = forced[np.newaxis, :] | rules.crisis_arrives(
        setting.draws.clash[:, month, :], setting.inputs.clash_hazard
    )
    count = clashed.sum(axis=1).astype(np.float64)
    state.strain = rules.strain_after_month(
        state.strain, count, mechanism["clash_severity"], mechanism["strain_decay"]
    )
    loss = mechanism["clash_trust_loss"]
    for pair in np.flatnonzero(clashed.any(axis=0)):
        first, second = PAIR_MEMBERS[pair]
        runs = np.flatnonzero(clashed[:, pair])
        hit = np.ones(runs.size, dtype=bool)
        pair_loss = loss[runs]
        for member in (first, second):
            state.trust[runs, member] = rules.trust_after_clash(
                state.trust[runs, member], hit, pair_loss
            )
        state.last_clash[runs, pair] = float(month)
        if log is not None:
            origin = "scenario" if forced[pair] else "model"
            log.add(
                runs,
                step,
                "clash",
                first,
                MEMBERS[second],
                origin,
                state.strain[runs],
                0.0,
                pair_loss,
            )


def appeals(
    state: State,
    setting: Setting,
    step: int,
    given: tuple[ScenarioEvent, ...],
    log: EventLog | None,
) -> None:
    """Crises and appeals, computed only on the runs where a member has a crisis this month."""
    month = step - 1
    inputs = setting.inputs
    injected = {
        event.member: event
        for event in given
        if event.kind == "appeal" or (event.kind == "clash" and event.adversary)
    }
    mechanism = inputs.mechanism
    reserve = inputs.russia["reserve"]
    member = inputs.member
    arrivals = rules.crisis_arrives(setting.draws.crisis[:, month, :], member["crisis_hazard"])
    for index, name in enumerate(MEMBERS):
        event = injected.get(name)
        crisis = ~state.frozen[:, index]
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
        committed = state.committed[runs]
        spare = rules.spare_capacity(state.capacity[runs], reserve[runs], committed)
        required = rules.required_capacity(cost, aversion)
        answered = rules.russia_answers(spare, required)
        state.committed[runs] = np.where(answered, committed + cost, committed)
        trust = state.trust[runs]
        before = trust[:, index].copy()
        weight = np.repeat(mechanism["onlooker_weight"][runs, np.newaxis], N_MEMBERS, axis=1)
        weight[:, index] = 1.0
        state.trust[runs] = rules.trust_after_appeal(
            trust,
            answered[:, np.newaxis],
            weight,
            mechanism["trust_gain_answered"][runs, np.newaxis],
            mechanism["trust_loss_ignored"][runs, np.newaxis],
        )
        ignored = runs[~answered]
        if ignored.size:
            state.engagement[ignored, :, index] = rules.engagement_after_step_in(
                state.engagement[ignored, :, index],
                inputs.interest[ignored, :, index],
                mechanism["step_in"][ignored, np.newaxis],
            )
        if log is not None:
            cause = (event.adversary or "crisis") if event is not None else "crisis"
            origin = "scenario" if event is not None else "model"
            change = state.trust[runs, index] - before
            for kind, chosen in (("appeal_answered", answered), ("appeal_ignored", ~answered)):
                log.add(
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


def coercion(
    state: State,
    setting: Setting,
    step: int,
    given: tuple[ScenarioEvent, ...],
    log: EventLog | None,
) -> None:
    """Coercion, computed only on the runs where Russia coerces a member this month."""
    month = step - 1
    russia = setting.inputs.russia
    mechanism = setting.inputs.mechanism
    forced = {
        event.member: event.lever
        for event in given
        if event.kind in ("coercion", "pipeline_suspension")
    }
    for index, name in enumerate(MEMBERS):
        active = ~state.frozen[:, index]
        lever = forced.get(name)
        leverage: FloatArray
        if lever is not None:
            runs = np.flatnonzero(active)
            tie: FloatArray = getattr(state, LEVER_TIES[lever])
            leverage = tie[runs, index]
            label = lever
        else:
            spare = rules.spare_capacity(state.capacity, russia["reserve"], state.committed)
            coerced = active & rules.coercion_attempted(
                state.alignment[:, index],
                russia["coercion_trigger"],
                spare,
                russia["coercion_cost"],
                setting.draws.coercion[:, month, index],
                russia["coercion_propensity"],
            )
            runs = np.flatnonzero(coerced)
            leverage = rules.dependence(
                state.energy_transit[runs, index],
                state.security_ties[runs, index],
                state.economic_ties[runs, index],
            )
            label = "dependence"
        if runs.size == 0:
            continue
        before = state.alignment[runs, index]
        capacity = state.capacity[runs]
        pulled = rules.alignment_after_coercion(
            before, capacity, leverage, mechanism["coercion_effect"][runs]
        )
        state.alignment[runs, index] = pulled
        state.grievance[runs, index] = rules.grievance_after_coercion(
            state.grievance[runs, index], mechanism["coercion_backfire"][runs]
        )
        state.committed[runs] = state.committed[runs] + russia["coercion_cost"][runs]
        if log is not None:
            origin = "scenario" if lever is not None else "model"
            log.add(
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


def powers_respond(state: State, inputs: Inputs) -> None:
    """Outside powers' engagement rises toward their interest times Russia's weakness."""
    state.engagement = rules.engagement_after_month(
        state.engagement,
        inputs.interest,
        state.capacity[:, np.newaxis, np.newaxis],
        inputs.responsiveness[:, :, np.newaxis],
    )


def members_decide(state: State, inputs: Inputs) -> None:
    """Every member decides at once from this month's state (a simultaneous update)."""
    member = inputs.member
    mechanism = {key: value[:, np.newaxis] for key, value in inputs.mechanism.items()}
    available = rules.outside_availability(state.engagement)
    peer = rules.peer_mean(state.alignment)
    state.fear = rules.fear(
        state.threat_posture[:, np.newaxis],
        state.exposure,
        member["regime_ties"],
        state.grievance,
    )
    state.preferred_alignment = rules.preferred_alignment(
        trust=state.trust,
        capacity=state.capacity[:, np.newaxis],
        external_threat=member["external_threat"],
        alternative=available,
        regime_ties=member["regime_ties"],
        dependence=state.dependence,
        fear=state.fear,
        sanctions_exposure=member["sanctions_exposure"],
        outside_options=state.outside_options,
        weight_protection=mechanism["weight_protection"],
        weight_regime=mechanism["weight_regime"],
        weight_lockin=mechanism["weight_lockin"],
        weight_fear=mechanism["weight_fear"],
        weight_sanctions=mechanism["weight_sanctions"],
        weight_outside=mechanism["weight_outside"],
        bias=mechanism["alignment_bias"],
        steepness=mechanism["alignment_steepness"],
    )
    alignment = state.alignment
    outside = state.outside_options
    next_alignment = rules.alignment_after_month(
        alignment,
        state.preferred_alignment,
        peer,
        mechanism["inertia"],
        mechanism["peer_weight"],
    )
    next_outside = rules.outside_options_after_month(
        outside, available, alignment, state.grievance, mechanism["diversification_rate"]
    )
    state.energy_transit = rules.tie_after_month(
        state.energy_transit, alignment, outside, mechanism["energy_decay"]
    )
    state.economic_ties = rules.tie_after_month(
        state.economic_ties, alignment, outside, mechanism["economic_decay"]
    )
    state.security_ties = rules.tie_after_month(
        state.security_ties, alignment, outside, mechanism["security_decay"]
    )
    state.grievance = rules.grievance_after_month(state.grievance, mechanism["grievance_decay"])
    state.alignment = next_alignment
    state.outside_options = next_outside


def drill(state: State, setting: Setting, step: int, log: EventLog | None) -> None:
    """The month's scheduled joint drill, if any, is held or cancelled."""
    month = step - 1
    host = int(setting.plan.drill_host[month])
    if host < 0:
        return
    mechanism = setting.inputs.mechanism
    window = mechanism["clash_memory_months"]
    # The host's first partner (in pair order) in a clash still active: it blocks the drill.
    partner = np.full(state.runs, -1, dtype=np.int64)
    for pair, (first, second) in enumerate(PAIR_MEMBERS):
        if host not in (first, second):
            continue
        other = second if first == host else first
        active = (month - state.last_clash[:, pair]) < window
        take = (partner < 0) & active & ~state.frozen[:, other]
        partner = np.where(take, other, partner)
    in_clash = partner >= 0
    threshold = mechanism["drill_threshold"]
    eligible = ~state.frozen & (state.alignment >= threshold[:, np.newaxis])
    participants = eligible.sum(axis=1).astype(np.float64)
    held = rules.drill_held(
        state.alignment[:, host],
        state.frozen[:, host],
        in_clash,
        participants,
        threshold,
        mechanism["min_drill_participants"],
    )
    state.action_record = rules.action_record_after_drill(
        state.action_record, held, mechanism["action_learning"]
    )
    state.drills_held += held
    state.drills_cancelled += ~held
    if log is not None:
        names: npt.NDArray[np.object_] = np.array(["", *MEMBERS], dtype=object)[partner + 1]
        for kind, chosen in (("drill_held", held), ("drill_cancelled", ~held)):
            log.add_where(
                chosen,
                step,
                kind,
                host,
                names,
                "model",
                state.alignment[:, host],
                threshold,
                participants,
            )


def freezes(state: State, inputs: Inputs, step: int, log: EventLog | None) -> None:
    """Members whose alignment stayed under the exit threshold long enough freeze."""
    mechanism = inputs.mechanism
    threshold = mechanism["exit_threshold"]
    counted = rules.months_below_after_month(
        state.months_below, state.alignment, threshold[:, np.newaxis]
    )
    state.months_below = np.where(state.frozen, state.months_below, counted)
    newly = rules.freezes(
        state.months_below, state.frozen, mechanism["freeze_after_months"][:, np.newaxis]
    )
    state.frozen = state.frozen | newly
    state.freeze_step = np.where(newly, step, state.freeze_step)
    if log is not None:
        for index in range(N_MEMBERS):
            log.add_where(
                newly[:, index],
                step,
                "participation_frozen",
                index,
                "",
                "model",
                state.alignment[:, index],
                threshold,
                state.months_below[:, index],
            )
