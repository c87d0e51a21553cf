"""The dashboard's data, without a browser: values, entries, the tweak file, the stepped
replicate, bands, draws, the comparison, the results folder, and the command's errors."""

from __future__ import annotations

import doctest
import hashlib
import importlib
import socket
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from csto_cli import assert_one_line_error, invoke

import sim
from sim.dashboard import runs, values
from sim.dashboard.app import monitors_html, prose_html, replicate_seed
from sim.dashboard.stepping import SteppedReplicate, driver_columns
from sim.engine import simulate
from sim.model.draws import derive_seeds
from sim.model.state import ALLIANCE_SERIES, MEMBER_SERIES
from sim.results.folder import read
from sim.scenario import ScenarioError, schema

BASELINE = sim.load("baseline-2022")


@pytest.mark.parametrize(
    "module",
    ["sim.dashboard.values", "sim.dashboard.stepping", "sim.dashboard.runs"],
)
def test_module_doctests_pass(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_value_with_a_range_in_its_file_is_uncertain_with_that_range() -> None:
    items = values.uncertain_values(BASELINE)
    by_path = {item.path: item for item in items}
    ranged = [
        v
        for v in BASELINE.values.values()
        if v.has_range and v.low != v.high and schema.leaf(v.path) is not None
    ]
    assert set(by_path) == {v.path for v in ranged}
    for value in ranged:
        item = by_path[value.path]
        assert (item.low, item.high, item.value) == (value.low, value.high, value.value)
        assert item.source == value.source and item.source
        assert item.low <= item.value <= item.high
        if not item.integer:
            assert (item.high - item.low) / item.step >= values.SLIDER_POSITIONS - 1e-6
    assert by_path["mechanisms.clash_memory_months"].integer
    assert by_path["mechanisms.clash_memory_months"].step == 1


def test_a_value_without_a_range_is_not_offered() -> None:
    paths = {item.path for item in values.uncertain_values(BASELINE)}
    assert "members.Belarus.russian_share" not in paths  # a census figure: no range
    assert "russia.capacity.ceiling" not in paths  # a definition: no range


@pytest.mark.parametrize(
    ("entry", "accepted"),
    [("0.45", 0.45), (" .6 ", 0.6), ("3e-1", 0.3), ("0.7", 0.7), ("0.3", 0.3)],
)
def test_an_entry_inside_the_range_is_accepted(entry: str, accepted: float) -> None:
    item = next(i for i in values.uncertain_values(BASELINE) if i.path == "russia.capacity.initial")
    assert values.parse_entry(item, entry) == (accepted, None)


@pytest.mark.parametrize("entry", ["0.71", "0.29", "-1", "nan", "inf", "", "half", "٠.٥", "1e400"])
def test_an_entry_outside_the_range_is_refused_with_the_range(entry: str) -> None:
    item = next(i for i in values.uncertain_values(BASELINE) if i.path == "russia.capacity.initial")
    value, problem = values.parse_entry(item, entry)
    assert value is None
    assert problem is not None and "[0.3, 0.7]" in problem and "baseline-2022.toml" in problem


def test_a_whole_number_value_refuses_fractions() -> None:
    item = next(
        i for i in values.uncertain_values(BASELINE) if i.path == "mechanisms.clash_memory_months"
    )
    assert values.parse_entry(item, "2.5")[0] is None
    assert values.parse_entry(item, "4") == (4.0, None)


def test_the_tweak_file_is_a_valid_child_scenario_with_the_changed_values(tmp_path: Path) -> None:
    items = values.uncertain_values(BASELINE)
    changes = {"russia.capacity.initial": 0.35, "clashes.Kyrgyzstan-Tajikistan": 0.08}
    changes["mechanisms.clash_memory_months"] = 5
    text = values.tweak_toml(BASELINE, items, changes)
    path = tmp_path / "tweak.toml"
    path.write_text(text, encoding="utf-8")
    assert invoke("validate", path).exit_code == 0
    loaded = sim.load(path)
    tweak = values.tweaked(BASELINE, changes)
    assert loaded.name == tweak.name == values.tweak_name(BASELINE, changes)
    for name, value in changes.items():
        assert loaded[name] == value == tweak[name]
        assert "set in csto dashboard" in loaded.values[name].source

    def numbers(scenario: sim.Scenario) -> dict[str, object]:
        return {p: v.value for p, v in scenario.values.items() if p not in schema.TOP_FIELDS}

    assert numbers(loaded) == numbers(tweak)


def test_a_tweak_without_changes_is_its_parent() -> None:
    assert values.tweaked(BASELINE, {}) is BASELINE
    assert values.changed_values(values.uncertain_values(BASELINE), {"russia.reserve": 0.2}) == {}


def test_the_stepped_replicate_shows_sim_run_for_its_seed() -> None:
    changes = {"russia.capacity.initial": 0.4, "mechanisms.inertia": 0.9}
    tweak = values.tweaked(BASELINE, changes)
    model = SteppedReplicate(tweak, rng=77, steps=12)
    reference = sim.run("baseline-2022", seed=77, steps=12, overrides=changes)
    for step in range(1, 13):
        model.step()
        now = model.alliance_now()
        alliance = reference.alliance_series().set_index("step").loc[step]
        for name in ALLIANCE_SERIES:
            assert now[name] == pytest.approx(float(alliance[name]), abs=1e-12), (step, name)
        members = model.members_now()
        for name in ("alignment", "trust", "dependence"):
            expected = reference.member_series(name).loc[step]
            np.testing.assert_allclose(members[name].to_numpy(), expected.to_numpy(), atol=1e-12)
    assert not model.running
    shown = model.events_so_far()
    assert len(shown) == len(reference.events)
    assert list(shown["step"]) == sorted(shown["step"], reverse=True)
    assert shown["explanation"].str.len().min() > 0


def test_the_monitors_show_the_numbers_with_their_names() -> None:
    model = SteppedReplicate(BASELINE, rng=3, steps=4)
    model.step()
    table = monitors_html(model)
    cohesion = f'data-series="cohesion">{model.alliance_now()["cohesion"]:.3f}<'
    assert cohesion in table
    alignment = model.members_now().loc["Armenia", "alignment"]
    assert f'data-member="Armenia" data-series="alignment">{alignment:.3f}<' in table


def test_drivers_are_the_member_columns_named_driver() -> None:
    columns = driver_columns(MEMBER_SERIES)
    assert columns == tuple(c for c in MEMBER_SERIES if c[:7] == "driver_")
    assert len(columns) == 10  # seven motives, the neutral drift, peers and coercion
    model = SteppedReplicate(BASELINE, rng=3, steps=4)
    model.step()
    drivers = model.drivers_now()
    assert list(drivers.columns) == [c.removeprefix("driver_").replace("_", " ") for c in columns]
    # what moved each member this month adds up to its change in alignment
    change = model.state.alignment[0] - model.recorder.series["alignment"][0, 0]
    np.testing.assert_allclose(drivers.sum(axis=1).to_numpy(), change, atol=1e-12)


def test_the_stepped_replicate_is_replicate_r_of_the_master_seed() -> None:
    from sim.dashboard.app import Setup

    setup = Setup(BASELINE, (), (), BASELINE, runs.SeedDraws(5, 10), 36)
    assert [replicate_seed(setup, r) for r in range(10)] == derive_seeds(5, 10)


def test_bands_are_the_quantiles_over_draws_of_every_recorded_column() -> None:
    batch = runs.run_draws(BASELINE, runs.SeedDraws(2, 40), 12)
    bands = runs.bands(batch)
    assert batch.series is not None
    assert set(bands.alliance) | set(bands.members) == set(batch.series)
    final = bands.alliance["cohesion"][bands.quantile(0.5), -1]
    assert final == pytest.approx(float(np.median(batch.final_cohesion)))
    low, high = bands.members["alignment"][[bands.quantile(0.05), bands.quantile(0.95)]]
    assert (low <= high).all()


def test_parameter_draws_run_each_draw_with_its_own_values() -> None:
    posterior = {"russia.capacity.initial": [0.35, 0.5, 0.65], "mechanisms.inertia": [0.8] * 3}
    draws = runs.ParameterDraws(posterior, master_seed=9)
    batch = runs.run_draws(BASELINE, draws, 10)
    for index, seed in enumerate(draws.seeds()):
        chosen = {path: column[index] for path, column in posterior.items()}
        alone = sim.run("baseline-2022", seed=seed, steps=10, overrides=chosen)
        assert batch.final_cohesion[index] == alone.summary["final_cohesion"]
    with pytest.raises(ValueError, match=r"russia\.capacity\.initail"):
        runs.ParameterDraws({"russia.capacity.initail": [0.4]}, master_seed=1)
    drawn = runs.posterior_draws(BASELINE, 1, 4)
    assert drawn is not None and drawn.draws == 4  # the baseline's calibrated posterior
    assert drawn.values == runs.posterior_draws(BASELINE, 1, 4).values  # type: ignore[union-attr]


def test_the_comparison_pairs_each_replicate_with_its_parent_under_the_same_seed() -> None:
    tweak = values.tweaked(BASELINE, {"russia.capacity.initial": 0.35})
    draws = runs.SeedDraws(4, 30)
    computed = runs.compute(tweak, BASELINE, draws, 24)
    parent = simulate(BASELINE, draws.seeds(), steps=24)
    row = computed.compared.set_index("outcome").loc["final_cohesion"]
    difference = computed.batch.final_cohesion - parent.final_cohesion
    assert row["difference"] == pytest.approx(float(difference.mean()))
    assert row["parent"] == pytest.approx(float(parent.final_cohesion.mean()))
    assert row["ci_low"] <= row["difference"] <= row["ci_high"]
    same = runs.compute(BASELINE, BASELINE, draws, 24)
    assert (same.compared["difference"] == 0).all()
    table = computed.outcomes.set_index("outcome")
    assert table.loc["final_cohesion", "mean"] == pytest.approx(
        float(computed.batch.final_cohesion.mean())
    )


def test_the_results_folder_is_what_csto_run_writes_from_the_tweak_file(tmp_path: Path) -> None:
    items = values.uncertain_values(BASELINE)
    changes = {"russia.capacity.initial": 0.45}
    tweak = values.tweaked(BASELINE, changes)
    text = values.tweak_toml(BASELINE, items, changes)
    draws = runs.SeedDraws(3, 4)
    folder = runs.write_results(tweak, text, draws, 6, tmp_path / "results")
    assert folder.is_relative_to(tmp_path / "results")
    assert (folder / "scenario.toml").read_text(encoding="utf-8") == text
    assert read(folder).kind == "run"
    assert runs.write_results(tweak, text, draws, 6, tmp_path / "results") == folder
    # the folder holds the tweak at its own values (seeds only): csto run --no-posterior
    again = invoke(
        "run", folder / "scenario.toml", "--seed", "3", "-r", "4", "-t", "6",
        "--out", tmp_path / "again", "--quiet", "--no-posterior",
    )  # fmt: skip
    assert again.exit_code == 0, again.stderr
    rerun = tmp_path / "again" / tweak.name / folder.name
    for name in ("timeseries.parquet", "events.csv", "summary.csv"):
        digest = [hashlib.sha256((f / name).read_bytes()).hexdigest() for f in (folder, rerun)]
        assert digest[0] == digest[1], name
    archive = runs.zip_folder(folder)
    assert archive[:2] == b"PK"
    report = invoke("report", folder)
    assert report.exit_code == 0, report.stderr
    assert (folder / "report.html").is_file()


def test_text_shown_in_the_page_is_escaped() -> None:
    assert prose_html("**a** <b>x</b> `c`") == "<b>a</b> &lt;b&gt;x&lt;/b&gt; <code>c</code>"


def test_a_bad_scenario_or_a_busy_port_is_a_one_line_error() -> None:
    assert_one_line_error(invoke("dashboard", "no-such-scenario"), "no such scenario")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        message = assert_one_line_error(invoke("dashboard", "--port", str(port)), "in use")
    assert str(port) in message


def test_the_tweak_name_fits_the_scenario_name_rules() -> None:
    long = replace(BASELINE, name="x" * 64)
    name = values.tweak_name(long, {"russia.reserve": 0.3})
    assert len(name) <= 64 and name.endswith(name[-8:])
    with pytest.raises(ScenarioError):
        values.tweaked(BASELINE, {"russia.capacity.initial": 2.0})
