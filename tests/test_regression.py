"""Regression: stored outputs of the baseline for fixed seeds must not change unnoticed.

If a change to the model is intended, regenerate the files with
``CSTO_REGENERATE=1 scripts/uvrun pytest tests/test_regression.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim

DATA = Path(__file__).resolve().parent / "data" / "regression"
SEEDS = [1, 2, 3]


def snapshot(seed: int) -> dict[str, Any]:
    result = sim.run("baseline-2022", seed=seed)
    alliance = result.alliance_series()
    return {
        "scenario": "baseline-2022",
        "seed": seed,
        "summary": result.summary,
        "cohesion": alliance["cohesion"].round(12).tolist(),
        "alignment": {
            name: series.round(12).tolist()
            for name, series in result.member_series("alignment").items()
        },
        "events": result.events[["step", "kind", "member", "counterpart", "cause", "origin"]]
        .astype(str)
        .values.tolist(),
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_baseline_matches_stored_output(seed: int) -> None:
    path = DATA / f"baseline-2022-seed{seed}.json"
    current = snapshot(seed)
    if os.environ.get("CSTO_REGENERATE"):
        path.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert current["events"] == stored["events"]
    np.testing.assert_allclose(current["cohesion"], stored["cohesion"], rtol=0, atol=1e-9)
    for name, values in stored["alignment"].items():
        np.testing.assert_allclose(current["alignment"][name], values, rtol=0, atol=1e-9)
    for key, value in stored["summary"].items():
        if isinstance(value, float):
            assert current["summary"][key] == pytest.approx(value, abs=1e-9), key
        else:
            assert current["summary"][key] == value, key
