"""The model's mechanisms, each a small pure function over numpy arrays.

Every rule works the same on one member of one run (Python floats), on all members of one run
(shape ``(members,)``) and on a whole batch of runs (shape ``(runs, members)``): the Mesa agents
in :mod:`sim.mesa.agents` call them on their own numbers, the vectorised engine in :mod:`sim.engine`
calls them on arrays with a leading runs axis, and the two cannot drift apart.

Each docstring states the mechanism and the theory it rests on; ``docs/model.md`` collects them.
Values called ``alignment``, ``trust``, ``capacity`` and the ties of dependence all live in
``[0, 1]``; every rule that returns one of them keeps it there.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A real number or an array of them. ``np.float64`` is a subclass of ``float``.
Real = TypeVar("Real", float, FloatArray)
Flag = TypeVar("Flag", bool, BoolArray)


def _unit(value: Any) -> Any:
    """Clip to the unit interval (keeps Python floats as numpy float64 scalars)."""
    return np.minimum(np.maximum(value, 0.0), 1.0)


# --- 1. Russia's capacity ------------------------------------------------------------------------


def capacity_path(
    months: npt.NDArray[np.float64],
    initial: FloatArray | float,
    drain_per_month: FloatArray | float,
    floor: FloatArray | float,
    ceiling: FloatArray | float,
    shock_month: FloatArray | float,
    shock_size: FloatArray | float,
    recovery_month: FloatArray | float,
    recovery_per_month: FloatArray | float,
) -> FloatArray:
    """Russia's capacity for the region in each month: a drain, an optional shock, a recovery.

    ``K(m) = clip(initial - drain * min(m, m_rec) - shock * [m >= m_shock]
    + recovery * max(0, m - m_rec), floor, ceiling)``.

    The war absorbs men, money and attention at a steady rate (the "draining war" of the
    source article); a mobilisation or a battlefield defeat is a one-off drop; after a
    ceasefire at ``m_rec`` the drain stops and capacity is rebuilt. Absent a shock or recovery
    the month is ``inf``. This is Vinogradova & Galam's (2014) weakening factor alpha(t) on
    the patron's pull, made an explicit path. Parameters may carry a leading runs axis; the
    result has shape ``params.shape + months.shape``.
    """
    params = np.broadcast_arrays(
        *(
            np.asarray(value, dtype=np.float64)[..., np.newaxis]
            for value in (
                initial,
                drain_per_month,
                floor,
                ceiling,
                shock_month,
                shock_size,
                recovery_month,
                recovery_per_month,
            )
        )
    )
    k0, drain, low, high, m_shock, shock, m_rec, recovery = params
    drained = k0 - drain * np.minimum(months, m_rec)
    shocked = drained - np.where(months >= m_shock, shock, 0.0)
    rebuilt = shocked + recovery * np.maximum(months - m_rec, 0.0)
    result: FloatArray = np.minimum(np.maximum(rebuilt, low), high)
    return result


# --- 2. Crises and appeals -----------------------------------------------------------------------


def crisis_arrives(draw: Real, hazard: Real) -> Any:
    """A crisis (border war, attack, unrest) arrives when the month's draw is under its hazard.

    Crises are a Poisson-like process with a monthly hazard per member or per pair of members,
    estimated from the 2021-2022 record; the draw is fixed up front from the run's seed
    (common random numbers), so two scenarios face the same crises.
    """
    return draw < hazard


def spare_capacity(capacity: Real, reserve: Real, committed: Real) -> Real:
    """Capacity Russia can still send this month: what it has, less reserve and commitments.

    Russia keeps a reserve for its own security and regime (never spent on allies); what it has
    already committed this month is not available again. Never negative.
    """
    return cast(Real, np.maximum(capacity - reserve - committed, 0.0))


def required_capacity(cost: Real, entrapment_aversion: Real) -> Real:
    """Capacity Russia requires before it answers an appeal: the cost, inflated by unwillingness.

    Snyder (1984): a patron fears entrapment in its clients' quarrels. Russia will not fight a
    partner it courts (Azerbaijan, with which it signed an allied declaration in February 2022):
    ``required = cost * (1 + entrapment_aversion)``, so an aversion of 1 doubles the bar.
    """
    return cost * (1.0 + entrapment_aversion)


def russia_answers(spare: Real, required: Real) -> Any:
    """Russia answers an appeal when its spare capacity covers what the answer requires.

    Patron-client (hub-and-spoke) alliances (Cha 2010): protection is the patron's side of the
    bargain, delivered only when the patron can afford it.
    """
    return spare >= required


def trust_after_appeal(trust: Real, answered: Flag, weight: Real, gain: Real, loss: Real) -> Real:
    """Trust in Russia's guarantee after an appeal is answered or ignored.

    Snyder's fear of abandonment: an answered appeal confirms the guarantee (``trust`` rises by
    ``gain`` of the way to 1), an ignored one is abandonment (``trust`` loses ``loss`` of
    itself). ``weight`` is 1 for the appellant and the onlooker weight for every other member:
    allies watch how the patron treats each other (reputation for reliability). Stays in [0, 1]
    for ``weight * gain`` and ``weight * loss`` in [0, 1].
    """
    raised = trust + weight * gain * (1.0 - trust)
    lowered = trust - weight * loss * trust
    return cast(Real, _unit(np.where(answered, raised, lowered)))


def engagement_after_step_in(engagement: Real, interest: Real, step_in: Real) -> Real:
    """An outside power steps into the space Russia leaves when Russia ignores an appeal or pledges.

    The EU and France mediated for Armenia after the CSTO sent no aid (source article);
    engagement rises by ``step_in * interest`` of the way to 1, so a power steps in only as far
    as it cares about that member.
    """
    return cast(Real, _unit(engagement + step_in * interest * (1.0 - engagement)))


# --- 3. Clashes between members ------------------------------------------------------------------


def strain_after_month(strain: Real, clashes: Real, severity: Real, decay: Real) -> Real:
    """Strain on the alliance from fighting between its own members.

    Strain decays by ``decay`` a month and each clash adds ``severity`` of the way to 1
    (``clashes`` is the number of clashes this month). An alliance whose members shoot at each
    other cannot act as one (the Kyrgyz-Tajik clashes of September 2022 cancelled drills).
    """
    kept = 1.0 - (1.0 - severity) ** clashes
    decayed = strain * decay
    return cast(Real, _unit(decayed + kept * (1.0 - decayed)))


def trust_after_clash(trust: Real, clashed: Flag, loss: Real) -> Real:
    """A member in a clash the alliance did not prevent trusts the guarantee less.

    The CSTO guarantees its members against attack, including by each other; a clash it neither
    prevents nor stops is a small abandonment (Snyder 1984).
    """
    return cast(Real, _unit(np.where(clashed, trust * (1.0 - loss), trust)))


# --- 4. Coercion ---------------------------------------------------------------------------------


def coercion_attempted(
    alignment: Real, trigger: Real, spare: Real, cost: Real, draw: Real, propensity: Real
) -> Any:
    """Russia coerces a drifting member when it can afford to and decides to this month.

    A member below the ``trigger`` alignment is drifting; Russia acts with monthly
    ``propensity`` (the draw) if its spare capacity covers the ``cost`` of the pressure.
    """
    return (alignment < trigger) & (spare >= cost) & (draw < propensity)


def alignment_after_coercion(alignment: Real, capacity: Real, leverage: Real, effect: Real) -> Real:
    """Coercion pulls a member back in proportion to Russia's capacity times the lever's dependence.

    Hirschman (1945, *National Power and the Structure of Foreign Trade*): dependence is a lever,
    but only as strong as the patron's ability to pull it. The pull is ``effect * capacity *
    leverage`` of the way to full alignment, so a drained Russia coerces weakly.
    """
    return cast(Real, _unit(alignment + effect * capacity * leverage * (1.0 - alignment)))


def grievance_after_coercion(grievance: Real, backfire: Real) -> Real:
    """Coercion backfires: it leaves a grievance that feeds fear and speeds diversification.

    Walt (1987): perceived aggressive intentions drive balancing. Each coercion adds
    ``backfire`` of the way to 1 to the member's grievance; the grievance decays slowly.
    """
    return cast(Real, _unit(grievance + backfire * (1.0 - grievance)))


def grievance_after_month(grievance: Real, decay: Real) -> Real:
    """Grievances fade: each month keeps ``decay`` of the last one."""
    return grievance * decay


# --- 5. Each member's preferred alignment --------------------------------------------------------


def exposure(russian_share: Real, reference_share: Real) -> Real:
    """Exposure to Russian revisionism from the ethnic Russian share of the population.

    Walt (1987): a patron that invades a neighbour to "protect Russian speakers" becomes a threat
    to every member with a Russian minority. Exposure is the share relative to Ukraine's
    (the case the pretext was used on), capped at 1.
    """
    return cast(Real, np.minimum(russian_share / reference_share, 1.0))


def fear(threat_posture: Real, exposure: Real, regime_ties: Real, grievance: Real) -> Real:
    """How much a member fears Russia itself.

    Walt's balance of threat: Russia's threat posture times the member's exposure, damped by regime
    ties (a regime Moscow guarantees fears losing Moscow, not Moscow), combined with grievances
    from coercion as independent sources:
    ``1 - (1 - posture*exposure*(1 - regime))*(1 - grievance)``.
    """
    revisionism = threat_posture * exposure * (1.0 - regime_ties)
    return cast(Real, _unit(1.0 - (1.0 - revisionism) * (1.0 - grievance)))


def dependence(energy_transit: Real, security_ties: Real, economic_ties: Real) -> Real:
    """A member's dependence on Russia: the mean of its energy, security and economic ties.

    Each tie is both a lever Russia can pull and a cost of leaving (Hirschman 1970: the costlier
    exit, the later it comes). Regime ties are kept apart: they buy loyalty, not leverage.
    """
    return (energy_transit + security_ties + economic_ties) / 3.0


def preferred_alignment(
    trust: Real,
    capacity: Real,
    external_threat: Real,
    alternative: Real,
    regime_ties: Real,
    dependence: Real,
    fear: Real,
    sanctions_exposure: Real,
    outside_options: Real,
    weight_protection: Real,
    weight_regime: Real,
    weight_lockin: Real,
    weight_fear: Real,
    weight_sanctions: Real,
    weight_outside: Real,
    bias: Real,
    steepness: Real,
) -> Real:
    """The alignment a member would choose now: a logistic of staying's net value.

    ``U = w_p*threat*(trust*capacity - alternative) + w_r*regime*capacity
    + w_l*dependence*capacity - w_f*fear - w_s*sanctions - w_o*outside + bias`` and
    ``a* = 1 / (1 + exp(-steepness*U))``.

    Protection: a threatened state allies with whoever can protect it best (Walt 1987), so the
    protection motive is the threat times the gap between the protection Russia is trusted to
    deliver (trust x capacity; Snyder's reliability) and the best outside alternative on offer
    (``alternative``: outside powers' engagement, such as a Chinese pledge or an EU mission).
    An unreliable patron pushes a threatened member away. Regime survival pulls (patron-client
    bargains, Cha 2010); lock-in, the cost of exit that dependence imposes while Russia can
    still punish it, pulls (Hirschman 1970). Fear of Russia itself (Walt), the cost of being
    "placed in the same bag as Russia" by sanctions, and outside options already built (Kuik's
    hedging) push. With non-negative weights and steepness, ``a*`` never falls as trust,
    capacity, regime ties or dependence rise, never rises as the alternative, fear, sanctions
    exposure or outside options rise, and lies in ``[0, 1]``. ``U = 0`` is hedging, ``a* = 0.5``.
    """
    protection = external_threat * (trust * capacity - alternative)
    pull = (
        weight_protection * protection
        + weight_regime * regime_ties * capacity
        + weight_lockin * dependence * capacity
    )
    push = (
        weight_fear * fear
        + weight_sanctions * sanctions_exposure
        + weight_outside * outside_options
    )
    utility = pull - push + bias
    return cast(Real, 1.0 / (1.0 + np.exp(-steepness * utility)))  # type: ignore[redundant-cast]


# --- 6. Inertia and peer influence ---------------------------------------------------------------


def peer_mean(alignment: FloatArray) -> FloatArray:
    """Mean alignment of every other member, for each member (last axis is the members axis).

    Members watch each other: one member's defiance emboldens the rest (the article's
    "chip away wherever it is possible"; Axelrod & Bennett's aggregation by mutual pull).
    """
    count = alignment.shape[-1]
    total = alignment.sum(axis=-1, keepdims=True)
    result: FloatArray = (total - alignment) / (count - 1)
    return result


def alignment_after_month(
    alignment: Real, preferred: Real, peer: Real, inertia: Real, peer_weight: Real
) -> Real:
    """Alignment moves part-way toward the preferred level and toward the peers' mean.

    ``a' = a + (1 - inertia)*(a* - a) + peer_weight*(peer - a)``: foreign policy turns slowly
    (bureaucratic inertia, treaty commitments), and a member is pulled toward what its peers do
    (Vinogradova & Galam 2014). A convex combination of values in [0, 1] whenever
    ``(1 - inertia) + peer_weight <= 1``; clipped as a guard.
    """
    moved = alignment + (1.0 - inertia) * (preferred - alignment) + peer_weight * (peer - alignment)
    return cast(Real, _unit(moved))


# --- 7. Diversification --------------------------------------------------------------------------


def outside_availability(engagement: FloatArray) -> FloatArray:
    """How much outside backing a member can find: ``1 - prod_j(1 - engagement_j)``.

    ``engagement`` has the powers axis second to last and members last; each power's engagement
    is an independent chance of finding a partner (China, Turkey, the EU, the US).
    """
    result: FloatArray = 1.0 - np.prod(1.0 - engagement, axis=-2)
    return result


def engagement_after_month(
    engagement: Real, interest: Real, capacity: Real, responsiveness: Real
) -> Real:
    """Outside powers step into the space a weakened Russia leaves, as far as their interest goes.

    Engagement rises toward ``interest * (1 - capacity)`` at rate ``responsiveness`` and does
    not fall back within the horizon (missions, pledges and routes, once there, stay).
    """
    target = interest * (1.0 - capacity)
    return cast(Real, _unit(engagement + responsiveness * np.maximum(target - engagement, 0.0)))


def outside_options_after_month(
    outside_options: Real, available: Real, alignment: Real, grievance: Real, rate: Real
) -> Real:
    """Hedging members invest in outside options, faster when aggrieved, up to what is available.

    Kuik's hedging: insurance bought in proportion to doubt (``1 - alignment``); coercion's
    backfire speeds it (``1 + grievance``). Options never shrink here.
    """
    gap = np.maximum(available - outside_options, 0.0)
    return cast(Real, _unit(outside_options + rate * (1.0 - alignment) * (1.0 + grievance) * gap))


def tie_after_month(tie: Real, alignment: Real, outside_options: Real, decay: Real) -> Real:
    """A tie of dependence erodes as a hedging member uses outside options to replace it.

    "Chip away wherever it is possible" (Umarov, source article): a tie loses
    ``decay * (1 - alignment) * outside_options`` of itself a month (new export routes such
    as the Trans-Caspian one, new markets for migrants). It never grows here.
    """
    return cast(Real, _unit(tie * (1.0 - decay * (1.0 - alignment) * outside_options)))


# --- 8. Threat posture ---------------------------------------------------------------------------


def threat_posture_after_month(posture: Real, base: Real, decay: Real) -> Real:
    """Russia's threat posture relaxes back toward its scenario base after a shock."""
    return base + (posture - base) * decay


def threat_posture_after_shock(posture: Real, rise: Real) -> Real:
    """A mobilisation or escalation raises Russia's threat posture ``rise`` of the way to 1."""
    return cast(Real, _unit(posture + rise * (1.0 - posture)))


# --- 9. Collective action and cohesion -----------------------------------------------------------


def drill_held(
    host_alignment: Real,
    host_frozen: Flag,
    host_in_clash: Flag,
    participants: Real,
    threshold: Real,
    min_participants: Real,
) -> Any:
    """A joint drill happens only if its host is aligned, not fighting a partner, and enough come.

    Collective action needs the host's willingness (Kyrgyzstan pulled out of hosting the
    October 2022 drill while in a border war with Tajikistan) and a quorum of members whose
    alignment clears the threshold.
    """
    return (
        ~np.asarray(host_frozen)
        & ~np.asarray(host_in_clash)
        & (host_alignment >= threshold)
        & (participants >= min_participants)
    )


def action_record_after_drill(record: Real, held: Flag, learning: Real) -> Real:
    """The record of collective action: an exponential average of drills held (1) or not (0)."""
    return cast(Real, record + learning * (np.where(held, 1.0, 0.0) - record))  # type: ignore[redundant-cast]


def cohesion(
    alignment: FloatArray, frozen: BoolArray, action_record: Real, strain: Real, action_weight: Real
) -> Any:
    """The cohesion index: mean active alignment blended with collective action, less strain.

    ``C = (1 - strain) * ((1 - w) * mean(a * active) + w * action)``; a frozen member counts as
    zero. Cohesion is what the alliance can do together, not only what members say
    (Snyder 1984; Axelrod & Bennett's aggregation). Lies in [0, 1].
    """
    active_alignment = np.where(frozen, 0.0, alignment).mean(axis=-1)
    return (1.0 - strain) * (
        (1.0 - action_weight) * active_alignment + action_weight * action_record
    )


# --- 10. Freezing participation ------------------------------------------------------------------


def months_below_after_month(months_below: Real, alignment: Real, exit_threshold: Real) -> Real:
    """Count consecutive months a member's alignment has stayed under the exit threshold."""
    return cast(Real, np.where(alignment < exit_threshold, months_below + 1.0, 0.0))


def freezes(months_below: Real, frozen: Flag, freeze_after: Real) -> Any:
    """A member freezes its participation once its alignment has stayed low for long enough.

    Hirschman's exit, delayed by loyalty: a government acts on a sustained stance, not a bad
    month. Freezing is absorbing within the horizon.
    """
    return ~np.asarray(frozen) & (months_below >= freeze_after)
