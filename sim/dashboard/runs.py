"""Many replicates at once for the dashboard: bands over draws, outcomes, the parent compared.

Everything here runs on the batch engine (:func:`sim.engine.simulate`): 100 replicates of 36
months take tens of milliseconds, so the page can redraw its bands after every slider move.

**Draws.** A band is drawn over *draws*: runs that differ in what is uncertain. Today they
differ in their seed only (:class:`SeedDraws`: replicates under seeds derived from one master
seed, as ``csto run`` derives them). The extension point for a calibration's posterior is
:class:`ParameterDraws`: one run per posterior draw, each with its own parameter values (the
batch engine's ``overrides``, one value per run) and its own seed; a posterior table of dotted
paths handed to it gives bands over the posterior with no other change (see
``docs/dashboard.md``). :func:`posterior_draws` is where the dashboard will look for one; it
finds none until the calibration provides it.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import BatchResult, simulate
from sim.model.draws import derive_seeds
from sim.results.outcomes import COMPARED, REGISTRY, SUMMARY, Outcome
from sim.scenario import Scenario, schema
from sim.stats import describe, estimate

FloatArray = npt.NDArray[np.float64]

#: The quantiles of each band: the middle 90% and 50% of draws, and the median.
BAND_QUANTILES: Final = (0.05, 0.25, 0.5, 0.75, 0.95)
#: Most replicates the page runs at once (a few seconds of the batch engine).
MAX_REPLICATES: Final = 2000


class Draws(Protocol):
    """Where a band's runs come from: one seed per run and, optionally, per-run values."""

    @property
    def label(self) -> str:
        """What the band is over, in words ("100 replicates, master seed 1")."""
        ...

    def seeds(self) -> tuple[int, ...]:
        """One seed per run."""
        ...

    def overrides(self) -> Mapping[str, FloatArray] | None:
        """Dotted paths mapped to one value per run, or None if every run shares the
        scenario's values."""
        ...


@dataclass(frozen=True)
class SeedDraws:
    """Replicates of a scenario under seeds derived from a master seed (as ``csto run``)."""

    master_seed: int
    replicates: int

    @property
    def label(self) -> str:
        return f"{self.replicates} replicates, master seed {self.master_seed}"

    def seeds(self) -> tuple[int, ...]:
        return tuple(derive_seeds(self.master_seed, self.replicates))

    def overrides(self) -> Mapping[str, FloatArray] | None:
        return None


@dataclass(frozen=True)
class ParameterDraws:
    """Draws of parameter values, such as a calibration's posterior: ``values`` maps dotted
    paths to one value per draw; draw ``i`` runs with those values and the ``i``-th seed
    derived from ``master_seed``."""

    values: Mapping[str, Sequence[Any]]
    """Dotted paths to one value per draw (a structural variant's by name)."""
    master_seed: int
    name: str = "posterior"

    def __post_init__(self) -> None:
        lengths = {len(column) for column in self.values.values()}
        if len(lengths) != 1 or 0 in lengths:
            raise ValueError("parameter draws need the same, non-zero number of values per path")
        unknown = [path for path in self.values if schema.leaf(path) is None]
        if unknown:
            raise ValueError(f"parameter draws name no scenario value: {', '.join(unknown)}")

    @property
    def draws(self) -> int:
        return len(next(iter(self.values.values())))

    @property
    def label(self) -> str:
        return f"{self.draws} draws of the {self.name}, master seed {self.master_seed}"

    def seeds(self) -> tuple[int, ...]:
        return tuple(derive_seeds(self.master_seed, self.draws))

    def overrides(self) -> Mapping[str, FloatArray] | None:
        return {
            path: np.asarray(column, dtype=object if path.startswith("variants.") else np.float64)
            for path, column in self.values.items()
        }


def posterior_draws(scenario: Scenario, master_seed: int, count: int) -> ParameterDraws | None:
    """``count`` parameter sets drawn from the scenario's calibrated posterior (its own, or the
    one it inherits), each run under its own seed; None if it has none."""
    from sim.calibrate.posterior import posterior_for

    posterior = posterior_for(scenario)
    if posterior is None:
        return None
    drawn = posterior.draw(count, master_seed)
    if not drawn:
        return None
    return ParameterDraws(
        {path: list(values) for path, values in drawn.items()}, master_seed, "posterior"
    )


def run_draws(scenario: Scenario, draws: Draws, steps: int) -> BatchResult:
    """Every draw's run of a scenario, with its time series and events recorded. Values the
    scenario sets itself (a slider's, a child's) keep their setting over a posterior's draws."""
    overrides = draws.overrides()
    if overrides is not None and isinstance(draws, ParameterDraws):
        from sim.calibrate.posterior import posterior_for

        inherited = posterior_for(scenario)
        kept = set(inherited.kept) if inherited is not None else set()
        overrides = {path: values for path, values in overrides.items() if path not in kept}
    return simulate(
        scenario,
        draws.seeds(),
        overrides,
        steps=steps,
        timeseries=True,
        events=True,
    )


@dataclass(frozen=True)
class Bands:
    """Quantiles over draws of every recorded column at every step.

    ``alliance[name]`` has shape (quantiles, steps + 1); ``members[name]`` (quantiles,
    steps + 1, members). Quantiles are :data:`BAND_QUANTILES`.
    """

    start: str
    steps: int
    runs: int
    alliance: dict[str, FloatArray]
    members: dict[str, FloatArray]
    quantiles: tuple[float, ...] = BAND_QUANTILES

    def quantile(self, q: float) -> int:
        """The index of quantile ``q``."""
        return self.quantiles.index(q)


def bands(batch: BatchResult, quantiles: tuple[float, ...] = BAND_QUANTILES) -> Bands:
    """The bands of every column the batch's time series holds (NaN where a column has none,
    such as preferred alignment before the first month)."""
    if batch.series is None:
        raise ValueError("bands need the batch's time series: simulate(..., timeseries=True)")
    alliance: dict[str, FloatArray] = {}
    members: dict[str, FloatArray] = {}
    for name, values in batch.series.items():
        # A column undefined at a step is NaN in every run there, so plain quantiles suffice
        # (and are several times faster than nanquantile).
        table = np.quantile(values, quantiles, axis=0)
        (alliance if values.ndim == 2 else members)[name] = table
    return Bands(batch.start, batch.steps, batch.runs, alliance, members, quantiles)


def _numeric(outcome: Outcome) -> bool:
    return outcome.type in ("float", "bool") or (outcome.type == "int" and not outcome.nullable)


def outcome_table(batch: BatchResult, group: str = SUMMARY) -> pd.DataFrame:
    """The registry's numeric outcomes of a group over the batch's runs: ``outcome``, ``text``,
    ``mean``, ``ci_low``, ``ci_high`` (95% interval of the mean), ``low``, ``high`` (middle
    95% of runs). Outcomes the batch cannot compute (what they need was not recorded) are left
    out."""
    columns: dict[str, FloatArray] = {}
    texts: dict[str, str] = {}
    for outcome in REGISTRY.group(group):
        if not _numeric(outcome):
            continue
        try:
            columns[outcome.name] = outcome.values(batch).astype(np.float64)
        except ValueError:
            continue
        texts[outcome.name] = outcome.text
    long = pd.DataFrame(columns).melt(var_name="outcome", value_name="value")
    table = describe(long, "value", by=["outcome"]).set_index("outcome").loc[list(columns)]
    table.insert(0, "text", pd.Series(texts))
    return table.reset_index()[["outcome", "text", "mean", "ci_low", "ci_high", "low", "high"]]


def compared_outcomes(parent: BatchResult, tweak: BatchResult) -> pd.DataFrame:
    """The registry's ``compared`` outcomes of the tweak against its parent, run by run under
    the same seeds: ``outcome``, ``text``, ``parent``, ``tweak`` (means), ``difference`` (mean
    of the paired differences) and its 95% interval ``ci_low``, ``ci_high``."""
    if not np.array_equal(parent.seeds, tweak.seeds):
        raise ValueError("the tweak and its parent must run under the same seeds")
    rows: list[dict[str, Any]] = []
    for outcome in REGISTRY.group(COMPARED):
        if not _numeric(outcome):
            continue
        before = outcome.values(parent).astype(np.float64)
        after = outcome.values(tweak).astype(np.float64)
        paired = estimate(after - before)
        rows.append(
            {
                "outcome": outcome.name,
                "text": outcome.text,
                "parent": float(before.mean()),
                "tweak": float(after.mean()),
                "difference": paired.mean,
                "ci_low": paired.ci_low,
                "ci_high": paired.ci_high,
            }
        )
    columns = ["outcome", "text", "parent", "tweak", "difference", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Computed:
    """What the page shows of many replicates: the tweak's runs and bands, its parent's under
    the same draws, the outcomes and their differences, and how long it took."""

    scenario: Scenario
    parent: Scenario
    draws: Draws
    steps: int
    batch: BatchResult
    parent_batch: BatchResult
    bands: Bands
    parent_bands: Bands
    outcomes: pd.DataFrame
    compared: pd.DataFrame
    seconds: float = field(default=0.0, compare=False)


def compute(
    scenario: Scenario,
    parent: Scenario,
    draws: Draws,
    steps: int,
    parent_batch: BatchResult | None = None,
) -> Computed:
    """Run the tweak and its parent under the same draws and summarise both (``parent_batch``:
    the parent's runs if already computed, as they are while only the tweak changes)."""
    started = time.perf_counter()
    if scenario is parent and parent_batch is not None:
        batch = parent_batch
    else:
        batch = run_draws(scenario, draws, steps)
    if parent_batch is None:
        parent_batch = batch if scenario is parent else run_draws(parent, draws, steps)
    return Computed(
        scenario=scenario,
        parent=parent,
        draws=draws,
        steps=steps,
        batch=batch,
        parent_batch=parent_batch,
        bands=bands(batch),
        parent_bands=bands(parent_batch) if parent_batch is not batch else bands(batch),
        outcomes=outcome_table(batch),
        compared=compared_outcomes(parent_batch, batch),
        seconds=time.perf_counter() - started,
    )


# --- the results folder ----------------------------------------------------------------------


def write_results(
    scenario: Scenario, toml_text: str, draws: SeedDraws, steps: int, out: Path
) -> Path:
    """Write the tweak's replicates as a ``csto run`` results folder under ``out`` and return
    it; ``scenario.toml`` (the tweak as a child scenario file) goes in it, and the manifest's
    command reruns that file. The same tweak, seed, replicates and steps give the same folder
    and data; an existing one is kept, not rewritten."""
    from sim.results import folder as output
    from sim.results import provenance
    from sim.results.replicates import run_replicates
    from sim.results.run import write_replicates

    run_id = output.new_run_id(draws.master_seed, draws.replicates, steps)
    target = output.results_folder(out, scenario.name, run_id)
    if (target / "manifest.json").is_file():
        return target
    output.check_writable(target)
    started = provenance.now()
    runs = run_replicates(scenario, draws.master_seed, draws.replicates, steps)
    command = [
        "csto", "run", str(target / "scenario.toml"), "--seed", str(draws.master_seed),
        "--replicates", str(draws.replicates), "--steps", str(steps), "--out", str(out),
        "--no-posterior",
    ]  # fmt: skip
    write_replicates(
        runs,
        target,
        command=command,
        started=started,
        extra={"scenario.toml": toml_text},
    )
    return target


def zip_folder(folder: Path) -> bytes:
    """A results folder as a zip archive whose one top folder is the results folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, arcname=str(Path(folder.name) / path.relative_to(folder)))
    return buffer.getvalue()
