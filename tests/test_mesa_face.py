"""The Mesa model is a face over the engine's month: stepping it shows the engine's numbers.

A student who steps ``CSTOModel`` by hand and reads an agent's attributes must see exactly (not
to a tolerance) what :func:`sim.engine.simulate` computes for the same seed, because both call
the one month of :mod:`sim.model.step`; and a value an agent is given by hand is what the next
month starts from.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine import simulate
from sim.mesa.agents import Member, OutsidePower, Russia
from sim.mesa.model import CSTOModel
from sim.scenario import load, schema

MEMBER_VALUES = (
    "alignment",
    "preferred_alignment",
    "net_value",
    "trust",
    "outside_options",
    "outside_protection",
    "threat",
    "unanswered_voice",
    "voice_acts",
    "appeals_ignored",
    "driver_protection",
    "driver_peers",
)


@pytest.mark.parametrize("seed", [1, 17])
def test_stepping_the_mesa_model_shows_the_engines_numbers(seed: int) -> None:
    steps = 24
    batch = simulate(load("baseline-2022"), [seed], steps=steps, timeseries=True)
    assert batch.series is not None
    model = CSTOModel("baseline-2022", rng=seed, steps=steps)
    for step in range(1, steps + 1):
        model.step()
        assert model.capacity == batch.series["capacity"][0, step]
        assert model.cohesion == batch.series["cohesion"][0, step]
        for member in model.members:
            for name in MEMBER_VALUES:
                expected = batch.series[name][0, step, member.index]
                assert getattr(member, name) == expected, (step, member.name, name)
            assert member.dependence == batch.series["dependence"][0, step, member.index]
    assert model.cohesion == batch.final_cohesion[0]
    assert not model.running


def test_agents_are_typed_views_onto_the_state() -> None:
    model = CSTOModel("baseline-2022", rng=2, steps=3)
    assert len(model.agents_by_type[Member]) == len(schema.MEMBERS)
    assert len(model.agents_by_type[OutsidePower]) == len(schema.POWERS)
    assert len(model.agents_by_type[Russia]) == 1
    armenia = model.members[schema.MEMBERS.index("Armenia")]
    assert armenia.alignment == pytest.approx(0.6)
    assert armenia.entrapment_aversion == pytest.approx(1.0)
    assert armenia.proximity == pytest.approx(0.5)
    assert model.russia.capacity == model.capacity
    china = model.powers[schema.POWERS.index("China")]
    assert china.security_engagement.shape == (len(schema.MEMBERS),)
    assert china.economic_engagement.shape == (len(schema.MEMBERS),)
    kazakhstan = schema.MEMBERS.index("Kazakhstan")
    assert china.security_interest[kazakhstan] == pytest.approx(0.4)
    assert china.economic_interest[kazakhstan] == pytest.approx(0.6)


def test_a_value_set_by_hand_is_what_the_next_month_starts_from() -> None:
    """Setting Armenia's trust through its agent before the first step is the same run as
    starting from that trust in the scenario."""
    by_hand = CSTOModel("baseline-2022", rng=4, steps=12)
    by_hand.members[schema.MEMBERS.index("Armenia")].trust = 0.1
    by_hand.run()
    given = simulate(
        load("baseline-2022"), [4], {"members.Armenia.trust": np.array([0.1])}, steps=12
    )
    assert by_hand.cohesion == given.final_cohesion[0]
    for member in by_hand.members:
        assert member.alignment == given.final_alignment[0, member.index]
