"""Validation that can fail: what the calibrated model predicts, checked against what it was
not fitted to, and broken models run through the same checks.

* **Posterior predictive check** (:func:`sim.calibrate.run.predictive_summary`): every target's
  statistic over the posterior, against its value.
* **Leave one target out** (:func:`leave_one_out`): for each target, the posterior fitted to
  all the others (from the same prior candidates, by rejection) predicts it; a target the rest
  cannot predict is one the model explains only by being fitted to it.
* **Patterns under the posterior** (:func:`patterns_under`): the article's patterns
  (:mod:`sim.validation.patterns`) with every run drawing its values from the posterior.
* **Mutants** (:func:`mutation_table`): each broken model of :mod:`sim.validation.mutants` is
  calibrated the same way, from the same prior candidates' seeds, and rejected if the targets
  favour the model over it (its acceptance over the model's below ``1 / evidence_ratio``: an
  ABC estimate of the Bayes factor, Kass & Raftery's "strong" evidence at 10), if its posterior
  misses a target the model's predicts, or if it fails an outcome pattern the model passes under
  its own posterior by more than two standard errors (a miss within sampling noise is no
  verdict). The table prints the share rejected; checks that only restate inputs (the
  explanation pattern) are shown, not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.calibrate.evaluate import Evaluated, Problem
from sim.calibrate.posterior import Posterior, read_posterior, weighted_quantiles
from sim.calibrate.run import predictive_summary, run_calibration
from sim.calibrate.smc import Settings, WorkFolder, distance, implausibility
from sim.scenario import Scenario, load
from sim.validation.mutants import MUTANTS, Mutant
from sim.validation.patterns import PatternResult, check_patterns

FloatArray = npt.NDArray[np.float64]


def stage_zero(work: Path) -> dict[str, Any]:
    """Every prior candidate a calibration ran (its stage 0), from its work folder."""
    folder = WorkFolder(work)
    parts = []
    batch = 0
    while (arrays := folder.load(0, batch)) is not None:
        parts.append(arrays)
        batch += 1
    if not parts:
        raise ValueError(f"{work}: no finished batches of stage 0")
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def leave_one_out(problem: Problem, settings: Settings, work: Path) -> list[dict[str, Any]]:
    """For each target, the prediction of the posterior fitted to all the others."""
    candidates = stage_zero(work)
    evaluated = Evaluated(candidates["mean"], candidates["variance"])
    score = implausibility(evaluated, problem, settings.discrepancy)
    rows = []
    for index, target in enumerate(problem.targets):
        others = [j for j in range(len(problem.targets)) if j != index]
        reduced = Problem(
            problem.scenario,
            problem.space,
            tuple(problem.targets[j] for j in others),
            problem.seeds,
            problem.steps,
        )
        plausible = score[:, others].max(axis=1) <= settings.cutoff
        close = distance(candidates["mean"][:, others], reduced, settings.discrepancy)
        accepted = plausible & (close <= settings.target_epsilon)
        predicted = candidates["mean"][accepted, index]
        if predicted.size < 20:
            rows.append(
                {"target": target.name, "accepted": int(predicted.size), "verdict": "too few"}
            )
            continue
        weights = np.full(predicted.size, 1.0 / predicted.size)
        low, high = weighted_quantiles(predicted, weights, (0.05, 0.95))
        spread = float(np.sqrt(predicted.var() + target.sd**2))
        z = (target.value - float(predicted.mean())) / spread if spread > 0 else 0.0
        rows.append(
            {
                "target": target.name,
                "kind": target.kind,
                "value": target.value,
                "predicted": float(predicted.mean()),
                "low": low,
                "high": high,
                "z": z,
                "accepted": int(predicted.size),
                "verdict": "predicted" if abs(z) <= 2.0 else "not predicted",
            }
        )
    return rows


def patterns_under(
    scenario: Scenario, posterior: Posterior | None, seeds: Sequence[int], seed: int = 0
) -> list[PatternResult]:
    """The article's patterns, every run with its own posterior draw (or the scenario's values
    if ``posterior`` is None)."""
    overrides = None if posterior is None else posterior.draw(len(seeds), seed)
    return check_patterns(scenario, seeds, overrides=overrides)


@dataclass
class ModelRecord:
    """How the model itself fares: the bar its mutants are held to."""

    acceptance: float
    patterns: list[PatternResult]
    predictive: list[dict[str, Any]]


@dataclass
class MutantVerdict:
    """How one broken model fared in the calibration's validation."""

    name: str
    breaks: str
    evidence_ratio: float
    """The model's acceptance over the mutant's (same prior seeds): an ABC Bayes factor."""
    missed_targets: list[str] = field(default_factory=list)
    failed_patterns: list[str] = field(default_factory=list)
    failed_explanations: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.evidence_ratio >= 10.0 or self.missed_targets or self.failed_patterns)

    @property
    def why(self) -> str:
        reasons = []
        if self.evidence_ratio >= 10.0:
            reasons.append(f"the targets favour the model {self.evidence_ratio:.0f} to 1")
        if self.missed_targets:
            reasons.append("misses " + ", ".join(self.missed_targets))
        if self.failed_patterns:
            reasons.append("fails " + ", ".join(self.failed_patterns))
        return "; ".join(reasons) if reasons else "passes every check"


def acceptance(work: Path, problem: Problem, settings: Settings) -> float:
    """Share of a calibration's prior candidates within the targets (the ABC evidence)."""
    candidates = stage_zero(work)
    evaluated = Evaluated(candidates["mean"], candidates["variance"])
    plausible = (
        implausibility(evaluated, problem, settings.discrepancy).max(axis=1) <= settings.cutoff
    )
    close = distance(candidates["mean"], problem, settings.discrepancy) <= settings.target_epsilon
    return float(np.mean(plausible & close))


def missed(rows: list[dict[str, Any]]) -> list[str]:
    """Targets whose value lies outside the posterior's 5-95% range widened by their sd."""
    return [
        row["target"]
        for row in rows
        if not row["low"] - row["sd"] <= row["value"] <= row["high"] + row["sd"]
    ]


def mutation_table(
    scenario_name: str,
    settings: Settings,
    folder: Path,
    seeds: Sequence[int],
    mutants: Sequence[Mutant] = MUTANTS,
) -> tuple[ModelRecord, list[MutantVerdict]]:
    """Calibrate the model and every mutant alike (in this process: a mutant's rules are
    patched here only), and judge each against what the model passes under its own posterior;
    returns the model's record and the verdicts."""
    baseline = load(scenario_name)

    def calibrate(name: str, scenario: Scenario) -> tuple[float, Posterior, list[dict[str, Any]]]:
        work = folder / f"{name}-work"
        result = run_calibration(scenario, settings, work=work, out=folder / f"{name}.posterior")
        problem = Problem(result.scenario, result.space, result.targets, (), scenario.horizon)
        rate = acceptance(work, problem, settings)
        rows = predictive_summary(
            result.targets, result.outcome.population.mean, result.outcome.population.weights
        )
        return rate, read_posterior(result.folder), rows

    model_rate, model_posterior, model_rows = calibrate("model", baseline)
    # a mutant is judged on what the model itself passes under its own posterior
    model_results = patterns_under(baseline, model_posterior, seeds)
    passed = {result.name for result in model_results if result.passed}
    predicted = {row["target"] for row in model_rows} - set(missed(model_rows))
    verdicts = []
    for mutant in mutants:
        with mutant.applied():
            scenario = mutant.scenario(baseline)
            rate, posterior, rows = calibrate(mutant.name, scenario)
            results = patterns_under(scenario, posterior, seeds)
        ratio = model_rate / rate if rate > 0 else float("inf")
        failed = [r for r in results if r.fails_clearly() and r.name in passed]
        verdicts.append(
            MutantVerdict(
                mutant.name,
                mutant.breaks,
                ratio,
                [name for name in missed(rows) if name in predicted],
                [r.name for r in failed if r.kind == "outcome"],
                [r.name for r in failed if r.kind != "outcome"],
            )
        )
    return ModelRecord(model_rate, model_results, model_rows), verdicts
