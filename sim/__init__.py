"""CSTO cohesion: an agent-based model of the Collective Security Treaty Organization.

>>> import sim
>>> result = sim.run("baseline-2022", seed=7, steps=6)
>>> sorted(result.summary)[:3]
['appeals_answered', 'appeals_ignored', 'clashes']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.engine import run
    from sim.results.run import RunResult
    from sim.scenario import Scenario, ScenarioError, load

__all__ = ["RunResult", "Scenario", "ScenarioError", "load", "run"]
__version__ = "0.1.0"

#: Public names and the module each comes from, imported on first use (PEP 562), so that
#: ``import sim.engine`` in a sweep's worker process does not load Mesa.
_LAZY = {
    "RunResult": "sim.results.run",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load": "sim.scenario",
    "run": "sim.engine",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
