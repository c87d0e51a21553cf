"""A calibration from start to finish: the work folder, the search, the posterior on disk.

:func:`run_calibration` is what ``csto calibrate`` calls: it reads the scenario and its targets,
keeps every finished batch in a work folder (``results/calibrations/<scenario>-seed<N>/``, so a
rerun of the same command resumes), runs :func:`sim.calibrate.smc.calibrate`, and writes the
posterior beside the scenario (:mod:`sim.calibrate.posterior`) with its diagnostics.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.calibrate import posterior as posterior_module
from sim.calibrate.evaluate import Problem, evaluator
from sim.calibrate.posterior import file_digest
from sim.calibrate.smc import Outcome, Progress, Settings, WorkFolder, calibrate, settings_record
from sim.calibrate.space import MODELS, VARIANT_NAMES, Space, space_of
from sim.calibrate.targets import Target, check_against, default_path, read_targets
from sim.model.draws import derive_seeds
from sim.results import provenance
from sim.scenario import Scenario, load, schema

FloatArray = npt.NDArray[np.float64]


class CalibrationError(ValueError):
    """A calibration that cannot start or resume, with a one-line reason."""


@dataclass(frozen=True)
class Calibration:
    """A finished calibration: where its posterior is and what it found."""

    scenario: Scenario
    folder: Path
    outcome: Outcome
    space: Space
    targets: tuple[Target, ...]
    seconds: float
    resumed: bool

    @property
    def variant_probabilities(self) -> dict[str, float]:
        population = self.outcome.population
        result: dict[str, float] = {}
        for model in range(len(MODELS)):
            label = ", ".join(
                schema.VARIANTS[name][choice]
                for name, choice in zip(VARIANT_NAMES, MODELS[model], strict=True)
            )
            result[label] = float(population.weights[population.models == model].sum())
        return result


def work_folder_for(scenario: Scenario, seed: int, root: Path = Path("results")) -> Path:
    """Where a calibration keeps its finished batches: ``results/calibrations/<name>-seed<N>``."""
    return root / "calibrations" / f"{scenario.name}-seed{seed}"


def _identity(scenario: Scenario, targets_file: Path, settings: Settings) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "digest": scenario.digest,
        "targets": str(targets_file),
        "targets_digest": file_digest(targets_file),
        "settings": settings_record(settings),
    }


def _open_work(folder: Path, identity: dict[str, Any]) -> bool:
    """Create the work folder, or check an existing one belongs to this calibration; True if
    it already held work (a resume)."""
    record = folder / "work.json"
    if record.exists():
        try:
            existing = json.loads(record.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CalibrationError(f"{record}: damaged; delete {folder} to start again") from None
        if existing != identity:
            changed = sorted(key for key in identity if existing.get(key) != identity[key])
            raise CalibrationError(
                f"{folder}: holds a calibration with other {', '.join(changed)}; use another "
                "--work folder or delete it to start again"
            )
        return any(folder.glob("stage-*/batch-*.npz"))
    if folder.exists() and any(folder.iterdir()):
        raise CalibrationError(f"{folder}: not empty and not a calibration's work folder")
    folder.mkdir(parents=True, exist_ok=True)
    temporary = record.with_name(".work.json.tmp")
    temporary.write_text(json.dumps(identity, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(record)
    return False


def run_calibration(
    scenario: str | Path | Scenario,
    settings: Settings,
    *,
    workers: int = 1,
    targets: Path | None = None,
    work: Path | None = None,
    out: Path | None = None,
    progress: Progress | None = None,
    command: list[str] | None = None,
    only: list[str] | None = None,
    fixed: list[str] | None = None,
) -> Calibration:
    """Calibrate a scenario (resuming any finished batches) and write its posterior."""
    started_at = provenance.now()
    started = time.perf_counter()
    resolved = scenario if isinstance(scenario, Scenario) else load(scenario)
    targets_file = targets if targets is not None else default_path(resolved.name)
    chosen = read_targets(targets_file)
    check_against(chosen, resolved.start, resolved.horizon, targets_file)
    try:
        settings.check()
    except ValueError as error:
        raise CalibrationError(str(error)) from None
    space = space_of(resolved, fixed=fixed, only=only)
    if space.size == 0:
        what = f" matching {', '.join(only)}" if only else ""
        raise CalibrationError(f"{resolved.name}: no value{what} has a range to calibrate")
    problem = Problem(
        resolved,
        space,
        chosen,
        tuple(derive_seeds(settings.seed, settings.replicates)),
        resolved.horizon,
    )
    folder = work if work is not None else work_folder_for(resolved, settings.seed)
    identity = {**_identity(resolved, targets_file, settings), "values": list(space.paths)}
    resumed = _open_work(folder, identity)
    with evaluator(problem, workers) as evaluate:
        outcome = calibrate(problem, settings, evaluate, WorkFolder(folder), progress)
    seconds = time.perf_counter() - started
    destination = out if out is not None else posterior_module.folder_of(resolved.files[-1])
    population = outcome.population
    values = space.values(population.unit)
    model_table = np.asarray(MODELS)[population.models]
    variants = {
        f"variants.{name}": [schema.VARIANTS[name][choice] for choice in model_table[:, index]]
        for index, name in enumerate(VARIANT_NAMES)
    }
    result = Calibration(resolved, destination, outcome, space, chosen, seconds, resumed)
    posterior_module.write_posterior(
        destination,
        resolved,
        {path: values[:, index] for index, path in enumerate(space.paths)},
        variants,
        population.weights,
        population.distance,
        {
            "targets": provenance.display_path(targets_file),
            "targets_digest": file_digest(targets_file),
            "settings": settings_record(settings),
            "seeds": list(problem.seeds),
            "method": outcome.method,
            "stopped": outcome.stopped,
            "runs": outcome.runs,
            "seconds": round(seconds, 1),
            "ruled_out": outcome.ruled_out,
            "ruled_out_by": outcome.ruled_out_by,
            "variant_probabilities": result.variant_probabilities,
            "moved_by_targets": [
                path for path, active in zip(space.paths, outcome.active, strict=True) if active
            ],
            "generations": [
                {
                    "stage": g.stage,
                    "epsilon": g.epsilon,
                    "proposed": g.proposed,
                    "accepted": g.accepted,
                    "acceptance": g.acceptance,
                    "runs": g.runs,
                    "ess": g.ess,
                    "seconds": round(g.seconds, 2),
                }
                for g in outcome.generations
            ],
            "predictive": predictive_summary(chosen, population.mean, population.weights),
            "versions": provenance.package_versions(),
            "commit": provenance.git_commit(),
            "command": command or [],
            "started": started_at,
            "finished": provenance.now(),
        },
    )
    return result


def predictive_summary(
    targets: tuple[Target, ...], mean: FloatArray, weights: FloatArray
) -> list[dict[str, Any]]:
    """For each target: its value, and the posterior's weighted mean and 5-95% range of the
    statistic (means over replicates) — the posterior predictive check's numbers."""
    rows = []
    for index, target in enumerate(targets):
        column = mean[:, index]
        low, high = posterior_module.weighted_quantiles(column, weights, (0.05, 0.95))
        rows.append(
            {
                "target": target.name,
                "kind": target.kind,
                "value": target.value,
                "sd": target.sd,
                "posterior_mean": float(weights @ column),
                "low": low,
                "high": high,
            }
        )
    return rows
