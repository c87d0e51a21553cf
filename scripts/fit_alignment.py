"""Provisional calibration of the motive weights: October 2022 as a near-equilibrium.

The article gives each member's alignment in October 2022
(``calibration/baseline-2022-targets.toml``); the scenario gives every motive (trust, ties,
threat, options) from the end of August 2022 and replays September's events. This script asks:
which motive weights and which steepness of the alignment logistic make the members' preferred
alignments in October 2022 (step 2) as close as possible to their judged alignments, i.e. make
the article's picture a near-equilibrium of the members' own motives?

Since ``logit(a*_i) = steepness * sum_j w_j u_ij`` (``u_ij`` the motive terms at unit weight,
the entrapment term taken at the judged alignment), the fit minimises, over the six weights and
the steepness within their stated ranges,

    sum_i ((logit(a*_i) - logit(a_i)) / sd_i)**2  +  sum_j (log w_j / log 2)**2,

the second term a weak pull of every weight toward 1 (no prior reason to rank motives; a factor
of 2 either way is one standard deviation). Five judgements cannot pin seven numbers: this is
a provisional default, not a calibration; ``csto calibrate`` (docs/calibration.md) replaces it
with a posterior over every uncertain value. The October 2022 state depends a little on the
weights (the first two months move alignment), so the fit is repeated until it settles.

Run ``scripts/uvrun python scripts/fit_alignment.py [SCENARIO]`` to print the fit and its
residuals; the baseline's weights and ``alignment_steepness`` are this fit, rounded.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import numpy as np
from scipy import optimize

from sim.engine import simulate
from sim.model import rules
from sim.model.state import State, draw, initial_state
from sim.model.step import Setting, advance
from sim.scenario import Scenario, load, schema
from sim.scenario.inputs import build_inputs, build_plan

WEIGHTS = (
    "weight_protection",
    "weight_regime",
    "weight_lockin",
    "weight_threat",
    "weight_outside",
    "weight_entrapment",
)
#: Which weight scales each motive of :data:`sim.model.rules.MOTIVES`.
MOTIVE_WEIGHT = dict(
    zip(
        rules.MOTIVES,
        (WEIGHTS[0], WEIGHTS[1], WEIGHTS[2], WEIGHTS[3], WEIGHTS[0], WEIGHTS[4], WEIGHTS[5]),
        strict=True,
    )
)
SEEDS = 200
TARGETS = Path(__file__).resolve().parent.parent / "calibration" / "baseline-2022-targets.toml"


def october_state(scenario: Scenario, seeds: int = SEEDS) -> State:
    """The state at the end of the target month for ``seeds`` runs."""
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))
    from sim.scenario import month_index

    steps = month_index(scenario.start, targets["month"]) + 1
    plan = build_plan(scenario, steps)
    inputs = build_inputs(scenario, steps, runs=seeds)
    state = initial_state(inputs)
    setting = Setting(plan, inputs, draw(np.arange(seeds, dtype=np.uint64), steps))
    for step in range(1, steps + 1):
        advance(state, setting, step)
    return state


def unit_terms(scenario: Scenario, state: State, judged: np.ndarray) -> np.ndarray:
    """Median motive terms at unit weight, shape (members, motives)."""
    inputs = build_inputs(scenario, runs=state.runs)
    unit = {name: np.ones((state.runs, 1)) for name in WEIGHTS}
    intent = rules.hostile_intent(
        state.threat_posture[:, np.newaxis], inputs.revisionism, state.grievance
    )
    coefficients = rules.motive_coefficients(
        external_threat=inputs.member["external_threat"],
        regime_ties=inputs.member["regime_ties"],
        proximity=inputs.member["proximity"],
        sanctions_exposure=inputs.member["sanctions_exposure"],
        bandwagon=inputs.bandwagon[:, np.newaxis],
        **unit,
    )
    terms = rules.motive_terms(
        coefficients,
        rules.motive_states(
            trust=state.trust,
            capacity=state.capacity[:, np.newaxis],
            dependence=state.dependence,
            intent=intent,
            outside_protection=state.outside_protection,
            outside_options=state.outside_options,
            alignment=np.broadcast_to(judged, state.alignment.shape),
        ),
    )
    result: np.ndarray = np.median(terms, axis=0)
    return result


def fit(scenario: Scenario, rounds: int = 4) -> tuple[Scenario, dict[str, float], np.ndarray]:
    targets = tomllib.loads(TARGETS.read_text(encoding="utf-8"))["alignment"]
    judged = np.array([targets[name]["value"] for name in schema.MEMBERS])
    sd = np.array([targets[name]["sd"] for name in schema.MEMBERS])
    # logit's slope at a: 1 / (a (1 - a)); an sd on the 0-1 scale becomes one on the logit scale
    logit_target = np.log(judged / (1.0 - judged))
    logit_sd = sd / (judged * (1.0 - judged))
    bounds = [scenario.values[f"mechanisms.{name}"] for name in (*WEIGHTS, "alignment_steepness")]
    box = [(np.log(value.low), np.log(value.high)) for value in bounds]
    current = scenario
    chosen: dict[str, float] = {}
    for _ in range(rounds):
        terms = unit_terms(current, october_state(current), judged)
        columns = np.stack(
            [terms[:, [m == w for m in MOTIVE_WEIGHT.values()]].sum(axis=1) for w in WEIGHTS],
            axis=1,
        )

        def loss(params: np.ndarray, columns: np.ndarray = columns) -> float:
            weights, steepness = np.exp(params[:-1]), np.exp(params[-1])
            residual = (steepness * columns @ weights - logit_target) / logit_sd
            prior = params[:-1] / np.log(2.0)
            return float(residual @ residual + prior @ prior)

        start = np.log(
            [current[f"mechanisms.{name}"] for name in (*WEIGHTS, "alignment_steepness")]
        )
        result = optimize.minimize(loss, start, bounds=box, method="L-BFGS-B")
        chosen = {
            f"mechanisms.{name}": round(float(np.exp(value)), 2)
            for name, value in zip((*WEIGHTS, "alignment_steepness"), result.x, strict=True)
        }
        current = scenario.with_values(chosen, origin="fit_alignment")
    return current, chosen, judged


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "baseline-2022"
    scenario, chosen, judged = fit(load(name))
    for path, value in chosen.items():
        print(f"{path} = {value}")
    state = october_state(scenario)
    preferred = np.median(state.preferred_alignment, axis=0)
    alignment = np.median(state.alignment, axis=0)
    print("\nmember        judged  preferred (fit)  simulated alignment, October 2022")
    for index, member in enumerate(schema.MEMBERS):
        print(
            f"{member:12s}  {judged[index]:.2f}    {preferred[index]:.2f}"
            f"             {alignment[index]:.2f}"
        )
    final = simulate(scenario, range(100)).final_alignment.mean(axis=0)
    print(
        "\nmean final alignment (100 seeds):",
        dict(zip(schema.MEMBERS, final.round(2), strict=True)),
    )


if __name__ == "__main__":
    main()
