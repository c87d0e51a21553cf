"""CSTO cohesion: an agent-based model of the Collective Security Treaty Organization.

>>> import sim
>>> result = sim.run("baseline-2022", seed=7, steps=6)
>>> sorted(result.summary)[:3]
['appeals_answered', 'appeals_ignored', 'clashes']
"""

from sim.result import RunResult
from sim.scenario import Scenario, ScenarioError, load
from sim.simulate import run

__all__ = ["RunResult", "Scenario", "ScenarioError", "load", "run"]
__version__ = "0.1.0"
