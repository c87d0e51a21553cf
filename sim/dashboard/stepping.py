"""One replicate stepped month by month: the Mesa model, and what the page shows of it.

:class:`SteppedReplicate` is :class:`sim.mesa.model.CSTOModel` (the Mesa face over the month
the batch engine runs) with a recorder of every time-series column the engine records
(:data:`sim.model.state.ALLIANCE_SERIES` and :data:`~sim.model.state.MEMBER_SERIES`), read from
the model's state after each step. So the page shows whatever columns the model records, new
ones included, and the numbers are exactly those of ``sim.run(scenario, seed=model.seed)``.

Its keyword arguments (``setup``, ``rng``, ``steps``) are what Mesa's ``ModelController``
re-creates it from on Reset (``model_params`` in Mesa's terms). The argument is not called
``scenario``: Mesa's controller hands a parameter of that name a ``mesa`` scenario object.

**Drivers.** How much each motive pushed or pulled a member's alignment in a month is shown
when the model records it: every member column whose name starts with :data:`DRIVER_PREFIX`
(``driver_protection``, ``driver_fear``, ...) is a driver, in the units of net value. The model
of October 2022 records none; Model v2's drivers appear without a change here.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from sim.mesa.model import CSTOModel
from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES, Recorder
from sim.results.run import step_date
from sim.scenario import Scenario, month_label, schema

#: Member time-series columns with this prefix are drivers of the member's move.
DRIVER_PREFIX: Final = "driver_"


def driver_columns(columns: tuple[str, ...] = MEMBER_SERIES) -> tuple[str, ...]:
    """The member columns that are drivers.

    >>> driver_columns(("alignment", "driver_fear", "driver_protection"))
    ('driver_fear', 'driver_protection')
    """
    return tuple(name for name in columns if name.startswith(DRIVER_PREFIX))


def driver_label(column: str) -> str:
    """A driver's name in words: ``driver_outside_options`` -> ``outside options``."""
    return column.removeprefix(DRIVER_PREFIX).replace("_", " ")


def series_label(column: str) -> str:
    """A time-series column's name in words."""
    return column.replace("_", " ")


class SteppedReplicate(CSTOModel):
    """One replicate of a scenario, stepped by hand: a :class:`CSTOModel` that also records
    every time-series column of its state after each month."""

    def __init__(self, setup: Scenario, rng: int, steps: int) -> None:
        super().__init__(setup, rng=rng, steps=steps)
        self.recorder = Recorder(1, self.horizon)
        self.recorder.record(self.state, 0)

    def step(self) -> None:
        super().step()
        if int(self.steps) <= self.horizon:
            self.recorder.record(self.state, int(self.steps))

    @property
    def month(self) -> int:
        """Months simulated so far (0 before the first step)."""
        return min(int(self.steps), self.horizon)

    @property
    def start(self) -> str:
        return str(self.plan.start)

    def month_name(self, step: int | None = None) -> str:
        """The "YYYY-MM" month a step's state stands at the end of (step 0: the start)."""
        step = self.month if step is None else step
        return month_label(self.start, step - 1) if step > 0 else f"start of {self.start}"

    def alliance_now(self) -> dict[str, float]:
        """Russia's and the alliance's values at the current step."""
        return {
            name: float(self.recorder.series[name][0, self.month])
            for name in ALLIANCE_SERIES
            if name in self.recorder.series
        }

    def members_now(self) -> pd.DataFrame:
        """Each member's recorded values at the current step (drivers apart): one row per
        member, one column per :data:`MEMBER_SERIES` column."""
        columns = [name for name in MEMBER_SERIES if not name.startswith(DRIVER_PREFIX)]
        data = {name: self.recorder.series[name][0, self.month] for name in columns}
        return pd.DataFrame(data, index=pd.Index(schema.MEMBERS, name="member"))

    def drivers_now(self) -> pd.DataFrame:
        """The drivers of each member's move in the current month (members x drivers), empty
        if the model records none."""
        columns = driver_columns(tuple(self.recorder.series))
        if not columns or self.month == 0:
            return pd.DataFrame(index=pd.Index(schema.MEMBERS, name="member"))
        data = {driver_label(name): self.recorder.series[name][0, self.month] for name in columns}
        return pd.DataFrame(data, index=pd.Index(schema.MEMBERS, name="member"))

    def history(self, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        """A column's values from step 0 to the current step (members last for a member
        column)."""
        values: np.ndarray[Any, np.dtype[np.float64]] = self.recorder.series[column][0]
        return values[: self.month + 1]

    def dates(self) -> list[str]:
        """The dates of steps 0 .. current (as the results tables write them)."""
        return [step_date(self.start, step) for step in range(self.month + 1)]

    def events_so_far(self) -> pd.DataFrame:
        """The events of the months stepped so far, newest month first (in the month's order
        within it), with their explanations."""
        frame = self.event_log.frame(self.start).drop(columns="run")
        return frame.sort_values("step", ascending=False, kind="stable").reset_index(drop=True)
