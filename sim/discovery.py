"""Scenario discovery: the boxes of parameter space where a binary outcome happens (PRIM).

The Patient Rule Induction Method (Friedman & Fisher 1999, "Bump hunting in high-dimensional
data", *Statistics and Computing* 9: 123–143), as scenario discovery uses it (Bryant & Lempert
2010; the EMA Workbench's ``ema_workbench.analysis.prim``):

1. *Peeling*: start from a box holding every run; at each step try, for every parameter, to
   cut off the ``alpha`` (5%) of the box's runs with the lowest or the highest values, and keep
   the cut that leaves the highest share of runs with the outcome inside (the box's
   *density*); stop when no cut raises it, or when the box would hold less than ``mass_min``
   (5%) of the runs. The boxes met on the way are the *peeling trajectory*.
2. *Choosing*: of the trajectory, the box with the best balance of *coverage* (the share of all
   runs with the outcome that lie inside) and density: their harmonic mean (F1 score) is
   highest. Peeling trades coverage for density; this picks the knee without a person.
3. *Pasting*: widen the chosen box's limits again, one parameter and ``alpha`` of the box's
   runs at a time, while that raises its density (Friedman & Fisher's second phase); then
   drop each restriction whose removal costs less than ``min_gain`` (one point) of density, so
   that the box names only limits that matter (as the EMA Workbench's ``drop_restriction``,
   done for every restriction).
4. *Covering*: set the runs inside aside and look for the next box among the rest, while the
   next box's density is at least ``min_density`` and runs with the outcome are left.

Why a small implementation rather than the EMA Workbench's (docs/reports.md, "Scenario
discovery"): importing ``ema_workbench.analysis.prim`` takes several seconds and brings
scikit-learn, statsmodels and a dozen other packages (about 80 MB) for some 150 lines of
numpy; the algorithm here follows its peeling and pasting rules and is tested on planted boxes
(``tests/test_discovery.py``).

>>> rng = np.random.default_rng(0)
>>> x = pd.DataFrame(rng.random((2000, 3)), columns=["a", "b", "c"])
>>> y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
>>> found = prim(x, y)
>>> box = found.boxes[0]
>>> sorted(box.limits), round(box.limits["a"][0], 1), round(box.limits["b"][1], 1)
(['a', 'b'], 0.6, 0.3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Share of a box's runs one peeling or pasting step moves (Friedman & Fisher's alpha).
ALPHA: Final = 0.05
#: Smallest share of all runs a box may hold.
MASS_MIN: Final = 0.05
#: Further boxes are sought while the next one's density is at least this.
MIN_DENSITY: Final = 0.5
#: Most boxes reported.
MAX_BOXES: Final = 3
#: A restriction that raises a box's density by less than this is dropped.
MIN_GAIN: Final = 0.01


@dataclass(frozen=True)
class Box:
    """One box: ``lower`` and ``upper`` limits on every parameter (the data's range where it is
    not restricted), and what it holds."""

    lower: dict[str, float]
    upper: dict[str, float]
    restricted: tuple[str, ...]
    """Parameters whose limits lie inside the range the runs span, in order of the columns."""
    coverage: float
    """Share of all runs with the outcome that lie in this box (and in no earlier box)."""
    density: float
    """Share of the box's runs that have the outcome."""
    mass: float
    """Share of all runs in the box."""
    runs: int
    hits: int
    trajectory: pd.DataFrame = field(repr=False)
    """The peeling trajectory the box was chosen from: ``step``, ``coverage``, ``density``,
    ``mass``, ``restricted`` (how many parameters), ``chosen``."""

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        """The restricted parameters' limits, ``{name: (lower, upper)}``."""
        return {name: (self.lower[name], self.upper[name]) for name in self.restricted}


@dataclass(frozen=True)
class Discovery:
    """The boxes PRIM found for a binary outcome over some runs."""

    boxes: list[Box]
    runs: int
    cases: int
    """Runs with the outcome."""
    ranges: dict[str, tuple[float, float]]
    """The range every parameter spans over the runs."""

    @property
    def base_rate(self) -> float:
        """Share of all runs with the outcome: the density of a box holding everything."""
        return self.cases / self.runs if self.runs else 0.0


def prim(
    x: pd.DataFrame,
    y: npt.ArrayLike,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    min_density: float = MIN_DENSITY,
    max_boxes: int = MAX_BOXES,
) -> Discovery:
    """Boxes of the parameters ``x`` (one row per run, numeric columns) in which the binary
    outcome ``y`` (one per run) concentrates; see the module's description for the method."""
    values = x.to_numpy(np.float64)
    outcome = np.asarray(y, dtype=bool)
    if values.ndim != 2 or len(values) != len(outcome):
        raise ValueError(f"x has {len(values)} rows and y {len(outcome)} values: expected equal")
    if not np.isfinite(values).all():
        raise ValueError("x holds values that are not finite numbers")
    names = [str(column) for column in x.columns]
    total = len(outcome)
    cases = int(outcome.sum())
    ranges = {
        name: (float(values[:, j].min()), float(values[:, j].max())) if total else (0.0, 0.0)
        for j, name in enumerate(names)
    }
    boxes: list[Box] = []
    remaining = np.ones(total, dtype=bool)
    while len(boxes) < max_boxes and cases and outcome[remaining].any():
        box = _find_box(values, outcome, remaining, names, ranges, cases, alpha, mass_min)
        if box is None or (boxes and box.density < min_density):
            break
        boxes.append(box)
        inside = _inside(values, box.lower, box.upper, names) & remaining
        remaining &= ~inside
        if box.density < min_density:
            break
    return Discovery(boxes, total, cases, ranges)


def _inside(
    values: FloatArray, lower: dict[str, float], upper: dict[str, float], names: list[str]
) -> BoolArray:
    low = np.array([lower[name] for name in names])
    high = np.array([upper[name] for name in names])
    result: BoolArray = ((values >= low) & (values <= high)).all(axis=1)
    return result


def _find_box(
    values: FloatArray,
    outcome: BoolArray,
    remaining: BoolArray,
    names: list[str],
    ranges: dict[str, tuple[float, float]],
    cases: int,
    alpha: float,
    mass_min: float,
) -> Box | None:
    total = len(outcome)
    full_low = np.array([ranges[name][0] for name in names])
    full_high = np.array([ranges[name][1] for name in names])
    low, high = full_low.copy(), full_high.copy()
    inside = remaining.copy()
    trajectory: list[tuple[FloatArray, FloatArray, BoolArray]] = [(low, high, inside)]
    while True:
        step = _peel(values, outcome, inside, low, high, alpha, mass_min * total)
        if step is None:
            break
        low, high, inside = step
        trajectory.append((low, high, inside))
    scores = []
    for _, _, members in trajectory:
        hits = int(outcome[members].sum())
        coverage = hits / cases
        density = hits / max(int(members.sum()), 1)
        f1 = 2 * coverage * density / (coverage + density) if hits else 0.0
        scores.append((coverage, density, int(members.sum()) / total, f1))
    chosen = int(np.argmax([score[3] for score in scores]))
    if scores[chosen][3] == 0.0:
        return None
    low, high, inside = trajectory[chosen]
    low, high, inside = _paste(values, outcome, remaining, low, high, inside, alpha, ranges)
    low, high, inside = _prune(values, outcome, remaining, low, high, inside, ranges)
    hits = int(outcome[inside].sum())
    count = int(inside.sum())
    restricted = tuple(
        name for j, name in enumerate(names) if low[j] > full_low[j] or high[j] < full_high[j]
    )
    path = pd.DataFrame(
        {
            "step": np.arange(len(trajectory)),
            "coverage": [score[0] for score in scores],
            "density": [score[1] for score in scores],
            "mass": [score[2] for score in scores],
            "restricted": [
                int(((lo > full_low) | (hi < full_high)).sum()) for lo, hi, _ in trajectory
            ],
            "chosen": np.arange(len(trajectory)) == chosen,
        }
    )
    return Box(
        lower={name: float(low[j]) for j, name in enumerate(names)},
        upper={name: float(high[j]) for j, name in enumerate(names)},
        restricted=restricted,
        coverage=hits / cases,
        density=hits / count if count else 0.0,
        mass=count / total,
        runs=count,
        hits=hits,
        trajectory=path,
    )


def _peel(
    values: FloatArray,
    outcome: BoolArray,
    inside: BoolArray,
    low: FloatArray,
    high: FloatArray,
    alpha: float,
    smallest: float,
) -> tuple[FloatArray, FloatArray, BoolArray] | None:
    """The best single peel of the box, or None if no peel raises its density while keeping
    at least ``smallest`` runs."""
    members = values[inside]
    hits = outcome[inside]
    density = hits.mean()
    best: tuple[float, int, int, float, bool] | None = None
    for j in range(values.shape[1]):
        column = members[:, j]
        for upper in (False, True):
            limit = float(np.quantile(column, 1 - alpha if upper else alpha))
            keep = column <= limit if upper else column >= limit
            if keep.all():  # ties (a grid): peel off the extreme level instead
                extreme = column.max() if upper else column.min()
                keep = column < extreme if upper else column > extreme
                if not keep.any():
                    continue
                limit = float(column[keep].max() if upper else column[keep].min())
            count = int(keep.sum())
            if count < smallest:
                continue
            mean = float(hits[keep].mean())
            if best is None or (mean, count) > (best[0], best[1]):
                best = (mean, count, j, limit, upper)
    if best is None or best[0] <= density:
        return None
    _, _, j, limit, upper = best
    low, high = low.copy(), high.copy()
    if upper:
        high[j] = limit
    else:
        low[j] = limit
    within = inside & (values[:, j] <= limit if upper else values[:, j] >= limit)
    return low, high, within


def _paste(
    values: FloatArray,
    outcome: BoolArray,
    remaining: BoolArray,
    low: FloatArray,
    high: FloatArray,
    inside: BoolArray,
    alpha: float,
    ranges: dict[str, tuple[float, float]],
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Widen the box, one limit at a time, by about ``alpha`` of its runs, while its density
    rises (pasting)."""
    span_low = np.array([lower for lower, _ in ranges.values()])
    span_high = np.array([upper for _, upper in ranges.values()])
    while True:
        count = int(inside.sum())
        density = outcome[inside].mean() if count else 0.0
        step = max(1, round(alpha * count))
        best: tuple[float, FloatArray, FloatArray, BoolArray] | None = None
        for j in range(values.shape[1]):
            others = remaining.copy()
            for k in range(values.shape[1]):
                if k != j:
                    others &= (values[:, k] >= low[k]) & (values[:, k] <= high[k])
            for upper in (False, True):
                if (high[j] >= span_high[j]) if upper else (low[j] <= span_low[j]):
                    continue
                beyond = others & (values[:, j] > high[j] if upper else values[:, j] < low[j])
                outside = np.sort(values[beyond, j])
                if not len(outside):
                    continue
                reach = min(step, len(outside))
                limit = outside[reach - 1] if upper else outside[-reach]
                new_low, new_high = low.copy(), high.copy()
                if upper:
                    new_high[j] = limit
                else:
                    new_low[j] = limit
                widened = others & (values[:, j] >= new_low[j]) & (values[:, j] <= new_high[j])
                mean = float(outcome[widened].mean())
                if mean > density and (best is None or mean > best[0]):
                    best = (mean, new_low, new_high, widened)
        if best is None:
            return low, high, inside
        _, low, high, inside = best


def _prune(
    values: FloatArray,
    outcome: BoolArray,
    remaining: BoolArray,
    low: FloatArray,
    high: FloatArray,
    inside: BoolArray,
    ranges: dict[str, tuple[float, float]],
    min_gain: float = MIN_GAIN,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Drop, one at a time and cheapest first, the restrictions whose removal lowers the box's
    density by less than ``min_gain``."""
    span_low = np.array([lower for lower, _ in ranges.values()])
    span_high = np.array([upper for _, upper in ranges.values()])
    while True:
        density = float(outcome[inside].mean()) if inside.any() else 0.0
        best: tuple[float, FloatArray, FloatArray, BoolArray] | None = None
        for j in range(values.shape[1]):
            if low[j] <= span_low[j] and high[j] >= span_high[j]:
                continue
            new_low, new_high = low.copy(), high.copy()
            new_low[j], new_high[j] = span_low[j], span_high[j]
            widened = remaining & ((values >= new_low) & (values <= new_high)).all(axis=1)
            loss = density - float(outcome[widened].mean())
            if loss < min_gain and (best is None or loss < best[0]):
                best = (loss, new_low, new_high, widened)
        if best is None:
            return low, high, inside
        _, low, high, inside = best
