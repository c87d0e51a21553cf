"""A scenario with a calibrated posterior of its own, for tests of what reads a posterior.

:func:`calibrated_copy` copies ``baseline-2022.toml`` into a folder and writes beside it a
posterior of the first particles of the shipped one, with unequal weights (so that drawing by
weight is exercised): a real posterior's values, at a size tests can afford, recorded against
the copy's own file (its digest and path), as ``csto calibrate`` would have written it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from sim.calibrate.posterior import folder_of, read_posterior, write_posterior
from sim.scenario import load

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline-2022.toml"


def calibrated_copy(folder: Path, particles: int = 200) -> Path:
    """``folder/baseline-2022.toml`` with a posterior of ``particles`` particles beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / BASELINE.name
    shutil.copy(BASELINE, target)
    shipped = read_posterior(folder_of(BASELINE))
    chosen = np.arange(min(particles, shipped.size))
    weights = 1.0 + (chosen % 3).astype(np.float64)  # unequal: 1, 2, 3, 1, 2, 3, ...
    write_posterior(
        folder_of(target),
        load(str(target)),
        {path: values[chosen] for path, values in shipped.values.items()},
        {path: choices[chosen] for path, choices in shipped.variants.items()},
        weights / weights.sum(),
        np.zeros(len(chosen)),
        {"method": "rejection (test copy)"},
    )
    return target
