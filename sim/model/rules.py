"""The model's mechanisms, each a small pure function over numpy arrays.

Every rule works the same on one member of one run (Python floats), on all members of one run
(shape ``(members,)``) and on a whole batch of runs (shape ``(runs, members)``): the month of
:mod:`sim.model.step` calls them on arrays with a leading runs axis, for the batch engine and
for the Mesa model alike.

Each docstring states the mechanism and the theory it rests on; ``docs/model.md`` collects them.
Values called ``alignment``, ``trust``, ``capacity``, ``engagement`` and the ties of dependence
live in ``[0, 1]``, ``affinity`` in ``[-1, 1]``; every rule that returns one of them keeps it
there.

The model's central premise (Vinogradova & Galam 2014): every pull of the alliance on a member
is carried by Russia's capacity. Protection, the regime guarantee and the cost of exit are each
scaled by capacity ``K``; so is the threat Russia poses. As ``K`` goes to zero the alliance's
pull goes with it and the members' own relations, outside partners and interests take over.
"""

from __future__ import annotations

from typing import Any, Final, TypeVar, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: A real number or an array of them. ``np.float64`` is a subclass of ``float``.
Real = TypeVar("Real", float, FloatArray)
Flag = TypeVar("Flag", bool, BoolArray)

#: The motives a member weighs, in the order :func:`motive_terms` stacks them. The first three
#: (and the threat, for a bandwagoning member) are reasons to stay; the rest reasons to leave.
MOTIVES: Final = (
    "protection",
    "regime",
    "lockin",
    "threat",
    "outside_protection",
    "markets",
    "entrapment",
)


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
    + recovery * max(0, m - m_rec), min(floor, initial), ceiling)``.

    The war absorbs men, money and attention at a steady rate (the "draining war" of the
    source article); a mobilisation or a battlefield defeat is a one-off drop; after a
    ceasefire at ``m_rec`` the drain stops and capacity is rebuilt. Absent a shock or recovery
    the month is ``inf``. The floor bounds the drain: a path that starts below its floor (a
    constant capacity of 0.01, say) stays where it starts. This is Vinogradova & Galam's (2014)
    weakening factor alpha(t) on the patron's pull, made an explicit path. Parameters may carry
    a leading runs axis; the result has shape ``params.shape + months.shape``.
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
    result: FloatArray = np.minimum(np.maximum(rebuilt, np.minimum(low, k0)), high)
    return result


def spare_capacity(capacity: Real, reserve_share: Real, committed: Real) -> Real:
    """Capacity Russia can still send this month: what it has, less reserve and commitments.

    Russia keeps a share of whatever it has for its own borders and regime security and never
    spends it on allies (``K * (1 - reserve_share)`` is what it could send); what it has already
    committed this month is not available again. Never negative. A share, not a fixed amount,
    so any capacity above zero leaves something to spend.
    """
    return cast(Real, np.maximum(capacity * (1.0 - reserve_share) - committed, 0.0))


# --- 2. Crises, clashes and Russia's policing ----------------------------------------------------


def crisis_arrives(draw: Real, hazard: Real) -> Any:
    """A crisis (border war, attack, unrest) arrives when the month's draw is under its hazard.

    Crises are a Poisson-like process with a monthly hazard per member or per pair of members;
    the draw is fixed up front from the run's seed (common random numbers), so two scenarios
    face the same crises wherever their hazards agree.
    """
    return draw < hazard


def policed_hazard(
    hazard: Real, capacity: Real, policing_effect: Real, reference_capacity: Real
) -> Real:
    """A monthly hazard as Russia's capacity to police the region allows it.

    ``hazard * (1 + p * (1 - K)) / (1 + p * (1 - K_ref))``: the article's Russia as the
    region's "policeman and power broker", whose role "appears to be eroding". The hazards are
    counted over 2021-2022, when Russia's capacity averaged ``K_ref``; a Russia with nothing
    left (``K = 0``) makes clashes ``1 + p`` times as likely as a Russia at full strength. Never
    negative, at most 1; rises as capacity falls for ``p >= 0``.
    """
    scale = (1.0 + policing_effect * (1.0 - capacity)) / (
        1.0 + policing_effect * (1.0 - reference_capacity)
    )
    return cast(Real, np.minimum(hazard * scale, 1.0))


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


def affinity_after_month(
    affinity: Real, base: Real, clashed: Flag, loss: Real, recovery: Real
) -> Real:
    """A pair's affinity: it heals toward its long-run level and a clash sours it.

    Axelrod & Bennett's (1993) landscape rests on signed propensities between actors; here they
    move. Each month the pair closes ``recovery`` of the gap to its ``base`` affinity; a clash
    then moves it ``loss`` of the way to -1 (open enmity). Stays in [-1, 1].
    """
    healed = affinity + recovery * (base - affinity)  # between the two: stays in [-1, 1]
    if not np.any(clashed):
        return healed
    soured = healed - loss * (1.0 + healed)  # toward -1, never past it
    return cast(Real, np.where(clashed, soured, healed))


# --- 3. Appeals: Snyder's dilemma, the patron's side ---------------------------------------------


def required_capacity(
    cost: Real, entrapment_aversion: Real, alignment: Real, drift_penalty: Real
) -> Real:
    """Capacity Russia requires before it answers an appeal.

    ``required = cost * (1 + aversion) * (1 + drift_penalty * (1 - alignment))``. Snyder's
    (1984) alliance security dilemma from the patron's side: Russia fears entrapment in its
    clients' quarrels and will not fight a partner it courts (Azerbaijan, with which it signed
    a declaration on allied interaction in February 2022): the aversion raises the bar. And a
    patron abandons a client that is drifting away before one that is loyal: the less aligned
    the appellant, the higher the bar. Non-decreasing in cost and aversion, non-increasing in
    alignment.
    """
    return cost * (1.0 + entrapment_aversion) * (1.0 + drift_penalty * (1.0 - alignment))


def russia_answers(spare: Real, required: Real) -> Any:
    """Russia answers an appeal (or a member's voice) when its spare capacity covers the bar.

    Patron-client (hub-and-spoke) alliances (Cha 2010): protection and favours are the
    patron's side of the bargain, delivered only when the patron can afford them.
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


# --- 4. Outside powers ---------------------------------------------------------------------------


def engagement_after_month(
    engagement: Real, interest: Real, capacity: Real, responsiveness: Real
) -> Real:
    """Outside powers step into the space a weakened Russia leaves, as far as their interest goes.

    Engagement (security or economic, each with its own interest) rises toward
    ``interest * (1 - capacity)`` at rate ``responsiveness`` and does not fall back within the
    horizon (missions, pledges, routes and markets, once there, stay). Never above the interest.
    """
    target = interest * (1.0 - capacity)
    # no clip needed: the step is non-negative and at most the gap to a target in [0, 1]
    step = responsiveness * np.maximum(target - engagement, 0.0)
    return cast(Real, engagement + step)  # type: ignore[redundant-cast]


def engagement_after_step_in(engagement: Real, interest: Real, step_in: Real) -> Real:
    """An outside power steps in where Russia left an appeal (or gave a pledge) unanswered.

    The EU and France mediated for Armenia after the CSTO sent no aid (source article). Security
    engagement closes ``step_in`` of its gap to the power's interest: a power steps in only as
    far as it cares about that member, never beyond.
    """
    return cast(Real, _unit(engagement + step_in * np.maximum(interest - engagement, 0.0)))


def outside_availability(engagement: FloatArray) -> FloatArray:
    """How much outside backing a member can find: ``1 - prod_j(1 - engagement_j)``.

    ``engagement`` has the powers axis second to last and members last; each power's engagement
    is an independent chance of finding a partner (China, Turkey, the EU, the US).
    """
    missing = 1.0 - engagement[..., 0, :]
    for power in range(1, engagement.shape[-2]):
        missing = missing * (1.0 - engagement[..., power, :])
    result: FloatArray = 1.0 - missing
    return result


# --- 5. Coercion ---------------------------------------------------------------------------------


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
    leverage`` of the way to full alignment, so a drained Russia coerces weakly. A negative
    ``effect`` (a mutant in which pressure repels) is allowed and clipped to [0, 1].
    """
    return cast(Real, _unit(alignment + effect * capacity * leverage * (1.0 - alignment)))


def grievance_after_coercion(grievance: Real, backfire: Real) -> Real:
    """Coercion may backfire: it leaves a grievance that feeds the threat and diversification.

    Walt (1987): perceived aggressive intentions drive balancing. Each coercion adds
    ``backfire`` of the way to 1 to the member's grievance; the grievance decays slowly.
    """
    return cast(Real, _unit(grievance + backfire * (1.0 - grievance)))


def grievance_after_month(grievance: Real, decay: Real) -> Real:
    """Grievances fade: each month keeps ``decay`` of the last one."""
    return grievance * decay


# --- 6. Walt's balance of threat -----------------------------------------------------------------


def exposure(russian_share: Real, reference_share: Real) -> Real:
    """Exposure to Russian revisionism from the ethnic Russian share of the population.

    Walt (1987): a patron that invades a neighbour to "protect Russian speakers" becomes a threat
    to every member with a Russian minority. Exposure is the share relative to Ukraine's
    (the case the pretext was used on), capped at 1.
    """
    return cast(Real, np.minimum(russian_share / reference_share, 1.0))


def hostile_intent(threat_posture: Real, revisionism: Real, grievance: Real) -> Real:
    """How hostile a member judges Russia's intentions toward itself.

    Walt's perceived intentions: Russia's threat posture times the member's exposure to
    revisionism (:func:`revisionism`), combined with grievances from coercion as independent
    sources: ``1 - (1 - posture * revisionism) * (1 - grievance)``. In [0, 1].
    """
    return 1.0 - (1.0 - threat_posture * revisionism) * (1.0 - grievance)


def revisionism(exposure: Real, regime_ties: Real) -> Real:
    """How exposed a member is to Russian revisionism, as its government sees it.

    ``exposure * (1 - regime_ties)``: the Russian minority's exposure (:func:`exposure`),
    damped by regime ties (a regime Moscow guarantees fears losing Moscow, not Moscow).
    """
    return exposure * (1.0 - regime_ties)


def russian_threat(capacity: Real, proximity: Real, intent: Real) -> Real:
    """The threat Russia poses to a member: power and capability, proximity, intentions.

    Walt (1987) weighs four sources of threat. Russia's aggregate power and its offensive
    capability both drain with the war, and both are carried by its capacity ``K`` (a separate
    constant would only rescale the threat's weight); proximity is the member's own (a land
    border with Russia, or Russian forces on its soil); intentions are :func:`hostile_intent`.
    ``threat = K * proximity * intent``: a Russia with nothing left threatens nobody. In [0, 1].
    """
    return capacity * proximity * intent


# --- 7. Staying against leaving ------------------------------------------------------------------


def dependence(energy_transit: Real, security_ties: Real, economic_ties: Real) -> Real:
    """A member's dependence on Russia: the mean of its energy, security and economic ties.

    Each tie is both a lever Russia can pull and a cost of leaving (Hirschman 1970: the costlier
    exit, the later it comes). Regime ties are kept apart: they buy loyalty, not leverage.
    """
    return (energy_transit + security_ties + economic_ties) / 3.0


def motive_coefficients(
    external_threat: Real,
    regime_ties: Real,
    proximity: Real,
    sanctions_exposure: Real,
    bandwagon: Flag,
    weight_protection: Real,
    weight_regime: Real,
    weight_lockin: Real,
    weight_threat: Real,
    weight_outside: Real,
    weight_entrapment: Real,
) -> FloatArray:
    """The fixed part of each motive: its weight times the member's fixed inputs, signed.

    Stacked on a new last axis in the order of :data:`MOTIVES`; :func:`motive_terms` multiplies
    them by what changes month by month (:func:`motive_states`). Positive coefficients pull
    toward the alliance, negative ones push away; the threat's sign is the structural variant
    (+ for a bandwagoning member, - for a balancing one).
    """
    threat_sign = np.where(bandwagon, 1.0, -1.0)
    coefficients = np.broadcast_arrays(
        weight_protection * external_threat,
        weight_regime * regime_ties,
        weight_lockin * np.ones_like(regime_ties),
        threat_sign * weight_threat * proximity,
        -weight_protection * external_threat,
        -weight_outside * np.ones_like(regime_ties),
        -weight_entrapment * sanctions_exposure,
    )
    stacked: FloatArray = np.stack(coefficients, axis=-1)
    return stacked


def motive_states(
    trust: Real,
    capacity: Real,
    dependence: Real,
    intent: Real,
    outside_protection: Real,
    outside_options: Real,
    alignment: Real,
) -> FloatArray:
    """The part of each motive that changes month by month, in the order of :data:`MOTIVES`:
    ``trust * K``, ``K``, ``dependence * K``, ``K * intent``, outside protection, outside
    options, alignment (stacked on a new last axis)."""
    states = np.broadcast_arrays(
        trust * capacity,
        capacity,
        dependence * capacity,
        capacity * intent,
        outside_protection,
        outside_options,
        alignment,
    )
    stacked: FloatArray = np.stack(states, axis=-1)
    return stacked


def motive_terms(coefficients: FloatArray, states: FloatArray) -> FloatArray:
    """What pulls a member toward the alliance (+) and what pushes it away (-), by motive.

    The signed terms of :data:`MOTIVES` (coefficients times states, see
    :func:`motive_coefficients` and :func:`motive_states`); their sum is the net value of
    staying (:func:`net_value`). Staying is worth

    * protection Russia can still deliver, as far as the member trusts it:
      ``w_p * threat_ext * trust * K`` (Snyder's reliability; Walt: ally with whoever protects
      you best);
    * the regime guarantee: ``w_r * regime * K`` (patron-client bargains, Cha 2010);
    * the cost of exit while Russia can punish it: ``w_l * dependence * K`` (Hirschman 1970).

    Leaving is worth

    * outside protection actually on offer: ``w_p * threat_ext * outside_protection``;
    * outside markets and partners already built: ``w_o * outside_options`` (Kuik's hedging);
    * escape from entrapment: ``w_e * sanctions_exposure * alignment``, the cost of being
      "placed in the same bag as Russia", which grows with how closely the member stands by it
      (Snyder's fear of entrapment, the member's side).

    Russia's own threat (:func:`russian_threat`: ``K * proximity * intent``, weight ``w_t``)
    pushes a balancing member away and pulls a bandwagoning one in (Walt 1987: weak states next
    to a strong threat may appease it): the structural variant chooses. Every pull of staying
    carries ``K``: with ``K = 0`` nothing but a bandwagoner's threat (itself zero) holds a member
    in.
    """
    terms: FloatArray = coefficients * states
    return terms


def net_value(terms: FloatArray) -> FloatArray:
    """The net value of staying: the sum of the motive terms (last axis)."""
    # a product with ones: numpy sums a short last axis several times slower
    result: FloatArray = terms @ np.ones(terms.shape[-1])
    return result


def preferred_alignment(net_value: Real, steepness: Real) -> Real:
    """The alignment a member would choose now: a logistic of staying's net value.

    ``a* = 1 / (1 + exp(-steepness * N))``: ``N = 0`` (staying and leaving worth the same) is
    hedging, ``a* = 0.5``. No constant term: a value of staying that rests on nothing would
    hold members in a Russia with nothing left (the flaw of the model's first version). Rises
    with ``N``; in (0, 1).
    """
    return cast(Real, 1.0 / (1.0 + np.exp(-steepness * net_value)))  # type: ignore[redundant-cast]


def preference_attribution(
    terms: FloatArray,
    net: FloatArray,
    preferred: FloatArray,
    alignment: FloatArray,
    inertia: FloatArray,
) -> FloatArray:
    """The month's move toward the preferred alignment, split by motive (exactly additive).

    The move is ``(1 - inertia) * (a* - a)``. Because the motives enter ``a*`` only through
    their sum ``N``, each motive's share of ``a* - 1/2`` is its share of ``N``:
    ``(1 - inertia) * (a* - 1/2) * m_j / N``. What is left, ``(1 - inertia) * (1/2 - a)``, is
    the neutral pull: with no motive either way a member drifts toward hedging. Returns the
    motives' shares and the neutral pull on a new last axis (``len(MOTIVES) + 1``); they add up
    to the move. (As ``N -> 0``, ``(a* - 1/2) / N`` tends to ``steepness / 4``; the
    ratio is taken where ``|N|`` is tiny from ``a*`` itself, which is then 1/2 to rounding.)
    ``net`` is :func:`net_value` of ``terms``.
    """
    rate = 1.0 - inertia
    tiny = np.abs(net) < 1e-12
    ratio = np.where(tiny, 0.0, (preferred - 0.5) / np.where(tiny, 1.0, net))
    shares = terms * (rate * ratio)[..., np.newaxis]
    neutral = rate * (0.5 - alignment) + np.where(tiny, rate * (preferred - 0.5), 0.0)
    stacked: FloatArray = np.concatenate([shares, neutral[..., np.newaxis]], axis=-1)
    return stacked


# --- 8. Peers: who follows whom ------------------------------------------------------------------


def peer_pull(
    alignment: FloatArray,
    affinity: FloatArray,
    active: BoolArray,
    first: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
) -> FloatArray:
    """The pull of the other members on each member's alignment, by signed affinity.

    Axelrod & Bennett (1993): an actor is drawn toward those it likes and away from those it
    dislikes. ``pull_i = sum_j A_ij * (a_j - a_i) / sum_j |A_ij|`` over active members ``j``:
    a friend's defiance emboldens ("chip away wherever it is possible"), a rival's loyalty to
    Moscow pushes the other way (Kyrgyzstan and Tajikistan are not pulled together).
    ``affinity`` holds one value per pair (last axis), the pair of members ``first[p]`` and
    ``second[p]``. In [-1, 1]; 0 for a member with no ties to any active member.
    """
    members = alignment.shape[-1]
    to_first = np.eye(members)[first]  # (pairs, members): scatter a pair's value to its member
    to_second = np.eye(members)[second]
    gap = alignment[..., second] - alignment[..., first]
    toward_first = affinity * active[..., second]  # what the second member means to the first
    toward_second = affinity * active[..., first]
    pulled = (toward_first * gap) @ to_first - (toward_second * gap) @ to_second
    total = np.abs(toward_first) @ to_first + np.abs(toward_second) @ to_second
    result: FloatArray = np.where(total > 0, pulled / np.where(total > 0, total, 1.0), 0.0)
    return result


def uniform_peer_pull(alignment: FloatArray) -> FloatArray:
    """The structural alternative to :func:`peer_pull`: every other member pulls alike.

    ``pull_i = mean_j(a_j) - a_i`` over the other members, frozen ones included (the model's
    first version): peers matter, but not who they are.
    """
    count = alignment.shape[-1]
    total = alignment.sum(axis=-1, keepdims=True)
    result: FloatArray = (total - alignment) / (count - 1) - alignment
    return result


def alignment_after_month(
    alignment: Real, preferred: Real, pull: Real, inertia: Real, peer_weight: Real
) -> Real:
    """Alignment moves part-way toward the preferred level, and with its peers.

    ``a' = a + (1 - inertia)*(a* - a) + peer_weight*pull``: foreign policy turns slowly
    (bureaucratic inertia, treaty commitments, "a careful diluting of ties"), and a member
    moves with those it is close to (:func:`peer_pull`). Clipped to [0, 1].
    """
    moved = alignment + (1.0 - inertia) * (preferred - alignment) + peer_weight * pull
    return cast(Real, _unit(moved))


# --- 9. Diversification --------------------------------------------------------------------------


def outside_options_after_month(
    outside_options: Real, available: Real, alignment: Real, grievance: Real, rate: Real
) -> Real:
    """Hedging members build outside options, faster when aggrieved, up to what is on offer.

    Kuik's hedging: insurance bought in proportion to doubt (``1 - alignment``); coercion's
    backfire speeds it (``1 + grievance``). ``available`` is outside powers' economic
    engagement (:func:`outside_availability`). Options never shrink here.
    """
    gap = np.maximum(available - outside_options, 0.0)
    return cast(Real, _unit(outside_options + rate * (1.0 - alignment) * (1.0 + grievance) * gap))


def replacement(alignment: Real, outside_options: Real) -> Real:
    """How fast a member replaces its Russian ties: doubt times the options it has built.

    ``(1 - alignment) * outside_options``: "chip away wherever it is possible" (Umarov, source
    article): a hedging member with partners to turn to moves trade, routes and migrants to
    them. In [0, 1].
    """
    return (1.0 - alignment) * outside_options


def tie_after_month(tie: Real, replacement: Real, decay: Real) -> Real:
    """A tie of dependence erodes as a hedging member replaces it (:func:`replacement`).

    A tie loses ``decay * replacement`` of itself a month (new export routes such as the
    Trans-Caspian one, new markets for migrants). It never grows here; stays in [0, 1] for
    ``decay`` in [0, 1].
    """
    return tie * (1.0 - decay * replacement)


# --- 10. Threat posture --------------------------------------------------------------------------


def threat_posture_after_month(posture: Real, base: Real, decay: Real) -> Real:
    """Russia's threat posture relaxes back toward its scenario base after a shock."""
    return base + (posture - base) * decay


def threat_posture_after_shock(posture: Real, rise: Real) -> Real:
    """A mobilisation or escalation raises Russia's threat posture ``rise`` of the way to 1."""
    return cast(Real, _unit(posture + rise * (1.0 - posture)))


# --- 11. Voice, loyalty and exit (Hirschman 1970) ------------------------------------------------


def discontented(net_value: Real) -> Any:
    """A member is discontented when leaving is worth at least as much as staying (``N < 0``).

    Hirschman (1970): discontent is the condition for both voice and exit; which comes first
    depends on how cheap exit is and on loyalty.
    """
    return net_value < 0.0


def loyalty_bar(loyalty: Real, trust: Real, capacity: Real) -> Real:
    """How much more leaving must be worth than staying before a member exits.

    Hirschman's loyalty raises the price of exit while the member still expects the organisation
    to improve; here that expectation is trust in a Russia that can still act:
    ``bar = loyalty * trust * K``. It rests on Russia's capacity like every other pull: with
    ``K = 0`` loyalty holds nobody. Non-negative.
    """
    return loyalty * trust * capacity


def trust_after_voice(trust: Real, answered: Flag, gain: Real) -> Real:
    """Voice that Russia answers (a concession, mediation, a favour) restores some trust.

    Hirschman (1970): voice is the attempt to change the organisation from within; an answer
    shows it can still be changed. Trust rises ``gain`` of the way to 1 where answered.
    """
    return cast(Real, _unit(np.where(answered, trust + gain * (1.0 - trust), trust)))


def unanswered_after_month(unanswered: Real, voiced: Flag, answered: Flag) -> Real:
    """Count a member's voice acts that went unanswered since Russia last answered it."""
    counted = np.where(voiced & ~np.asarray(answered), unanswered + 1.0, unanswered)
    return cast(Real, np.where(answered, 0.0, counted))


def exits(
    net_value: Real,
    bar: Real,
    unanswered: Real,
    voice_before_exit: Real,
    alignment: Real,
    exit_threshold: Real,
    frozen: Flag,
) -> Any:
    """A member exits (freezes its participation) when leaving clearly beats staying.

    Hirschman (1970): exit is a decision, taken when the value of leaving exceeds the value of
    staying by more than loyalty's bar (:func:`loyalty_bar`), after voice has been tried and
    gone unanswered (``voice_before_exit`` acts), and once the member's public stance has
    already turned (alignment under ``exit_threshold``: governments do not walk out of an
    alliance they still praise). For a CSTO member, exit takes the form of freezing its
    participation; it is absorbing within the horizon.
    """
    return (
        ~np.asarray(frozen)
        & (net_value < -bar)
        & (unanswered >= voice_before_exit)
        & (alignment < exit_threshold)
    )


# --- 12. Collective action and cohesion ----------------------------------------------------------


def drill_held(
    russia_takes_part: Flag,
    host_willing: Flag,
    host_in_clash: Flag,
    participants: Real,
    min_participants: Real,
) -> Any:
    """A joint drill happens only if Russia can take part, the host is willing and at peace, and
    enough members come.

    Collective action in a hub-and-spoke alliance needs the hub (the October 2022 drill was "due
    to involve Russia"), the host's willingness (Kyrgyzstan pulled out of hosting it while in a
    border war with Tajikistan) and a quorum of members who turn up.
    """
    return (
        np.asarray(russia_takes_part)
        & np.asarray(host_willing)
        & ~np.asarray(host_in_clash)
        & (participants >= min_participants)
    )


def action_record_after(record: Real, outcome: Real, learning: Real) -> Real:
    """The record of collective action: an exponential average of outcomes in [0, 1].

    A drill's outcome is the share of active members who took part (0 if cancelled); a summit's
    the share who signed its declaration.
    """
    return record + learning * (outcome - record)


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
