"""Scenario files: the schema, reading and resolving files, and turning them into numbers."""

from sim.scenario.resolve import (
    Scenario,
    ScenarioError,
    ScenarioEvent,
    Value,
    available,
    load,
    locate,
    month_index,
    month_label,
    scenario_dirs,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioEvent",
    "Value",
    "available",
    "load",
    "locate",
    "month_index",
    "month_label",
    "scenario_dirs",
]
