"""Property tests for the rules: bounds that must always hold and signs that theory fixes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import draws, rules

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
signed = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
weight = st.floats(min_value=0.0, max_value=5.0, allow_nan=False)
steepness = st.floats(min_value=0.1, max_value=20.0, allow_nan=False)
inertia = st.floats(min_value=0.5, max_value=0.99)

settings.register_profile("rules", max_examples=200, deadline=None)
settings.load_profile("rules")

#: A member and its world, all values in [0, 1]: what :func:`preferred` varies one at a time.
REFERENCE = {
    "trust": 0.5,
    "capacity": 0.5,
    "external_threat": 0.5,
    "outside_protection": 0.3,
    "regime_ties": 0.4,
    "dependence": 0.5,
    "intent": 0.3,
    "proximity": 1.0,
    "outside_options": 0.2,
    "sanctions_exposure": 0.3,
    "alignment": 0.5,
}


def terms(bandwagon: bool = False, weights: float = 1.0, **changes: float) -> np.ndarray:
    """The motive terms at the reference point, some inputs changed."""
    value = {**REFERENCE, **changes}
    coefficients = rules.motive_coefficients(
        external_threat=value["external_threat"],
        regime_ties=value["regime_ties"],
        proximity=value["proximity"],
        sanctions_exposure=value["sanctions_exposure"],
        bandwagon=bandwagon,
        weight_protection=weights,
        weight_regime=weights,
        weight_lockin=weights,
        weight_threat=weights,
        weight_outside=weights,
        weight_entrapment=weights,
    )
    states = rules.motive_states(
        trust=value["trust"],
        capacity=value["capacity"],
        dependence=value["dependence"],
        intent=value["intent"],
        outside_protection=value["outside_protection"],
        outside_options=value["outside_options"],
        alignment=value["alignment"],
    )
    return rules.motive_terms(coefficients, states)


def preferred(bandwagon: bool = False, **changes: float) -> float:
    return float(rules.preferred_alignment(rules.net_value(terms(bandwagon, **changes)), 1.5))


# --- staying against leaving ---------------------------------------------------------------------


@given(
    values=st.fixed_dictionaries({key: unit for key in REFERENCE}),
    w=weight,
    s=steepness,
    bandwagon=st.booleans(),
)
def test_preferred_alignment_stays_in_unit_interval(
    values: dict[str, float], w: float, s: float, bandwagon: bool
) -> None:
    net = rules.net_value(terms(bandwagon, weights=w, **values))
    assert 0.0 <= float(rules.preferred_alignment(net, s)) <= 1.0


@pytest.mark.parametrize(
    ("motive", "direction"),
    [
        ("trust", +1),
        ("capacity", +1),  # balancing: more capacity pulls more than the threat it adds
        ("regime_ties", +1),
        ("dependence", +1),  # more dependence never makes exit cheaper
        ("outside_protection", -1),
        ("intent", -1),
        ("outside_options", -1),
        ("sanctions_exposure", -1),
    ],
)
@given(low=unit, high=unit, context=st.tuples(unit, unit, unit))
def test_preferred_alignment_moves_the_way_theory_says(
    motive: str, direction: int, low: float, high: float, context: tuple[float, float, float]
) -> None:
    low, high = min(low, high), max(low, high)
    trust, regime, dependence = context
    setting = {"trust": trust, "regime_ties": regime, "dependence": dependence, "intent": 0.0}
    if motive == "capacity":
        setting["intent"] = 0.0  # with hostile intent, capacity also adds to the threat
    setting.pop(motive, None)
    at_low = preferred(**{**setting, motive: low})
    at_high = preferred(**{**setting, motive: high})
    assert (at_high - at_low) * direction >= -1e-15


@given(intent=unit, capacity=unit, proximity=unit)
def test_the_threat_pushes_a_balancer_away_and_pulls_a_bandwagoner_in(
    intent: float, capacity: float, proximity: float
) -> None:
    changes = {"intent": intent, "capacity": capacity, "proximity": proximity}
    threat = rules.MOTIVES.index("threat")
    assert terms(False, **changes)[threat] <= 0.0 <= terms(True, **changes)[threat]
    assert preferred(False, **changes) <= preferred(True, **changes)


@given(values=st.fixed_dictionaries({key: unit for key in REFERENCE}), bandwagon=st.booleans())
def test_with_no_russian_capacity_nothing_holds_a_member_in(
    values: dict[str, float], bandwagon: bool
) -> None:
    """Vinogradova & Galam's alpha -> 0: every pull of staying rests on capacity."""
    values["capacity"] = 0.0
    found = terms(bandwagon, **values)
    staying = [rules.MOTIVES.index(name) for name in ("protection", "regime", "lockin", "threat")]
    np.testing.assert_array_equal(found[staying], 0.0)
    assert float(rules.net_value(found)) <= 0.0
    assert preferred(bandwagon, **values) <= 0.5


@given(low=unit, high=unit)
def test_entrapment_grows_with_alignment(low: float, high: float) -> None:
    """Snyder, the member's side: standing closer to Russia costs more under sanctions."""
    entrapment = rules.MOTIVES.index("entrapment")
    at_low = terms(alignment=min(low, high))[entrapment]
    at_high = terms(alignment=max(low, high))[entrapment]
    assert at_high <= at_low <= 0.0


@given(
    motives=st.lists(st.floats(-2.0, 2.0), min_size=7, max_size=7),
    alignment=unit,
    s=steepness,
    inert=inertia,
)
def test_attribution_adds_up_to_the_move_toward_the_preferred_alignment(
    motives: list[float], alignment: float, s: float, inert: float
) -> None:
    values = np.array(motives)
    net = rules.net_value(values)
    target = rules.preferred_alignment(net, s)
    parts = rules.preference_attribution(values, net, target, np.float64(alignment), inert)
    assert parts.shape == (len(rules.MOTIVES) + 1,)
    assert float(parts.sum()) == pytest.approx((1.0 - inert) * (target - alignment), abs=1e-12)
    # a motive that pulls moves alignment up, one that pushes moves it down
    shares = parts[:-1]
    assert np.all(shares * values >= -1e-15)


@given(net=st.floats(-5.0, 5.0))
def test_discontent_is_leaving_worth_more_than_staying(net: float) -> None:
    assert bool(rules.discontented(net)) == (net < 0.0)


@given(energy=unit, security=unit, economic=unit, more=unit)
def test_dependence_is_the_mean_of_the_three_ties_and_grows_with_each(
    energy: float, security: float, economic: float, more: float
) -> None:
    value = float(rules.dependence(energy, security, economic))
    assert value == pytest.approx((energy + security + economic) / 3)
    assert float(rules.dependence(max(energy, more), security, economic)) >= value


# --- threat --------------------------------------------------------------------------------------


@given(posture=unit, revisionism=unit, grievance=unit, more=unit)
def test_hostile_intent_in_unit_interval_and_rises_with_posture_and_grievance(
    posture: float, revisionism: float, grievance: float, more: float
) -> None:
    intent = float(rules.hostile_intent(posture, revisionism, grievance))
    assert 0.0 <= intent <= 1.0
    assert float(rules.hostile_intent(max(posture, more), revisionism, grievance)) >= intent
    assert float(rules.hostile_intent(posture, revisionism, max(grievance, more))) >= intent


@given(exposure=unit, regime=unit, more=unit)
def test_regime_ties_damp_revisionism(exposure: float, regime: float, more: float) -> None:
    value = float(rules.revisionism(exposure, regime))
    assert 0.0 <= value <= exposure
    assert float(rules.revisionism(exposure, max(regime, more))) <= value


@given(capacity=unit, proximity=unit, intent=unit, more=unit)
def test_russias_threat_grows_with_power_proximity_and_intent(
    capacity: float, proximity: float, intent: float, more: float
) -> None:
    threat = float(rules.russian_threat(capacity, proximity, intent))
    assert 0.0 <= threat <= 1.0
    assert float(rules.russian_threat(0.0, proximity, intent)) == 0.0
    for bigger in (
        rules.russian_threat(max(capacity, more), proximity, intent),
        rules.russian_threat(capacity, max(proximity, more), intent),
        rules.russian_threat(capacity, proximity, max(intent, more)),
    ):
        assert float(bigger) >= threat


@given(share=unit, reference=st.floats(min_value=0.01, max_value=1.0))
def test_exposure_is_capped_at_one(share: float, reference: float) -> None:
    assert 0.0 <= float(rules.exposure(share, reference)) <= 1.0


# --- appeals, Russia's answers, trust ------------------------------------------------------------


@given(
    cost=unit, aversion=st.floats(0.0, 5.0), alignment=unit, penalty=st.floats(0.0, 5.0), more=unit
)
def test_russia_asks_more_of_drifting_allies_and_of_quarrels_it_fears(
    cost: float, aversion: float, alignment: float, penalty: float, more: float
) -> None:
    """Snyder, the patron's side: entrapment aversion raises the bar, loyalty lowers it."""
    bar = float(rules.required_capacity(cost, aversion, alignment, penalty))
    assert bar >= cost
    assert float(rules.required_capacity(cost, aversion, max(alignment, more), penalty)) <= bar
    assert float(rules.required_capacity(cost, aversion + more, alignment, penalty)) >= bar
    assert float(rules.required_capacity(cost, aversion, 1.0, penalty)) == pytest.approx(
        cost * (1 + aversion)
    )


@given(draw=unit, hazard=unit)
def test_a_crisis_arrives_when_the_draw_is_under_the_hazard(draw: float, hazard: float) -> None:
    assert bool(rules.crisis_arrives(draw, hazard)) == (draw < hazard)
    assert not rules.crisis_arrives(draw, 0.0)


@given(spare=unit, required=unit)
def test_russia_answers_when_its_spare_capacity_covers_the_bar(
    spare: float, required: float
) -> None:
    assert bool(rules.russia_answers(spare, required)) == (spare >= required)


@given(trust=unit, weight=unit, gain=unit, loss=unit)
def test_an_answer_never_lowers_trust_and_silence_never_raises_it(
    trust: float, weight: float, gain: float, loss: float
) -> None:
    answered = float(rules.trust_after_appeal(trust, True, weight, gain, loss))
    ignored = float(rules.trust_after_appeal(trust, False, weight, gain, loss))
    assert 0.0 <= ignored <= trust <= answered <= 1.0


@given(trust=unit, gain=unit, loss=unit, onlooker=unit)
def test_the_appellant_moves_at_least_as_much_as_an_onlooker(
    trust: float, gain: float, loss: float, onlooker: float
) -> None:
    own = float(rules.trust_after_appeal(trust, False, 1.0, gain, loss))
    watched = float(rules.trust_after_appeal(trust, False, onlooker, gain, loss))
    assert own <= watched


@given(capacity=unit, reserve=unit, committed=unit, more=unit)
def test_spare_capacity_is_never_negative_and_shrinks_with_commitments(
    capacity: float, reserve: float, committed: float, more: float
) -> None:
    spare = float(rules.spare_capacity(capacity, reserve, committed))
    assert 0.0 <= spare <= capacity
    assert float(rules.spare_capacity(capacity, reserve, committed + more)) <= spare


def test_any_capacity_above_zero_leaves_something_to_spend() -> None:
    """The reserve is a share: a floor below the old fixed reserve no longer starves Russia."""
    assert float(rules.spare_capacity(0.1, 0.2, 0.0)) == pytest.approx(0.08)


@given(trust=unit, gain=unit)
def test_answered_voice_never_lowers_trust(trust: float, gain: float) -> None:
    assert trust <= float(rules.trust_after_voice(trust, True, gain)) <= 1.0
    assert float(rules.trust_after_voice(trust, False, gain)) == trust


def test_unanswered_voice_counts_up_and_an_answer_resets_it() -> None:
    count = 0.0
    for voiced, answered in ((True, False), (False, False), (True, False), (True, False)):
        count = float(rules.unanswered_after_month(count, voiced, answered))
    assert count == 3.0
    assert float(rules.unanswered_after_month(count, True, True)) == 0.0


# --- exit ----------------------------------------------------------------------------------------


@given(loyalty=st.floats(0.0, 5.0), trust=unit, capacity=unit)
def test_loyaltys_bar_rests_on_capacity(loyalty: float, trust: float, capacity: float) -> None:
    bar = float(rules.loyalty_bar(loyalty, trust, capacity))
    assert bar >= 0.0
    assert float(rules.loyalty_bar(loyalty, trust, 0.0)) == 0.0


def test_exit_needs_leaving_to_win_unanswered_voice_and_a_turned_stance() -> None:
    ready = {
        "net_value": -0.3,
        "bar": 0.1,
        "unanswered": 2.0,
        "voice_before_exit": 2.0,
        "alignment": 0.2,
        "exit_threshold": 0.25,
        "frozen": False,
    }
    assert rules.exits(**ready)
    for change in (
        {"net_value": -0.05},  # leaving wins, but not by loyalty's bar
        {"unanswered": 1.0},  # voice not yet tried enough
        {"alignment": 0.3},  # stance not yet turned
        {"frozen": True},  # already out: no new exit
    ):
        assert not rules.exits(**{**ready, **change}), change


# --- peers ---------------------------------------------------------------------------------------

PAIRS = [(a, b) for a in range(5) for b in range(a + 1, 5)]
FIRST = np.array([a for a, _ in PAIRS])
SECOND = np.array([b for _, b in PAIRS])


def brute_force_pull(alignment: np.ndarray, affinity: np.ndarray, active: np.ndarray) -> np.ndarray:
    matrix = np.zeros((5, 5))
    for value, (a, b) in zip(affinity, PAIRS, strict=True):
        matrix[a, b] = matrix[b, a] = value
    pull = np.zeros(5)
    for i in range(5):
        weights = [matrix[i, j] * active[j] for j in range(5)]
        total = sum(abs(w) for w in weights)
        pull[i] = (
            sum(w * (alignment[j] - alignment[i]) for j, w in enumerate(weights)) / total
            if total
            else 0.0
        )
    return pull


@given(
    alignment=st.lists(unit, min_size=5, max_size=5),
    affinity=st.lists(signed, min_size=10, max_size=10),
    active=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_peer_pull_is_the_signed_affinity_weighted_gap(
    alignment: list[float], affinity: list[float], active: list[bool]
) -> None:
    values, ties, present = np.array(alignment), np.array(affinity), np.array(active)
    pull = rules.peer_pull(values, ties, present, FIRST, SECOND)
    np.testing.assert_allclose(pull, brute_force_pull(values, ties, present), atol=1e-12)
    assert np.all(np.abs(pull) <= 1.0 + 1e-12)


def test_a_rival_pushes_away_and_a_friend_pulls_toward() -> None:
    alignment = np.array([0.5, 0.8, 0.5, 0.5, 0.5])
    friend = np.zeros(10)
    friend[PAIRS.index((0, 1))] = 0.5
    rival = -friend
    active = np.ones(5, dtype=bool)
    assert rules.peer_pull(alignment, friend, active, FIRST, SECOND)[0] > 0
    assert rules.peer_pull(alignment, rival, active, FIRST, SECOND)[0] < 0
    # an inactive (exited) member pulls nobody
    gone = np.array([True, False, True, True, True])
    assert rules.peer_pull(alignment, friend, gone, FIRST, SECOND)[0] == 0.0


def test_uniform_peers_pull_toward_the_mean_of_the_others() -> None:
    alignment = np.array([[1.0, 0.0, 0.5, 0.5, 0.0], [0.2, 0.4, 0.6, 0.8, 1.0]])
    expected = np.array(
        [[np.mean(np.delete(row, i)) - row[i] for i in range(5)] for row in alignment]
    )
    np.testing.assert_allclose(rules.uniform_peer_pull(alignment), expected, atol=1e-15)


@given(
    alignment=unit,
    preferred_value=unit,
    pull=signed,
    inert=inertia,
    peer_weight=st.floats(0.0, 0.3),
)
def test_alignment_update_stays_in_unit_interval(
    alignment: float, preferred_value: float, pull: float, inert: float, peer_weight: float
) -> None:
    moved = float(rules.alignment_after_month(alignment, preferred_value, pull, inert, peer_weight))
    assert 0.0 <= moved <= 1.0
    without = float(rules.alignment_after_month(alignment, preferred_value, 0.0, inert, 0.0))
    assert (
        min(alignment, preferred_value) - 1e-12
        <= without
        <= max(alignment, preferred_value) + 1e-12
    )


@given(affinity=signed, base=signed, loss=unit, recovery=unit)
def test_affinity_heals_toward_its_base_and_a_clash_sours_it(
    affinity: float, base: float, loss: float, recovery: float
) -> None:
    healed = float(rules.affinity_after_month(affinity, base, False, loss, recovery))
    soured = float(rules.affinity_after_month(affinity, base, True, loss, recovery))
    assert -1.0 <= soured <= healed <= 1.0
    assert min(affinity, base) - 1e-12 <= healed <= max(affinity, base) + 1e-12


# --- hazards and Russia's policing ---------------------------------------------------------------


@given(hazard=unit, low=unit, high=unit, policing=st.floats(0.0, 10.0), reference=unit)
def test_clashes_grow_likelier_as_russias_policing_capacity_falls(
    hazard: float, low: float, high: float, policing: float, reference: float
) -> None:
    weak = float(rules.policed_hazard(hazard, min(low, high), policing, reference))
    strong = float(rules.policed_hazard(hazard, max(low, high), policing, reference))
    assert 0.0 <= strong <= weak <= 1.0
    assert float(rules.policed_hazard(hazard, reference, policing, reference)) == pytest.approx(
        min(hazard, 1.0)
    )


@given(strain=unit, clashes=st.integers(0, 10), severity=unit, decay=unit)
def test_strain_in_unit_interval_and_clashes_add_to_it(
    strain: float, clashes: int, severity: float, decay: float
) -> None:
    after = float(rules.strain_after_month(strain, float(clashes), severity, decay))
    quiet = float(rules.strain_after_month(strain, 0.0, severity, decay))
    assert 0.0 <= quiet <= after <= 1.0


@given(trust=unit, loss=unit)
def test_a_clash_never_raises_trust(trust: float, loss: float) -> None:
    assert 0.0 <= float(rules.trust_after_clash(trust, True, loss)) <= trust


# --- coercion ------------------------------------------------------------------------------------


@given(alignment=unit, low=unit, high=unit, effect=unit)
def test_coercion_pulls_more_the_more_capacity_russia_has(
    alignment: float, low: float, high: float, effect: float
) -> None:
    leverage = 0.5
    weak = float(rules.alignment_after_coercion(alignment, min(low, high), leverage, effect))
    strong = float(rules.alignment_after_coercion(alignment, max(low, high), leverage, effect))
    assert alignment <= weak <= strong <= 1.0


@given(grievance=unit, backfire=unit, decay=unit)
def test_coercion_never_lowers_grievance_and_time_never_raises_it(
    grievance: float, backfire: float, decay: float
) -> None:
    assert grievance <= float(rules.grievance_after_coercion(grievance, backfire)) <= 1.0
    assert 0.0 <= float(rules.grievance_after_month(grievance, decay)) <= grievance


def test_coercion_needs_a_drifting_member_spare_capacity_and_the_draw() -> None:
    assert rules.coercion_attempted(0.5, 0.7, 0.1, 0.02, 0.1, 0.2)
    assert not rules.coercion_attempted(0.8, 0.7, 0.1, 0.02, 0.1, 0.2)
    assert not rules.coercion_attempted(0.5, 0.7, 0.01, 0.02, 0.1, 0.2)
    assert not rules.coercion_attempted(0.5, 0.7, 0.1, 0.02, 0.3, 0.2)


# --- outside powers and diversification ----------------------------------------------------------


@given(engagement=unit, interest=unit, capacity=unit, responsiveness=unit, step=unit)
def test_engagement_never_falls_and_never_passes_the_interest(
    engagement: float, interest: float, capacity: float, responsiveness: float, step: float
) -> None:
    engagement = min(engagement, interest)  # engagement starts at most at the interest
    after = float(rules.engagement_after_month(engagement, interest, capacity, responsiveness))
    stepped = float(rules.engagement_after_step_in(engagement, interest, step))
    assert engagement <= after <= interest + 1e-12
    assert engagement <= stepped <= interest + 1e-12


def test_outside_availability_combines_powers_as_independent_chances() -> None:
    engagement = np.array([[0.5, 0.0], [0.5, 0.2]])  # powers x members
    np.testing.assert_allclose(rules.outside_availability(engagement), [0.75, 0.2])


@given(outside=unit, available=unit, alignment=unit, grievance=unit, rate=st.floats(0.0, 0.5))
def test_outside_options_grow_toward_what_is_available(
    outside: float, available: float, alignment: float, grievance: float, rate: float
) -> None:
    after = float(rules.outside_options_after_month(outside, available, alignment, grievance, rate))
    assert outside <= after <= max(outside, available) + 1e-12


@given(tie=unit, alignment=unit, outside=unit, decay=unit)
def test_ties_only_erode_and_faster_for_a_hedger_with_options(
    tie: float, alignment: float, outside: float, decay: float
) -> None:
    replacing = float(rules.replacement(alignment, outside))
    assert 0.0 <= replacing <= 1.0
    after = float(rules.tie_after_month(tie, replacing, decay))
    assert 0.0 <= after <= tie
    loyal = float(rules.tie_after_month(tie, rules.replacement(1.0, outside), decay))
    assert loyal == tie


# --- capacity ------------------------------------------------------------------------------------


@given(
    initial=unit,
    drain=st.floats(0.0, 0.2),
    floor=st.floats(0.0, 0.5),
    shock_month=st.integers(0, 40),
    shock=unit,
)
def test_capacity_path_stays_between_its_bounds_and_never_rises_without_recovery(
    initial: float, drain: float, floor: float, shock_month: int, shock: float
) -> None:
    months = np.arange(36, dtype=np.float64)
    path = rules.capacity_path(
        months, initial, drain, floor, 1.0, float(shock_month), shock, np.inf, 0.0
    )
    assert path.min() >= min(floor, initial) - 1e-12
    assert path.max() <= 1.0
    assert np.all(np.diff(path) <= 1e-12)


def test_capacity_path_recovers_after_the_ceasefire_month() -> None:
    months = np.arange(24, dtype=np.float64)
    path = rules.capacity_path(months, 0.5, 0.01, 0.1, 1.0, np.inf, 0.0, 12.0, 0.02)
    assert path[12] == pytest.approx(0.5 - 0.12)
    assert np.all(np.diff(path[:13]) < 0) and np.all(np.diff(path[12:]) > 0)


@given(posture=unit, base=unit, decay=unit, rise=unit)
def test_threat_posture_relaxes_toward_its_base_and_a_shock_raises_it(
    posture: float, base: float, decay: float, rise: float
) -> None:
    relaxed = float(rules.threat_posture_after_month(posture, base, decay))
    assert min(posture, base) - 1e-12 <= relaxed <= max(posture, base) + 1e-12
    assert posture <= float(rules.threat_posture_after_shock(posture, rise)) <= 1.0


# --- collective action ---------------------------------------------------------------------------


def test_drill_needs_russia_a_willing_host_at_peace_and_a_quorum() -> None:
    assert rules.drill_held(True, True, False, 3.0, 3.0)
    assert not rules.drill_held(False, True, False, 3.0, 3.0)  # Russia cannot take part
    assert not rules.drill_held(True, False, False, 3.0, 3.0)  # the host refuses
    assert not rules.drill_held(True, True, True, 3.0, 3.0)  # the host is in a clash
    assert not rules.drill_held(True, True, False, 2.0, 3.0)  # too few come


@given(record=unit, outcome=unit, learning=unit)
def test_action_record_stays_between_its_past_and_the_latest_outcome(
    record: float, outcome: float, learning: float
) -> None:
    after = float(rules.action_record_after(record, outcome, learning))
    assert min(record, outcome) - 1e-12 <= after <= max(record, outcome) + 1e-12


@given(
    alignment=st.lists(unit, min_size=5, max_size=5),
    frozen=st.lists(st.booleans(), min_size=5, max_size=5),
    action=unit,
    strain=unit,
    weight_=unit,
)
def test_cohesion_in_unit_interval_and_exit_never_raises_it(
    alignment: list[float], frozen: list[bool], action: float, strain: float, weight_: float
) -> None:
    values = np.array(alignment)
    value = float(rules.cohesion(values, np.array(frozen), action, strain, weight_))
    none_frozen = float(rules.cohesion(values, np.zeros(5, bool), action, strain, weight_))
    assert 0.0 <= value <= none_frozen <= 1.0


# --- draws ---------------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**64 - 1))
def test_draws_are_uniform_and_depend_only_on_the_run_seed(seed: int) -> None:
    keys = draws.run_keys([seed, 12345])
    together = draws.uniforms(keys, draws.CRISIS, 12, 5)
    alone = draws.uniforms(draws.run_keys([seed]), draws.CRISIS, 12, 5)
    assert np.array_equal(together[0], alone[0])
    assert together.min() >= 0.0 and together.max() < 1.0


@given(seed=st.integers(0, 2**64 - 1), month=st.integers(0, 119), stream=st.integers(0, 3))
def test_a_months_draws_equal_that_month_of_all_draws(seed: int, month: int, stream: int) -> None:
    keys = draws.run_keys([seed, 7])
    every = draws.uniforms(keys, stream, month + 1, 10)
    np.testing.assert_array_equal(every[:, month], draws.month_uniforms(keys, stream, month, 10))


def test_draw_streams_are_independent_and_look_uniform() -> None:
    keys = draws.run_keys(np.arange(2000))
    crisis = draws.uniforms(keys, draws.CRISIS, 36, 5).ravel()
    clash = draws.uniforms(keys, draws.CLASH, 36, 5).ravel()
    voice = draws.uniforms(keys, draws.VOICE, 36, 5).ravel()
    assert abs(crisis.mean() - 0.5) < 0.005
    assert abs(np.corrcoef(crisis, clash)[0, 1]) < 0.01
    assert abs(np.corrcoef(crisis, voice)[0, 1]) < 0.01
    counts, _ = np.histogram(crisis, bins=10, range=(0, 1))
    assert counts.min() > 0.97 * crisis.size / 10


def test_derived_seeds_are_fixed_by_the_master_seed() -> None:
    assert draws.derive_seeds(7, 5) == draws.derive_seeds(7, 5)
    assert draws.derive_seeds(7, 5)[:3] == draws.derive_seeds(7, 3)
    assert len(set(draws.derive_seeds(7, 1000))) == 1000
    with pytest.raises(ValueError, match="non-negative"):
        draws.derive_seeds(-1, 2)


def test_every_rule_is_tested_here() -> None:
    """A new rule in sim/model/rules.py gets its property test in this file."""
    import inspect

    source = inspect.getsource(inspect.getmodule(test_every_rule_is_tested_here))  # type: ignore[arg-type]
    public = [
        name
        for name, value in vars(rules).items()
        if inspect.isfunction(value)
        and value.__module__ == rules.__name__
        and not name.startswith("_")
    ]
    untested = [name for name in public if f"rules.{name}(" not in source]
    assert untested == [], untested
