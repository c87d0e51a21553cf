"""The space a calibration searches: every uncertain value of a scenario, and its variants.

Every numeric value a scenario gives a ``range`` (and a sweep may vary) is uncertain; its prior
is uniform over that range — the range is what the file says is plausible, and no more is
claimed. Whole-number values are drawn as reals and rounded when a run uses them. The
structural variants (``[variants]``) are a discrete model choice with a uniform prior over
their combinations: the calibration gives each combination a posterior probability.

Inside the calibration every value lives on the unit cube (0 at the range's low end, 1 at its
high end), so one perturbation kernel serves values of any scale.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from sim.scenario import Scenario, schema

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Every combination of the structural variants, as indices into ``schema.VARIANTS``.
VARIANT_NAMES: Final = tuple(schema.VARIANTS)
MODELS: Final = tuple(itertools.product(*(range(len(c)) for c in schema.VARIANTS.values())))


@dataclass(frozen=True)
class Space:
    """The uncertain values of one scenario: paths, ranges, and which are whole numbers."""

    paths: tuple[str, ...]
    low: FloatArray
    high: FloatArray
    whole: npt.NDArray[np.bool_]

    @property
    def size(self) -> int:
        return len(self.paths)

    def values(self, unit: FloatArray) -> FloatArray:
        """Points of the unit cube as scenario values (whole numbers rounded)."""
        scaled = self.low + unit * (self.high - self.low)
        result: FloatArray = np.where(self.whole, np.round(scaled), scaled)
        return result

    def unit(self, values: FloatArray) -> FloatArray:
        """Scenario values as points of the unit cube."""
        span = np.where(self.high > self.low, self.high - self.low, 1.0)
        result: FloatArray = (values - self.low) / span
        return result

    def overrides(self, unit: FloatArray, models: IntArray) -> dict[str, npt.NDArray[np.generic]]:
        """Overrides for :func:`sim.engine.simulate`: one value per run of every uncertain value
        and every structural variant."""
        values = self.values(unit)
        chosen: dict[str, npt.NDArray[np.generic]] = {
            path: values[:, index] for index, path in enumerate(self.paths)
        }
        model_table = np.asarray(MODELS, dtype=np.int64)[models]
        for index, name in enumerate(VARIANT_NAMES):
            chosen[f"variants.{name}"] = model_table[:, index]
        return chosen


def space_of(
    scenario: Scenario,
    fixed: Collection[str] | None = None,
    only: Sequence[str] | None = None,
) -> Space:
    """The uncertain values of ``scenario`` (those with a range), less any in ``fixed``; with
    ``only``, just those matching one of its patterns (``fnmatch``: ``mechanisms.weight_*``)."""
    paths: list[str] = []
    low: list[float] = []
    high: list[float] = []
    whole: list[bool] = []
    for path, value in scenario.values.items():
        spec = schema.leaf(path)
        if spec is None or not spec.sweepable or not value.has_range:
            continue
        if fixed is not None and path in fixed:
            continue
        if only is not None and not any(fnmatch.fnmatchcase(path, pattern) for pattern in only):
            continue
        assert value.low is not None and value.high is not None
        paths.append(path)
        low.append(value.low)
        high.append(value.high)
        whole.append(spec.kind == "int")
    return Space(tuple(paths), np.array(low), np.array(high), np.array(whole, dtype=bool))


def model_label(model: int) -> str:
    """A combination of structural variants in words: ``balance, affinity``."""
    choices = MODELS[model]
    return ", ".join(
        schema.VARIANTS[name][choice] for name, choice in zip(VARIANT_NAMES, choices, strict=True)
    )


def scenario_model(scenario: Scenario) -> int:
    """The combination of variants a scenario file chooses."""
    chosen = tuple(
        schema.VARIANTS[name].index(str(scenario[f"variants.{name}"])) for name in VARIANT_NAMES
    )
    return MODELS.index(chosen)
