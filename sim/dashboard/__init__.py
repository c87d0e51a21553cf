"""``csto dashboard``: a Solara app for the classroom (see ``docs/dashboard.md``).

:mod:`sim.dashboard.values` (the values a student may move, the tweak as a scenario file),
:mod:`sim.dashboard.runs` (many replicates on the batch engine: bands over draws, outcomes,
the parent compared, the results folder), :mod:`sim.dashboard.stepping` (one replicate stepped
month by month: the Mesa model), :mod:`sim.dashboard.charts` (SVG charts) and
:mod:`sim.dashboard.app` (the page); :mod:`sim.dashboard.server` starts it.
"""
