"""The month, written once: the phases of one step of the model, in order.

:func:`advance` simulates one month for every run of a :class:`~sim.model.state.State`: the
batch engine (:mod:`sim.engine`) loops over it for thousands of runs at once, and the Mesa model
(:mod:`sim.mesa.model`) calls it on a state of one run. Each phase is a function that applies
the rules of :mod:`sim.model.rules` to the state's arrays, computing only on the runs a phase
concerns (a crisis, a coercion, a voice) and logging what happened with the numbers that caused
it.

The phases of month ``m`` (step ``m + 1``), as ``docs/model.md`` describes them:

1. Russia's capacity follows the scenario's path; a threat-posture shock relaxes; nothing is
   committed yet.
2. Scenario-given events: security pledges by outside powers, mobilisation shocks.
3. Clashes between members (drawn, likelier as Russia's policing capacity falls, or given)
   strain the alliance, cost trust and sour the pair's affinity.
4. Crises and appeals: Russia answers if its spare capacity covers a bar that rises with its
   own entrapment fear and with the appellant's drift; every member reads the answer; outside
   powers step in where Russia did not.
5. Coercion of drifting members (drawn or given).
6. Outside powers' security and economic engagement rise into the space a weakened Russia
   leaves.
7. Members weigh staying against leaving, all at once, from this month's state: the motives,
   the net value of staying and the alignment each would prefer.
8. Collective action: the scheduled joint drill (it needs Russia, a willing host at peace and
   a quorum) and the scheduled summit (who signs, who declines, who stays away).
9. Voice: discontented members speak out; Russia answers while its spare capacity lasts.
10. Alignment moves toward the preferred level and with peers; options grow, ties erode.
11. Exit: members for whom leaving clearly beats staying, whose voice went unanswered and
    whose stance has turned, freeze their participation.
12. Cohesion.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.model import rules
from sim.model.events import RUSSIA, EventLog
from sim.model.state import DRIVERS, MEMBERS, N_MEMBERS, N_PAIRS, Draws, State
from sim.scenario.inputs import MEMBER_INDEX, PAIR_MEMBERS, POWER_INDEX, Inputs, Plan
from sim.scenario.resolve import ScenarioEvent

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]

#: Which tie Russia pulls for each lever a scenario's coercion event may name.
LEVER_TIES: Final = {
    "energy": "energy_transit",
    "economic": "economic_ties",
    "security": "security_ties",
}
_MOTIVE_NAMES: Final = np.array(rules.MOTIVES, dtype=object)
_PEERS: Final = DRIVERS.index("peers")
_COERCION: Final = DRIVERS.index("coercion")
_PREFERENCE: Final = len(rules.MOTIVES) + 1  # the motives' shares and the neutral drift
_FIRST_OF_PAIR: Final = np.array([first for first, _ in PAIR_MEMBERS], dtype=np.int64)
_SECOND_OF_PAIR: Final = np.array([second for _, second in PAIR_MEMBERS], dtype=np.int64)


@dataclass(frozen=True)
class Setting:
    """What a month needs besides the state: the schedule, the inputs and the draws."""

    plan: Plan
    inputs: Inputs
    draws: Draws
    explain: bool = True
    """Also compute what moved each member's alignment (the drivers): the time series needs
    them, a sweep's outcomes do not."""


def advance(state: State, setting: Setting, step: int, log: EventLog | None = None) -> None:
    """Simulate month ``step - 1`` (step 1 is the scenario's start month) in place."""
    month = step - 1
    inputs = setting.inputs
    given = setting.plan.events_by_month.get(month, ())
    begin_month(state, inputs, month)
    scenario_events(state, inputs, step, given, log)
    clashes(state, setting, step, given, log)
    appeals(state, setting, step, given, log)
    coercion(state, setting, step, given, log)
    powers_respond(state, inputs)
    weigh(state, inputs)
    voiced = np.zeros((state.runs, N_MEMBERS), dtype=np.int64)
    drill(state, setting, step, voiced, log)
    summit(state, setting, step, voiced, log)
    voice(state, setting, step, voiced, log)
    move(state, inputs, setting.explain)
    exits(state, inputs, step, log)
    state.cohesion = rules.cohesion(
        state.alignment, state.frozen, state.action_record, state.strain, state.action_weight
    )
    lower = state.cohesion < state.min_cohesion
    state.min_cohesion_step = np.where(lower, step, state.min_cohesion_step)
    state.min_cohesion = np.minimum(state.min_cohesion, state.cohesion)


def begin_month(state: State, inputs: Inputs, month: int) -> None:
    """Capacity comes from the scenario's path; a posture shock relaxes; commitments reset."""
    state.capacity = inputs.capacity[:, month]
    state.threat_posture = rules.threat_posture_after_month(
        state.threat_posture, inputs.russia["threat_posture"], inputs.russia["posture_decay"]
    )
    state.committed = np.zeros(state.runs)
    state.drivers[..., _COERCION] = 0.0


def scenario_events(
    state: State, inputs: Inputs, step: int, given: tuple[ScenarioEvent, ...], log: EventLog | None
) -> None:
    """Security pledges raise a power's engagement; a mobilisation shock raises the posture."""
    everyone = np.arange(state.runs)
    for event in given:
        if event.kind == "security_pledge":
            member = MEMBER_INDEX[event.member]
            power = POWER_INDEX[event.power]
            before = state.security_engagement[:, power, member].copy()
            after = rules.engagement_after_step_in(
                before,
                inputs.security_interest[:, power, member],
                np.full(state.runs, float(event.size or 0.0)),
            )
            state.security_engagement[:, power, member] = after
            if log is not None:
                log.add(
                    everyone,
                    step,
                    "security_pledge",
                    member,
                    event.power,
                    "",
                    "scenario",
                    after,
                    inputs.security_interest[:, power, member],
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
    """Clashes between members, drawn from each pair's policed hazard or given by the scenario."""
    month = step - 1
    inputs = setting.inputs
    mechanism = inputs.mechanism
    forced = np.zeros(N_PAIRS, dtype=bool)
    for event in given:
        if event.kind == "clash" and len(event.members) == 2:
            first, second = sorted(MEMBER_INDEX[name] for name in event.members)
            forced[PAIR_MEMBERS.index((first, second))] = True
    hazard = rules.policed_hazard(
        inputs.clash_hazard,
        state.capacity[:, np.newaxis],
        mechanism["policing_effect"][:, np.newaxis],
        mechanism["hazard_reference_capacity"][:, np.newaxis],
    )
    clashed = forced[np.newaxis, :] | rules.crisis_arrives(setting.draws.clash(month), hazard)
    count = clashed.sum(axis=1).astype(np.float64)
    state.clashes += clashed.sum(axis=1)
    state.strain = rules.strain_after_month(
        state.strain, count, mechanism["clash_severity"], mechanism["strain_decay"]
    )
    state.affinity = rules.affinity_after_month(
        state.affinity,
        inputs.affinity,
        clashed,
        mechanism["affinity_clash_loss"][:, np.newaxis],
        mechanism["affinity_recovery"][:, np.newaxis],
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
            log.add(
                runs,
                step,
                "clash",
                first,
                MEMBERS[second],
                "",
                "scenario" if forced[pair] else "model",
                state.strain[runs],
                state.affinity[runs, pair],
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
    russia = inputs.russia
    member = inputs.member
    hazard = rules.policed_hazard(
        member["crisis_hazard"],
        state.capacity[:, np.newaxis],
        mechanism["policing_effect"][:, np.newaxis],
        mechanism["hazard_reference_capacity"][:, np.newaxis],
    )
    arrivals = rules.crisis_arrives(setting.draws.crisis(month), hazard)
    for index in range(N_MEMBERS):
        event = injected.get(MEMBERS[index])
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
        spare = rules.spare_capacity(state.capacity[runs], russia["reserve_share"][runs], committed)
        required = rules.required_capacity(
            cost, aversion, state.alignment[runs, index], russia["drift_penalty"][runs]
        )
        answered = rules.russia_answers(spare, required)
        state.appeals_answered[runs] += answered
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
        state.appeals_ignored[ignored, index] += 1
        if ignored.size:
            state.security_engagement[ignored, :, index] = rules.engagement_after_step_in(
                state.security_engagement[ignored, :, index],
                inputs.security_interest[ignored, :, index],
                mechanism["step_in"][ignored, np.newaxis],
            )
        if log is not None:
            adversary = event.adversary if event is not None else ""
            origin = "scenario" if event is not None else "model"
            change = state.trust[runs, index] - before
            for kind, chosen in (("appeal_answered", answered), ("appeal_ignored", ~answered)):
                log.add(
                    runs[chosen],
                    step,
                    kind,
                    index,
                    adversary,
                    "crisis",
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
    draws = setting.draws.coercion(month)
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
            spare = rules.spare_capacity(state.capacity, russia["reserve_share"], state.committed)
            coerced = active & rules.coercion_attempted(
                state.alignment[:, index],
                russia["coercion_trigger"],
                spare,
                russia["coercion_cost"],
                draws[:, index],
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
        state.drivers[runs, index, _COERCION] += pulled - before
        state.grievance[runs, index] = rules.grievance_after_coercion(
            state.grievance[runs, index], mechanism["coercion_backfire"][runs]
        )
        state.committed[runs] = state.committed[runs] + russia["coercion_cost"][runs]
        state.coercions[runs] += 1
        if log is not None:
            log.add(
                runs,
                step,
                "coercion",
                index,
                "",
                label,
                "scenario" if lever is not None else "model",
                before,
                capacity * leverage,
                pulled - before,
            )


def powers_respond(state: State, inputs: Inputs) -> None:
    """Outside powers' engagement rises toward their interest times Russia's weakness."""
    capacity = state.capacity[:, np.newaxis, np.newaxis]
    responsiveness = inputs.responsiveness[:, :, np.newaxis]
    state.security_engagement = rules.engagement_after_month(
        state.security_engagement, inputs.security_interest, capacity, responsiveness
    )
    state.economic_engagement = rules.engagement_after_month(
        state.economic_engagement, inputs.economic_interest, capacity, responsiveness
    )


def weigh(state: State, inputs: Inputs) -> None:
    """Every member weighs staying against leaving at once, from this month's state."""
    capacity = state.capacity[:, np.newaxis]
    state.outside_protection = rules.outside_availability(state.security_engagement)
    intent = rules.hostile_intent(
        state.threat_posture[:, np.newaxis], inputs.revisionism, state.grievance
    )
    state.threat = rules.russian_threat(capacity, inputs.member["proximity"], intent)  # recorded
    state.motives = rules.motive_terms(
        inputs.motive_coefficients,
        rules.motive_states(
            trust=state.trust,
            capacity=capacity,
            dependence=state.dependence,
            intent=intent,
            outside_protection=state.outside_protection,
            outside_options=state.outside_options,
            alignment=state.alignment,
        ),
    )
    state.net_value = rules.net_value(state.motives)
    state.preferred_alignment = rules.preferred_alignment(
        state.net_value, inputs.mechanism["alignment_steepness"][:, np.newaxis]
    )


def _strongest_push(state: State) -> ObjectArray:
    """For each run and member, the motive that pushes hardest away from the alliance."""
    names: ObjectArray = _MOTIVE_NAMES[state.motives.argmin(axis=-1)]
    return names


def drill(
    state: State, setting: Setting, step: int, voiced: npt.NDArray[np.int64], log: EventLog | None
) -> None:
    """The month's scheduled joint drill, if any: held, or cancelled and why."""
    month = step - 1
    host = int(setting.plan.drill_host[month])
    if host < 0:
        return
    mechanism = setting.inputs.mechanism
    russia = setting.inputs.russia
    window = mechanism["clash_memory_months"]
    # The host's first partner (in pair order) in a clash still active: it blocks the drill.
    partner = np.full(state.runs, -1, dtype=np.int64)
    for pair, (first, second) in enumerate(PAIR_MEMBERS):
        if host not in (first, second):
            continue
        other = second if first == host else first
        active_clash = (month - state.last_clash[:, pair]) < window
        take = (partner < 0) & active_clash & ~state.frozen[:, other]
        partner = np.where(take, other, partner)
    in_clash = partner >= 0
    active = ~state.frozen
    threshold = mechanism["drill_threshold"]
    aligned = active & (state.alignment >= threshold[:, np.newaxis])
    unhappy = rules.discontented(state.net_value)
    willing = aligned & ~unhappy
    refusing = aligned & unhappy
    participants = willing.sum(axis=1).astype(np.float64)
    spare = rules.spare_capacity(state.capacity, russia["reserve_share"], state.committed)
    russia_in = spare >= russia["drill_cost"]
    held = rules.drill_held(
        russia_in, willing[:, host], in_clash, participants, mechanism["min_drill_participants"]
    )
    turnout = np.where(held, participants / np.maximum(active.sum(axis=1), 1), 0.0)
    before = state.action_record
    state.action_record = rules.action_record_after(
        state.action_record, turnout, mechanism["action_learning"]
    )
    state.committed = np.where(held, state.committed + russia["drill_cost"], state.committed)
    state.drills_held += held
    state.drills_cancelled += ~held
    voiced += refusing
    if log is None:
        return
    change = state.action_record - before
    cause = np.where(
        ~russia_in,
        "russia",
        np.where(in_clash, "clash", np.where(~willing[:, host], "host", "quorum")),
    ).astype(object)
    names: ObjectArray = np.array(["", *MEMBERS], dtype=object)[partner + 1]
    log.add_where(
        held,
        step,
        "drill_held",
        host,
        "",
        "",
        "model",
        participants,
        mechanism["min_drill_participants"],
        change,
    )
    log.add_where(
        ~held,
        step,
        "drill_cancelled",
        host,
        np.where(cause == "clash", names, ""),
        cause,
        "model",
        participants,
        mechanism["min_drill_participants"],
        change,
    )
    push = _strongest_push(state)
    for index in range(N_MEMBERS):
        log.add_where(
            refusing[:, index],
            step,
            "voice_refused_drill",
            index,
            "" if index == host else MEMBERS[host],
            push[:, index],
            "model",
            state.net_value[:, index],
            0.0,
            np.nan,
        )


def summit(
    state: State, setting: Setting, step: int, voiced: npt.NDArray[np.int64], log: EventLog | None
) -> None:
    """The month's scheduled summit, if any: who signs its declaration, who declines to, and
    who stays away."""
    month = step - 1
    host = int(setting.plan.summit_host[month])
    if host < 0:
        return
    mechanism = setting.inputs.mechanism
    active = ~state.frozen
    bar = rules.loyalty_bar(
        mechanism["loyalty"][:, np.newaxis], state.trust, state.capacity[:, np.newaxis]
    )
    boycott = active & (state.net_value < -bar)
    declines = active & rules.discontented(state.net_value) & ~boycott
    signs = active & ~rules.discontented(state.net_value)
    attending = (active & ~boycott).sum(axis=1).astype(np.float64)
    signed = signs.sum(axis=1).astype(np.float64)
    quorum = attending >= mechanism["min_drill_participants"]
    outcome = np.where(quorum, signed / np.maximum(active.sum(axis=1), 1), 0.0)
    before = state.action_record
    state.action_record = rules.action_record_after(
        state.action_record, outcome, mechanism["action_learning"]
    )
    voiced += boycott
    voiced += declines
    if log is None:
        return
    everyone = np.ones(state.runs, dtype=bool)
    log.add_where(
        everyone,
        step,
        "summit",
        host,
        "",
        np.where(quorum, "", "quorum").astype(object),
        "model",
        signed,
        attending,
        state.action_record - before,
    )
    push = _strongest_push(state)
    for index in range(N_MEMBERS):
        for kind, chosen, threshold in (
            ("voice_declined_declaration", declines, np.zeros(state.runs)),
            ("voice_boycotted_summit", boycott, -bar[:, index]),
        ):
            log.add_where(
                chosen[:, index],
                step,
                kind,
                index,
                "",
                push[:, index],
                "model",
                state.net_value[:, index],
                threshold,
                np.nan,
            )


def voice(
    state: State, setting: Setting, step: int, voiced: npt.NDArray[np.int64], log: EventLog | None
) -> None:
    """Discontented members speak out; Russia answers each, in member order, while its spare
    capacity lasts (a concession raises trust); unanswered voice accumulates."""
    month = step - 1
    inputs = setting.inputs
    russia = inputs.russia
    mechanism = inputs.mechanism
    active = ~state.frozen
    unhappy = active & rules.discontented(state.net_value)
    speaks = rules.crisis_arrives(
        setting.draws.voice(month), mechanism["voice_propensity"][:, np.newaxis]
    )
    criticism = unhappy & (voiced == 0) & speaks
    voiced += criticism
    answered = np.zeros((state.runs, N_MEMBERS), dtype=bool)
    push = _strongest_push(state) if log is not None else None
    for index in range(N_MEMBERS):
        runs = np.flatnonzero(voiced[:, index] > 0)
        if runs.size == 0:
            continue
        if log is not None and push is not None:
            chosen = criticism[runs, index]
            log.add(
                runs[chosen],
                step,
                "voice_criticism",
                index,
                "",
                push[runs[chosen], index],
                "model",
                state.net_value[runs[chosen], index],
                0.0,
                np.nan,
            )
        committed = state.committed[runs]
        spare = rules.spare_capacity(state.capacity[runs], russia["reserve_share"][runs], committed)
        required = rules.required_capacity(
            russia["concession_cost"][runs],
            0.0,
            state.alignment[runs, index],
            russia["drift_penalty"][runs],
        )
        yes = rules.russia_answers(spare, required)
        answered[runs, index] = yes
        state.committed[runs] = np.where(
            yes, committed + russia["concession_cost"][runs], committed
        )
        before = state.trust[runs, index]
        state.trust[runs, index] = rules.trust_after_voice(
            before, yes, mechanism["voice_trust_gain"][runs]
        )
        if log is not None:
            change = state.trust[runs, index] - before
            for kind, chosen in (("voice_answered", yes), ("voice_ignored", ~yes)):
                log.add(
                    runs[chosen],
                    step,
                    kind,
                    index,
                    "",
                    "",
                    "model",
                    spare[chosen],
                    required[chosen],
                    change[chosen],
                )
    state.unanswered_voice = rules.unanswered_after_month(
        state.unanswered_voice, voiced > 0, answered
    )
    state.voice_acts += voiced


def move(state: State, inputs: Inputs, explain: bool = True) -> None:
    """Alignment moves toward the preferred level and with peers; options grow; ties erode.

    With ``explain``, the month's move is split into its drivers (each motive's share, the
    neutral drift, peers); coercion's pull was recorded when it happened.
    """
    mechanism = {key: value[:, np.newaxis] for key, value in inputs.mechanism.items()}
    alignment = state.alignment
    outside = state.outside_options
    pull = _peer_pull(state, inputs)
    next_alignment = rules.alignment_after_month(
        alignment, state.preferred_alignment, pull, mechanism["inertia"], mechanism["peer_weight"]
    )
    if explain:
        preference = rules.preference_attribution(
            state.motives,
            state.net_value,
            state.preferred_alignment,
            alignment,
            mechanism["inertia"],
        )
        state.drivers[..., :_PREFERENCE] = preference
        state.drivers[..., _PEERS] = (
            next_alignment - alignment - preference @ np.ones(preference.shape[-1])
        )
    available = rules.outside_availability(state.economic_engagement)
    next_outside = rules.outside_options_after_month(
        outside, available, alignment, state.grievance, mechanism["diversification_rate"]
    )
    replacing = rules.replacement(alignment, outside)
    state.energy_transit = rules.tie_after_month(
        state.energy_transit, replacing, mechanism["energy_decay"]
    )
    state.economic_ties = rules.tie_after_month(
        state.economic_ties, replacing, mechanism["economic_decay"]
    )
    state.security_ties = rules.tie_after_month(
        state.security_ties, replacing, mechanism["security_decay"]
    )
    state.grievance = rules.grievance_after_month(state.grievance, mechanism["grievance_decay"])
    state.alignment = next_alignment
    state.outside_options = next_outside


def _peer_pull(state: State, inputs: Inputs) -> FloatArray:
    """The pull of peers on each member, by the run's structural variant."""
    uniform = inputs.uniform_peers
    if uniform.all():
        return rules.uniform_peer_pull(state.alignment)
    by_affinity = rules.peer_pull(
        state.alignment, state.affinity, ~state.frozen, _FIRST_OF_PAIR, _SECOND_OF_PAIR
    )
    if not uniform.any():
        return by_affinity
    pull: FloatArray = np.where(
        uniform[:, np.newaxis], rules.uniform_peer_pull(state.alignment), by_affinity
    )
    return pull


def exits(state: State, inputs: Inputs, step: int, log: EventLog | None) -> None:
    """Members for whom leaving clearly beats staying, after unanswered voice, exit."""
    mechanism = {key: value[:, np.newaxis] for key, value in inputs.mechanism.items()}
    bar = rules.loyalty_bar(mechanism["loyalty"], state.trust, state.capacity[:, np.newaxis])
    newly = rules.exits(
        state.net_value,
        bar,
        state.unanswered_voice,
        mechanism["voice_before_exit"],
        state.alignment,
        mechanism["exit_threshold"],
        state.frozen,
    )
    if not newly.any():
        return
    state.frozen = state.frozen | newly
    state.freeze_step = np.where(newly, step, state.freeze_step)
    if log is not None:
        push = _strongest_push(state)
        for index in range(N_MEMBERS):
            log.add_where(
                newly[:, index],
                step,
                "participation_frozen",
                index,
                "",
                push[:, index],
                "model",
                state.net_value[:, index],
                -bar[:, index],
                state.unanswered_voice[:, index],
            )
