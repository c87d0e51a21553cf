"""The dashboard's page: a Solara app (``csto dashboard`` serves it; ``docs/dashboard.md``).

Mesa's idiom where it fits: the replicate stepped month by month is a Mesa model
(:class:`sim.dashboard.stepping.SteppedReplicate`) driven by Mesa's own ``ModelController``
(Reset, play/pause, Step; the model re-created from its ``model_params`` on Reset), and Russia's
and the alliance's values are drawn by Mesa's plot component over the model's DataCollector.
Custom components where it does not: the scenario's uncertain values (sliders bounded by the
file's ranges, sources beside them, typed entries refused outside them), bands over many
replicates run by the batch engine (SolaraViz plots one run), the tweak compared with its
parent under the same seeds, and the downloads.

State lives in Solara reactive variables, which Solara keeps per browser session. The only
writing the page does is the results folder, under the root ``csto dashboard --out`` names.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import numpy as np
import pandas as pd
import solara
import solara.lab
from mesa.visualization import make_plot_component
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter
from reacton.ipyvue import use_event

from sim.dashboard import charts
from sim.dashboard.runs import (
    MAX_REPLICATES,
    Computed,
    Draws,
    SeedDraws,
    compute,
    posterior_draws,
    run_draws,
    write_results,
    zip_folder,
)
from sim.dashboard.stepping import SteppedReplicate, series_label
from sim.dashboard.values import (
    Uncertain,
    changed_values,
    group_title,
    parse_entry,
    tweak_toml,
    tweaked,
)
from sim.model.draws import derive_seeds
from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES
from sim.scenario import Scenario, ScenarioError, available, load, schema
from sim.sweep.spec import MAX_SEED, MAX_STEPS

#: Environment variables through which ``csto dashboard`` hands the page its settings.
SCENARIO_VARIABLE: Final = "CSTO_DASHBOARD_SCENARIO"
OUT_VARIABLE: Final = "CSTO_DASHBOARD_OUT"

DEFAULT_REPLICATES: Final = 100
#: Milliseconds between two months while the stepped replicate plays.
PLAY_INTERVAL: Final = 400


def initial_scenario() -> str:
    return os.environ.get(SCENARIO_VARIABLE, "baseline-2022")


def results_root() -> Path:
    return Path(os.environ.get(OUT_VARIABLE, "results"))


# --- session state (Solara keeps reactive variables per browser session) ---------------------

scenario_reference = solara.reactive(initial_scenario())
opened_files: solara.Reactive[tuple[str, ...]] = solara.reactive(())
load_problem: solara.Reactive[str | None] = solara.reactive(None)
changes: solara.Reactive[dict[str, float]] = solara.reactive({})
master_seed = solara.reactive(1)
replicates = solara.reactive(DEFAULT_REPLICATES)
months: solara.Reactive[int | None] = solara.reactive(None)
replicate_index = solara.reactive(0)
member_column = solara.reactive("alignment")
open_group: solara.Reactive[str | None] = solara.reactive(None)
written_folder: solara.Reactive[str | None] = solara.reactive(None)
write_problem: solara.Reactive[str | None] = solara.reactive(None)


@dataclass(frozen=True)
class Setup:
    """Everything the runs depend on: the parent, the tweak, the draws and the months."""

    parent: Scenario
    items: tuple[Uncertain, ...]
    changes: tuple[tuple[str, float], ...]
    scenario: Scenario
    draws: SeedDraws
    """The seeds (a replicate to step, the results folder); bands may also draw parameters."""
    steps: int

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.parent.digest, self.changes, self.draws, self.steps)

    @property
    def parent_key(self) -> tuple[Any, ...]:
        return (self.parent.digest, self.draws, self.steps)


def css_name(path: str) -> str:
    """A dotted path as a CSS class name fragment: ``russia.capacity.initial`` ->
    ``russia-capacity-initial``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", path)


def number(value: float, digits: int = 3) -> str:
    return "—" if not np.isfinite(value) else f"{value:.{digits}f}"


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_ITALIC = re.compile(r"\*([^*]+)\*")


def prose_html(text: str) -> str:
    """A line of text with `code`, **bold** and *italic* as HTML (Solara's Markdown would load
    a maths library from a CDN: the page stays offline)."""
    escaped = html.escape(text, quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _ITALIC.sub(r"<i>\1</i>", escaped)


def Prose(text: str, classes: list[str] | None = None) -> solara.Element:
    """A paragraph of :func:`prose_html` text."""
    return solara.HTML(
        tag="p",
        unsafe_innerHTML=prose_html(text),
        classes=classes or [],
        style="margin: 4px 0",
    )


def Chart(svg: str) -> solara.Element:
    """An SVG chart of :mod:`sim.dashboard.charts`."""
    return solara.HTML(tag="div", unsafe_innerHTML=svg, classes=["csto-chart"])


def _load(reference: str) -> tuple[Scenario | None, str | None]:
    try:
        return load(reference), None
    except ScenarioError as error:
        return None, str(error)


# --- the page --------------------------------------------------------------------------------


@solara.component
def Page() -> None:
    parent, problem = solara.use_memo(
        lambda: _load(scenario_reference.value), [scenario_reference.value]
    )
    if parent is None:  # the scenario named on the command line was checked; a file may change
        parent, problem = _load("baseline-2022")
        assert parent is not None
    items = solara.use_memo(lambda: tuple(_uncertain(parent)), [parent.digest])
    live = changed_values(list(items), changes.value)
    scenario = tweaked(parent, live)  # changes are checked as they are made
    steps = months.value or parent.horizon
    seeded = SeedDraws(master_seed.value, replicates.value)
    drawn = solara.use_memo(
        lambda: posterior_draws(parent, master_seed.value, replicates.value),
        [parent.digest, master_seed.value, replicates.value],
    )
    draws: Draws = drawn if drawn is not None else seeded
    setup = Setup(parent, items, tuple(sorted(live.items())), scenario, seeded, steps)
    parent_batch = solara.use_memo(lambda: run_draws(parent, draws, steps), [setup.parent_key])
    computed = solara.use_memo(
        lambda: compute(scenario, parent, draws, steps, parent_batch), [setup.key]
    )

    solara.Title("csto dashboard")
    with solara.AppBar():
        solara.AppBarTitle(f"CSTO cohesion — {parent.name}")
    with solara.Sidebar():
        ScenarioCard(parent, problem or load_problem.value)
        RunsCard(parent)
        DownloadsCard(setup)
    with solara.Columns([4, 8]):
        ValuesPanel(setup)
        with solara.lab.Tabs(lazy=True):
            with solara.lab.Tab("One replicate"):
                SteppedPanel(setup).key(f"stepped-{setup.key}-{replicate_index.value}")
            with solara.lab.Tab("Replicates"):
                ReplicatesPanel(setup, computed)
            with solara.lab.Tab("Compare with parent"):
                ComparePanel(setup, computed)


def _uncertain(parent: Scenario) -> list[Uncertain]:
    from sim.dashboard.values import uncertain_values

    return uncertain_values(parent)


# --- sidebar ---------------------------------------------------------------------------------


def _choose_scenario(reference: str) -> None:
    changes.set({})
    open_group.set(None)
    written_folder.set(None)
    replicate_index.set(0)
    scenario_reference.set(reference)


@solara.component
def ScenarioCard(parent: Scenario, problem: str | None) -> None:
    path_text, set_path_text = solara.use_state("")
    library = list(available())
    choices = [*library, *(f for f in opened_files.value if f not in library)]
    current = scenario_reference.value if scenario_reference.value in choices else None

    def open_file() -> None:
        reference = path_text.strip()
        if not reference:
            load_problem.set("type the path of a scenario file (.toml) to open")
            return
        _scenario, error = _load(reference)
        if error is not None:
            load_problem.set(error)
            return
        load_problem.set(None)
        opened_files.set((*opened_files.value, reference))
        _choose_scenario(reference)

    with solara.Card("Scenario"):
        solara.Select(
            "Scenario from the library",
            values=choices,
            value=current,
            on_value=lambda value: _choose_scenario(str(value)) if value else None,
        )
        with solara.Row(style={"align-items": "center"}):
            solara.InputText(
                "or open a file (path to .toml)", value=path_text, on_value=set_path_text
            )
            solara.Button("Open", on_click=open_file, outlined=True, classes=["csto-open"])
        if problem:
            solara.Error(problem, classes=["csto-load-problem"])
        Prose(f"**{parent.title or parent.name}**")
        Prose(parent.narrative.strip() or "(no narrative)")


@solara.component
def RunsCard(parent: Scenario) -> None:
    def bounded(target: solara.Reactive[Any], low: int, high: int) -> Callable[[int | None], None]:
        def set_value(value: int | None) -> None:
            if value is not None and low <= value <= high:
                target.set(value)

        return set_value

    with solara.Card("Runs"):
        solara.InputInt(
            "Master seed (a whole number, 0 or more)",
            value=master_seed.value,
            on_value=bounded(master_seed, 0, MAX_SEED),
        )
        solara.InputInt(
            f"Replicates (1 to {MAX_REPLICATES})",
            value=replicates.value,
            on_value=bounded(replicates, 1, MAX_REPLICATES),
        )
        solara.InputInt(
            f"Months (1 to {MAX_STEPS}; the scenario's horizon is {parent.horizon})",
            value=months.value or parent.horizon,
            on_value=bounded(months, 1, MAX_STEPS),
        )
        Prose(
            "Replicate *r* runs with its own seed, derived from the master seed as "
            "`csto run --seed` derives it; the same seeds run the tweak and its parent."
        )


@solara.component
def DownloadsCard(setup: Setup) -> None:
    live = dict(setup.changes)
    text = tweak_toml(setup.parent, list(setup.items), live)

    def write() -> None:
        try:
            folder = write_results(setup.scenario, text, setup.draws, setup.steps, results_root())
        except (OSError, ScenarioError, Exception) as error:  # shown, never a broken page
            write_problem.set(f"cannot write the results folder: {error}")
            return
        write_problem.set(None)
        written_folder.set(str(folder))

    with solara.Card("Downloads"):
        solara.FileDownload(
            text,
            filename=f"{setup.scenario.name}.toml",
            label="Scenario file (.toml)",
            mime_type="application/toml",
        )
        solara.Button("Write results folder", on_click=write, outlined=True, classes=["csto-write"])
        folder = written_folder.value
        if write_problem.value:
            solara.Error(write_problem.value)
        elif folder and Path(folder).name == _run_id(setup) and setup.scenario.name in folder:
            solara.Text(f"Written: {folder}", classes=["csto-written"])
            solara.FileDownload(
                lambda: zip_folder(Path(folder)),
                filename=f"{setup.scenario.name}-{Path(folder).name}.zip",
                label="Results folder (.zip)",
                mime_type="application/zip",
            )
            Prose(f"`csto report {folder}` turns it into a report.")


def _run_id(setup: Setup) -> str:
    return f"seed{setup.draws.master_seed}-r{setup.draws.replicates}-t{setup.steps}"


# --- the uncertain values --------------------------------------------------------------------


def _apply(setup: Setup, path: str, value: float) -> str | None:
    """Change one value if the tweak stays a valid scenario; else say why."""
    proposed = {**dict(setup.changes), path: value}
    live = changed_values(list(setup.items), proposed)
    try:
        tweaked(setup.parent, live)
    except ScenarioError as error:
        return str(error)
    changes.set(live)
    written_folder.set(None)
    return None


@solara.component
def ValuesPanel(setup: Setup) -> None:
    groups: dict[str, list[Uncertain]] = {}
    for item in setup.items:
        groups.setdefault(item.group, []).append(item)
    live = dict(setup.changes)
    with solara.Card("Uncertain values", classes=["csto-values"]):
        Prose(
            f"{len(setup.items)} values of *{setup.parent.name}* have a range in their file. "
            f"{len(live)} changed."
        )
        if live:
            solara.Button(
                "Undo all changes", on_click=lambda: changes.set({}), text=True, small=True
            )
        for group, members in groups.items():
            changed = sum(1 for item in members if item.path in live)
            label = group_title(group) + (f" ({changed} changed)" if changed else "")
            is_open = open_group.value == group
            solara.Button(
                ("▾ " if is_open else "▸ ") + label,
                on_click=lambda group=group, is_open=is_open: open_group.set(
                    None if is_open else group
                ),
                text=True,
                classes=["csto-group", f"csto-group--{css_name(group)}"],
                style={"justify-content": "flex-start", "text-transform": "none", "width": "100%"},
            )
            if is_open:
                for item in members:
                    ValueRow(setup, item, live.get(item.path, item.value)).key(item.path)


@solara.component
def ValueRow(setup: Setup, item: Uncertain, current: float) -> None:
    text, set_text = solara.use_state(f"{current:g}")
    problem, set_problem = solara.use_state(cast(str | None, None))
    solara.use_effect(lambda: set_text(f"{current:g}"), [current])

    def from_slider(*args: Any) -> None:
        value = args[-1] if args else current
        set_problem(_apply(setup, item.path, float(value)))

    def from_text(entry: str) -> None:
        set_text(entry)
        value, refusal = parse_entry(item, entry)
        set_problem(refusal if value is None else _apply(setup, item.path, value))

    changed = current != item.value
    with solara.Column(gap="0px", classes=["csto-value", f"csto-value--{css_name(item.path)}"]):
        Prose(
            f"**{item.key.replace('_', ' ')}**: {item.meaning}"
            + (f" — *changed, was {item.value:g}*" if changed else "")
        )
        with solara.Row(style={"align-items": "center"}):
            slider = solara.v.Slider(
                v_model=current,
                min=item.low,
                max=item.high,
                step=item.step,
                thumb_label=True,
                hide_details=True,
                class_="csto-slider",
                style_="min-width: 12em",
            )
            use_event(slider, "change", lambda *args: from_slider(*args))
            solara.InputText(
                f"value in {item.range_text}",
                value=text,
                on_value=from_text,
                continuous_update=False,
                error=bool(problem),
                classes=["csto-entry"],
                style={"max-width": "9em"},
            )
        if problem:
            solara.Error(problem, classes=["csto-refused"])
        solara.Text(
            f"range {item.range_text} · source: {item.source}",
            style={"font-size": "0.8em", "color": "#555"},
        )


# --- one replicate, month by month (Mesa) ----------------------------------------------------


def replicate_seed(setup: Setup, index: int) -> int:
    """The own seed of replicate ``index`` of the master seed (as ``csto run`` derives it)."""
    return derive_seeds(setup.draws.master_seed, index + 1)[index]


def reproduce_line(setup: Setup, seed: int) -> str:
    """The ``sim.run`` call that reproduces the stepped replicate."""
    overrides = f", overrides={dict(setup.changes)!r}" if setup.changes else ""
    return f'sim.run("{_reference(setup.parent)}", seed={seed}, steps={setup.steps}{overrides})'


def _reference(parent: Scenario) -> str:
    from sim.dashboard.values import parent_reference

    return parent_reference(parent)


@solara.component
def SteppedPanel(setup: Setup) -> None:
    index = min(replicate_index.value, setup.draws.replicates - 1)
    seed = replicate_seed(setup, index)
    parameters: dict[str, Any] = {"setup": setup.scenario, "rng": seed, "steps": setup.steps}
    initial = solara.use_memo(lambda: SteppedReplicate(**parameters), [])
    model = solara.use_reactive(cast(SteppedReplicate, initial))
    model_parameters = solara.use_reactive(parameters)
    play_interval = solara.use_reactive(PLAY_INTERVAL)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    with solara.Column():
        with solara.Row(style={"align-items": "center"}):
            solara.InputInt(
                f"Replicate (0 to {setup.draws.replicates - 1})",
                value=index,
                on_value=lambda value: (
                    replicate_index.set(value)
                    if value is not None and 0 <= value < setup.draws.replicates
                    else None
                ),
                style={"max-width": "14em"},
            )
            ModelController(
                model,
                model_parameters=model_parameters,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            )
        Prose(
            f"Replicate {index} of master seed {setup.draws.master_seed} runs with its own seed "
            f"**{seed}**; `{reproduce_line(setup, seed)}` gives the same run."
        )
        SteppedView(model.value)


@solara.component
def SteppedView(model: SteppedReplicate) -> None:
    update_counter.get()  # Mesa's controller bumps it after each step
    month = model.month
    solara.Text(f"Month {month} of {model.horizon} ({model.month_name()})", classes=["csto-month"])
    solara.HTML(tag="div", unsafe_innerHTML=monitors_html(model), classes=["csto-monitors"])
    columns = model.datacollector.get_model_vars_dataframe().columns
    measures = [name for name in ALLIANCE_SERIES if name in columns]
    plot, _page = make_plot_component(measures, post_process=lambda ax: ax.set_ylim(-0.02, 1.02))
    with solara.Columns([1, 1]):
        plot(model)
        MemberHistory(model)
    Drivers(model)
    Events(model)


def monitors_html(model: SteppedReplicate) -> str:
    """The stepped replicate's values now: Russia and the alliance, then each member (NetLogo's
    monitors). Cells carry ``data-series`` (and ``data-member``) so that tests can read them."""
    alliance = model.alliance_now()
    cells = "".join(
        f'<td data-series="{name}">{number(value)}</td>' for name, value in alliance.items()
    )
    heads = "".join(f"<th>{html.escape(series_label(name))}</th>" for name in alliance)
    parts = [f"<table class='csto-table'><tr>{heads}</tr><tr>{cells}</tr></table>"]
    members = model.members_now()
    heads = "".join(f"<th>{html.escape(series_label(c))}</th>" for c in members.columns)
    rows = []
    for name, row in members.iterrows():
        cells = "".join(
            f'<td data-member="{name}" data-series="{column}">{number(float(value))}</td>'
            for column, value in row.items()
        )
        rows.append(f"<tr><th>{html.escape(str(name))}</th>{cells}</tr>")
    parts.append(
        "<div style='overflow-x:auto'><table class='csto-table'><tr><th>member</th>"
        f"{heads}</tr>{''.join(rows)}</table></div>"
    )
    return TABLE_STYLE + "".join(parts)


TABLE_STYLE: Final = (
    "<style>.csto-table{border-collapse:collapse;margin:4px 0;font-size:0.85em}"
    ".csto-table td,.csto-table th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
    ".csto-table th{background:#f4f4f4}</style>"
)


@solara.component
def MemberHistory(model: SteppedReplicate) -> None:
    update_counter.get()
    choices = [name for name in MEMBER_SERIES if name in model.recorder.series]
    column = member_column.value if member_column.value in choices else choices[0]
    with solara.Column():
        solara.Select("Member series", values=choices, value=column, on_value=member_column.set)
        chart = charts.member_history(model.start, model.horizon, model.history(column), column)
        solara.HTML(tag="div", unsafe_innerHTML=chart, classes=["csto-chart"])


@solara.component
def Drivers(model: SteppedReplicate) -> None:
    update_counter.get()
    drivers = model.drivers_now()
    with solara.Card("What moved each member this month", classes=["csto-drivers"]):
        if drivers.columns.empty:
            Prose(
                "This model version records no drivers (columns named `driver_...` in its "
                "time series); a model that records how much each motive pushed or pulled "
                "alignment shows them here."
                if model.month > 0
                else "Step a month to see what moved each member."
            )
            return
        chart = charts.drivers_chart(drivers, f"Drivers in {model.month_name()}")
        solara.HTML(tag="div", unsafe_innerHTML=chart, classes=["csto-chart"])


@solara.component
def Events(model: SteppedReplicate) -> None:
    update_counter.get()
    events = model.events_so_far()
    with solara.Card(f"Events so far ({len(events)})", classes=["csto-events"]):
        if events.empty:
            solara.Text("No event yet.")
            return
        rows = "".join(
            f"<tr><td>{html.escape(str(row['date']))}</td><td>{html.escape(str(row['kind']))}"
            f"</td><td style='text-align:left'>{html.escape(str(row['explanation']))}</td></tr>"
            for row in events.head(60).to_dict("records")
        )
        solara.HTML(
            tag="div",
            unsafe_innerHTML=TABLE_STYLE
            + f"<table class='csto-table'><tr><th>month</th><th>event</th>"
            f"<th>why</th></tr>{rows}</table>",
        )


# --- many replicates (the batch engine) ------------------------------------------------------


def outcomes_html(table: pd.DataFrame) -> str:
    rows = "".join(
        f"<tr data-outcome='{row['outcome']}'><th style='text-align:left'>"
        f"{html.escape(str(row['text']))}</th><td>{number(row['mean'])}</td>"
        f"<td>{number(row['ci_low'])} to {number(row['ci_high'])}</td>"
        f"<td>{number(row['low'])} to {number(row['high'])}</td></tr>"
        for row in table.to_dict("records")
    )
    return (
        TABLE_STYLE + "<table class='csto-table'><tr><th>outcome</th><th>mean</th>"
        f"<th>95% CI</th><th>middle 95% of runs</th></tr>{rows}</table>"
    )


def _computed_line(computed: Computed, steps: int) -> str:
    return (
        f"{computed.draws.label}, {steps} months: computed in {computed.seconds:.2f} s "
        f"({computed.scenario.name})"
    )


@solara.component
def ReplicatesPanel(setup: Setup, computed: Computed) -> None:
    column = member_column.value if member_column.value in computed.bands.members else "alignment"
    alliance = solara.use_memo(
        lambda: charts.alliance_bands(computed.bands, ALLIANCE_SERIES), [setup.key]
    )
    members = solara.use_memo(
        lambda: charts.member_bands(computed.bands, column), [setup.key, column]
    )
    with solara.Column():
        solara.Text(_computed_line(computed, setup.steps), classes=["csto-computed"])
        Prose(
            "Bands over the draws: the median, the middle 50% and the middle 90% of "
            "replicates (the draws differ in their seed; over a calibration's posterior "
            "where one exists)."
        )
        Chart(alliance)
        solara.Select(
            "Member series",
            values=list(computed.bands.members),
            value=column,
            on_value=member_column.set,
        )
        Chart(members)
        solara.HTML(tag="div", unsafe_innerHTML=outcomes_html(computed.outcomes))


def compared_html(table: pd.DataFrame, parent: str) -> str:
    rows = "".join(
        f"<tr data-outcome='{row['outcome']}'><th style='text-align:left'>"
        f"{html.escape(str(row['text']))}</th><td>{number(row['parent'])}</td>"
        f"<td>{number(row['tweak'])}</td><td>{row['difference']:+.3f}</td>"
        f"<td>{number(row['ci_low'])} to {number(row['ci_high'])}</td></tr>"
        for row in table.to_dict("records")
    )
    return (
        TABLE_STYLE + f"<table class='csto-table'><tr><th>outcome</th><th>{html.escape(parent)}"
        "</th><th>tweak</th><th>difference</th><th>95% CI of the difference</th></tr>"
        f"{rows}</table>"
    )


@solara.component
def ComparePanel(setup: Setup, computed: Computed) -> None:
    column = member_column.value if member_column.value in computed.bands.members else "alignment"
    alliance = solara.use_memo(
        lambda: charts.alliance_bands(computed.bands, ALLIANCE_SERIES, computed.parent_bands),
        [setup.key],
    )
    members = solara.use_memo(
        lambda: charts.member_bands(computed.bands, column, computed.parent_bands),
        [setup.key, column],
    )
    with solara.Column():
        if not setup.changes:
            solara.Info("No value changed yet: the tweak is its parent. Move a slider.")
        else:
            lines = "; ".join(f"`{path}` = {value:g}" for path, value in setup.changes)
            Prose(f"The tweak of *{setup.parent.name}*: {lines}.")
        solara.Text(_computed_line(computed, setup.steps), classes=["csto-computed"])
        Prose(
            "Replicate *r* of the tweak and of its parent run under the same seed (common "
            "random numbers), so the difference is the tweak's alone; the parent is dashed."
        )
        solara.HTML(tag="div", unsafe_innerHTML=compared_html(computed.compared, setup.parent.name))
        Chart(alliance)
        Chart(members)


#: Members' order, as the schema gives it (for readers of this module's tables).
MEMBERS: Final = schema.MEMBERS
