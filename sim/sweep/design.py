"""Design points: a full grid, a Latin hypercube, Saltelli's Sobol samples or Morris trajectories.

Each design returns a matrix with one row per design point and one column per swept path, in
the order the runs are numbered (point = row index). Sobol and Morris rows are SALib's samples
in SALib's order, so ``SALib.analyze.sobol.analyze(problem, Y)`` (or Morris's, with the design
matrix as ``X``) can be called on the replicate-mean outcome of each point. Sampling designs are
seeded with the sweep's master seed: the same sweep file always gives the same points.
Whole-number values (``levels``, months) are rounded to the nearest whole number.

>>> from sim.sweep.spec import from_options
>>> spec = from_options("baseline-2022", ["russia.capacity.initial=0.2:0.8:3",
...                                       "mechanisms.voice_before_exit=3:12:2"])
>>> points(spec).tolist()
[[0.2, 3.0], [0.2, 12.0], [0.5, 3.0], [0.5, 12.0], [0.8, 3.0], [0.8, 12.0]]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from sim.sweep.spec import SweepSpec, check_points

FloatArray = npt.NDArray[np.float64]


def points(
    spec: SweepSpec,
    sets: Mapping[str, npt.ArrayLike] | None = None,
    replicates: npt.ArrayLike | None = None,
) -> FloatArray:
    """The design matrix: shape ``(spec.points(), len(spec.parameters))``; every point is
    checked against the scenario's cross-field rules (:func:`sim.sweep.spec.check_points`),
    with each of the parameter sets ``sets`` drawn from a posterior if given (``replicates``:
    the first replicate that runs each set, for the message)."""
    match spec.design.method:
        case "grid":
            matrix = _grid(spec)
        case "lhs":
            matrix = _lhs(spec)
        case "sobol":
            matrix = _sobol(spec)
        case "morris":
            matrix = _morris(spec)
        case other:  # pragma: no cover - the spec is validated
            raise ValueError(f"unknown design {other!r}")
    matrix = np.ascontiguousarray(matrix, dtype=np.float64)
    for column, parameter in enumerate(spec.parameters):
        if parameter.integer:
            matrix[:, column] = np.round(matrix[:, column])
    expected = (spec.points(), len(spec.parameters))
    if matrix.shape != expected:  # pragma: no cover - a SALib change would show here
        raise RuntimeError(f"{spec.design.method} design has shape {matrix.shape}, not {expected}")
    check_points(spec, matrix, sets, replicates)
    return matrix


def _grid(spec: SweepSpec) -> FloatArray:
    """Every combination of each parameter's levels; the first parameter varies slowest."""
    axes = []
    for parameter in spec.parameters:
        levels = np.linspace(parameter.low, parameter.high, parameter.levels or 1)
        axes.append(np.round(levels) if parameter.integer else levels)
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.column_stack([axis.reshape(-1) for axis in mesh])


def _unit_to_bounds(spec: SweepSpec, unit: FloatArray) -> FloatArray:
    low = np.array([p.low for p in spec.parameters])
    high = np.array([p.high for p in spec.parameters])
    scaled: FloatArray = low + unit * (high - low)
    return scaled


def _lhs(spec: SweepSpec) -> FloatArray:
    """A Latin hypercube (scipy.stats.qmc), seeded with the master seed."""
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(spec.parameters), rng=np.random.default_rng(spec.seed))
    return _unit_to_bounds(spec, sampler.random(int(spec.design.samples or 0)))


def _sobol(spec: SweepSpec) -> FloatArray:
    """Saltelli's extension of the Sobol' sequence (SALib.sample.sobol), seeded."""
    from SALib.sample import sobol

    matrix: FloatArray = sobol.sample(
        spec.problem(),
        int(spec.design.samples or 0),
        calc_second_order=spec.design.second_order,
        seed=spec.seed,
    )
    return matrix


def _morris(spec: SweepSpec) -> FloatArray:
    """Morris trajectories (SALib.sample.morris), seeded."""
    from SALib.sample import morris

    matrix: FloatArray = morris.sample(
        spec.problem(),
        int(spec.design.samples or 0),
        num_levels=spec.design.levels,
        seed=spec.seed,
    )
    return matrix
