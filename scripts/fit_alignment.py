"""Calibrate the alignment logistic so October 2022 is a near-equilibrium of members' motives.

The article gives each member's alignment in October 2022 (``members.*.alignment``) and the
scenario gives every motive (trust, ties, fear, options). With the motive weights fixed at 1
(no prior reason to rank them), only the logistic's ``steepness`` and ``bias`` remain. They are
fitted by least squares on the logit scale so that each member's preferred alignment at the
start equals its observed alignment as closely as two numbers allow:

    logit(a_i) = steepness * U_i + steepness * bias,   U_i = pull_i - push_i (bias excluded).

Run ``scripts/uvrun python scripts/fit_alignment.py [SCENARIO]`` to print the fit and its
residuals; the baseline's
``mechanisms.alignment_bias`` and ``alignment_steepness`` are this fit, rounded.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

from sim.model import rules
from sim.scenario import Scenario, load, schema
from sim.scenario.inputs import build_inputs


@dataclass(frozen=True)
class Fit:
    steepness: float
    bias: float
    utility: dict[str, float]
    observed: dict[str, float]
    fitted: dict[str, float]


def initial_utility(scenario: Scenario) -> np.ndarray:
    """Each member's net value of staying at the start, before the bias."""
    inputs = build_inputs(scenario, steps=1)  # a batch of one run: take its row
    member = {key: value[0] for key, value in inputs.member.items()}
    mech = {key: value[0] for key, value in inputs.mechanism.items()}
    exposure = rules.exposure(member["russian_share"], mech["exposure_reference_share"])
    posture = np.full(len(schema.MEMBERS), inputs.russia["threat_posture"][0])
    fear = rules.fear(posture, exposure, member["regime_ties"], np.zeros(len(schema.MEMBERS)))
    dependence = rules.dependence(
        member["energy_transit"], member["security_ties"], member["economic_ties"]
    )
    capacity = inputs.capacity[0, 0]
    engagement: np.ndarray = inputs.interest[0] * (1.0 - capacity)
    alternative = rules.outside_availability(engagement)
    protection = member["external_threat"] * (member["trust"] * capacity - alternative)
    pull = (
        mech["weight_protection"] * protection
        + mech["weight_regime"] * member["regime_ties"] * capacity
        + mech["weight_lockin"] * dependence * capacity
    )
    push = (
        mech["weight_fear"] * fear
        + mech["weight_sanctions"] * member["sanctions_exposure"]
        + mech["weight_outside"] * member["outside_options"]
    )
    utility: np.ndarray = pull - push
    return utility


def fit(scenario: Scenario) -> Fit:
    """Least-squares fit of steepness and bias on the logit scale."""
    utility = initial_utility(scenario)
    observed = scenario_alignment(scenario)
    logit = np.log(observed / (1.0 - observed))
    slope, intercept = np.polyfit(utility, logit, 1)
    steepness = float(slope)
    bias = float(intercept / slope)
    fitted = 1.0 / (1.0 + np.exp(-steepness * (utility + bias)))
    names = schema.MEMBERS
    return Fit(
        steepness,
        bias,
        dict(zip(names, utility.tolist(), strict=True)),
        dict(zip(names, observed.tolist(), strict=True)),
        dict(zip(names, fitted.tolist(), strict=True)),
    )


def scenario_alignment(scenario: Scenario) -> np.ndarray:
    return np.array([scenario[f"members.{name}.alignment"] for name in schema.MEMBERS])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    scenario = load(args[0] if args else "baseline-2022")
    result = fit(scenario)
    print(f"steepness = {result.steepness:.3f}   bias = {result.bias:.3f}")
    print(f"{'member':<12}{'U (no bias)':>12}{'observed':>10}{'fitted':>10}")
    for name in schema.MEMBERS:
        print(
            f"{name:<12}{result.utility[name]:>12.3f}{result.observed[name]:>10.3f}"
            f"{result.fitted[name]:>10.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
