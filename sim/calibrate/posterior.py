"""A calibrated posterior on disk, beside its scenario, and draws from it.

``scenarios/<name>.posterior/`` holds ``particles.parquet`` (one row per particle: every
calibrated value by its dotted path, each structural variant by name, the weight and the
distance to the targets) and ``manifest.json`` (what was calibrated: the scenario and the
digest of its files, the targets file and its digest, the settings and seed, the method, the
variant probabilities, the diagnostics, versions and times). It is checked when read: a missing,
corrupt or stale posterior (its scenario's files changed since) is a clear one-line error.

A scenario that ``extends`` a calibrated one inherits its posterior — except for the values the
child sets itself, which stay as the child sets them (:meth:`Posterior.for_scenario` says which).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from sim.scenario import Scenario, load, schema

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]

PARTICLES: Final = "particles.parquet"
MANIFEST: Final = "manifest.json"
WEIGHT: Final = "weight"
DISTANCE: Final = "distance"
FORMAT: Final = 1


class PosteriorError(ValueError):
    """A posterior that cannot be used, with a one-line reason naming the file."""


def weighted_quantiles(
    values: FloatArray, weights: FloatArray, levels: Sequence[float]
) -> tuple[float, ...]:
    """Quantiles of weighted values (the smallest value whose cumulative weight reaches each
    level)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order]) / weights.sum()
    last = len(values) - 1
    return tuple(
        float(values[order][min(int(np.searchsorted(cumulative, level)), last)]) for level in levels
    )


def folder_of(scenario_file: str | Path) -> Path:
    """Where a scenario file's posterior lives: ``<file without .toml>.posterior/``."""
    path = Path(scenario_file)
    return path.with_name(f"{path.stem}.posterior")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Posterior:
    """Weighted particles over a scenario's uncertain values and structural variants."""

    scenario: str
    """Name of the scenario calibrated."""
    digest: str
    """Digest of the calibrated scenario's files when it was calibrated."""
    values: Mapping[str, FloatArray]
    """Each calibrated value by dotted path: one entry per particle."""
    variants: Mapping[str, npt.NDArray[np.object_]]
    """Each structural variant's choice per particle (``variants.threat_response``, ...)."""
    weights: FloatArray
    manifest: Mapping[str, Any] = field(default_factory=dict)
    kept: tuple[str, ...] = ()
    """Calibrated values a child scenario sets itself (so they are not drawn)."""

    @property
    def size(self) -> int:
        return int(self.weights.shape[0])

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.values)

    def variant_probabilities(self) -> dict[str, float]:
        """Posterior probability of each combination of variants, ``"balance, affinity"``."""
        labels = [
            ", ".join(str(self.variants[f"variants.{name}"][i]) for name in schema.VARIANTS)
            for i in range(self.size)
        ]
        result: dict[str, float] = {}
        for label, weight in zip(labels, self.weights, strict=True):
            result[label] = result.get(label, 0.0) + float(weight)
        return dict(sorted(result.items(), key=lambda item: -item[1]))

    def draw(self, count: int, seed: int) -> dict[str, npt.NDArray[Any]]:
        """``count`` parameter sets drawn by weight (with replacement), as overrides for
        :func:`sim.engine.simulate`: values by path and variants by name. The draw is fixed by
        ``seed``."""
        return self.at(self.choose(count, seed))

    def choose(self, count: int, seed: int) -> npt.NDArray[np.int64]:
        """The particles (rows of ``particles.parquet``) :meth:`draw` takes: ``count`` drawn by
        weight, with replacement, fixed by ``seed``."""
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5053]))
        return np.asarray(rng.choice(self.size, size=count, p=self.weights), dtype=np.int64)

    def at(
        self, particles: npt.NDArray[np.int64], without: Collection[str] = ()
    ) -> dict[str, npt.NDArray[Any]]:
        """The values of some particles, as :meth:`draw` gives them (neither the kept paths
        nor those in ``without``)."""
        skipped = {*self.kept, *without}
        drawn: dict[str, npt.NDArray[Any]] = {
            path: values[particles] for path, values in self.values.items() if path not in skipped
        }
        for path, choices in self.variants.items():
            if path not in skipped:
                drawn[path] = choices[particles]
        return drawn

    def record(self) -> dict[str, Any]:
        """What a results folder's manifest says of the posterior its runs drew from."""
        return {
            "scenario": self.scenario,
            "digest": self.digest,
            "particles": self.size,
            "files": list(self.manifest.get("files", ())),
            "kept": list(self.kept),
        }

    def mean(self, path: str) -> float:
        return float(self.weights @ self.values[path])

    def interval(self, path: str, level: float = 0.9) -> tuple[float, float]:
        """A central weighted interval of one value."""
        low, high = weighted_quantiles(
            self.values[path], self.weights, ((1 - level) / 2, (1 + level) / 2)
        )
        return low, high

    def for_scenario(self, scenario: Scenario, calibrated_files: int) -> Posterior:
        """This posterior as a scenario inherits it: values set anywhere but the first
        ``calibrated_files`` files of its chain (in the child's own file, a file between it and
        the calibrated scenario, or by :meth:`Scenario.with_values`) are kept as set, not
        drawn."""
        calibrated = set(scenario.files[:calibrated_files])
        kept = tuple(
            path
            for path in (*self.values, *self.variants)
            if path in scenario.values and scenario.values[path].file not in calibrated
        )
        return Posterior(
            self.scenario,
            self.digest,
            self.values,
            self.variants,
            self.weights,
            self.manifest,
            kept,
        )


def write_posterior(
    folder: Path,
    scenario: Scenario,
    values: Mapping[str, FloatArray],
    variants: Mapping[str, Sequence[str]],
    weights: FloatArray,
    distances: FloatArray,
    manifest: Mapping[str, Any],
) -> Path:
    """Write a posterior folder atomically (the particles, then the manifest with their hash)."""
    import pandas as pd

    from sim.results.folder import write_folder

    table: dict[str, Any] = {path: np.asarray(column) for path, column in values.items()}
    for path, column in variants.items():
        table[path] = np.asarray(column, dtype=object)
    table[WEIGHT] = weights
    table[DISTANCE] = distances
    frame = pd.DataFrame(table)

    def make(hashes: dict[str, str]) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "posterior",
            "scenario": scenario.name,
            "digest": scenario.digest,
            "files": [Path(file).name for file in scenario.files],
            **dict(manifest),
            "file_hashes": hashes,
        }

    return write_folder(folder, {PARTICLES: frame}, force=True, manifest=make)


def read_posterior(folder: Path) -> Posterior:
    """A posterior folder read back and checked (a :class:`PosteriorError` otherwise)."""
    manifest_file = folder / MANIFEST
    particles_file = folder / PARTICLES
    if not folder.is_dir():
        raise PosteriorError(f"{folder}: no posterior (run `csto calibrate` to make one)")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PosteriorError(
            f"{manifest_file}: missing (the posterior folder is incomplete)"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PosteriorError(f"{manifest_file}: not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "posterior":
        raise PosteriorError(
            f"{manifest_file}: not a posterior's manifest (expected kind 'posterior')"
        )
    if manifest.get("format") != FORMAT:
        raise PosteriorError(
            f"{manifest_file}: format {manifest.get('format')!r} (expected {FORMAT}); recalibrate"
        )
    expected = (manifest.get("file_hashes") or {}).get(PARTICLES)
    if not particles_file.is_file():
        raise PosteriorError(f"{particles_file}: missing (the posterior folder is incomplete)")
    if expected is not None and file_digest(particles_file) != expected:
        raise PosteriorError(f"{particles_file}: does not match its manifest's hash (corrupt)")
    import pandas as pd

    try:
        frame = pd.read_parquet(particles_file)
    except Exception as error:  # pyarrow raises several kinds for a damaged file
        raise PosteriorError(f"{particles_file}: cannot be read ({type(error).__name__})") from None
    for column in (WEIGHT, DISTANCE):
        if column not in frame:
            raise PosteriorError(f"{particles_file}: no '{column}' column")
    weights = frame[WEIGHT].to_numpy(np.float64)
    if len(weights) == 0 or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise PosteriorError(f"{particles_file}: weights must be finite and non-negative")
    weights = weights / weights.sum()
    variant_paths = [f"variants.{name}" for name in schema.VARIANTS]
    values: dict[str, FloatArray] = {}
    for name in map(str, frame.columns):
        if name in (WEIGHT, DISTANCE) or name in variant_paths:
            continue
        spec = schema.leaf(name)
        if spec is None or not spec.sweepable:
            raise PosteriorError(f"{particles_file}: column '{name}' is no scenario value")
        numbers = frame[name].to_numpy(np.float64)
        if not np.all(np.isfinite(numbers)):
            raise PosteriorError(f"{particles_file}: column '{name}' holds non-finite values")
        values[name] = numbers
    variants: dict[str, npt.NDArray[np.object_]] = {}
    for variant in variant_paths:
        if variant not in frame:
            raise PosteriorError(f"{particles_file}: no '{variant}' column")
        choices = frame[variant].to_numpy(object)
        spec = schema.leaf(variant)
        assert spec is not None
        unknown = set(choices) - set(spec.choices)
        if unknown:
            raise PosteriorError(f"{particles_file}: '{variant}' holds {sorted(map(str, unknown))}")
        variants[variant] = choices
    return Posterior(
        str(manifest["scenario"]), str(manifest["digest"]), values, variants, weights, manifest
    )


def posterior_for(scenario: Scenario) -> Posterior | None:
    """The posterior a scenario uses: its own, else the nearest calibrated ancestor's (with the
    child's own values kept); None if no file in its chain has one. A posterior whose scenario
    changed since it was calibrated is an error, not silently used."""
    for position in range(len(scenario.files) - 1, -1, -1):
        folder = folder_of(scenario.files[position])
        if not folder.exists():
            continue
        posterior = read_posterior(folder)
        calibrated = (
            scenario if position == len(scenario.files) - 1 else load(scenario.files[position])
        )
        if calibrated.digest != posterior.digest:
            raise PosteriorError(
                f"{folder}: stale (scenario {calibrated.name} changed since it was calibrated); "
                f"run `csto calibrate {calibrated.name}` again"
            )
        return posterior.for_scenario(scenario, position + 1)
    return None


def frame_of(posterior: Posterior) -> pd.DataFrame:
    """The particles as a table (values, variants, weight)."""
    import pandas as pd

    table: dict[str, Any] = dict(posterior.values)
    table.update(posterior.variants)
    table[WEIGHT] = posterior.weights
    return pd.DataFrame(table)
