"""``csto forecast``: half-years, the probabilities against a direct reading of simulate(), the
persistence baseline, the results folder (reproducible, read back, reported) and its errors."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from csto_cli import assert_one_line_error, invoke
from posterior_fixture import calibrated_copy

from sim.calibrate.posterior import posterior_for
from sim.engine import MEMBERS, simulate
from sim.model.draws import derive_seeds
from sim.results import forecast as forecasting
from sim.results.folder import FolderError, read
from sim.results.forecast import (
    COLUMNS,
    ForecastError,
    forecast_table,
    half_years,
    periods_for,
    run_forecast,
    write_forecast,
)
from sim.scenario import load, month_index

DRAWS, REPLICATES, SEED, STEPS = 12, 3, 5, 19


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return calibrated_copy(tmp_path_factory.mktemp("calibrated"), particles=120)


@pytest.fixture(scope="module")
def table(scenario_file: Path) -> pd.DataFrame:
    scenario = load(str(scenario_file))
    made = run_forecast(
        scenario,
        posterior_for(scenario),
        draws=DRAWS,
        replicates=REPLICATES,
        seed=SEED,
        steps=STEPS,
    )
    return forecast_table(made)


# --- half-years ---------------------------------------------------------------------------------


def test_half_years_run_october_to_march_and_april_to_september() -> None:
    periods = half_years("2022-09", 37)
    assert [(p.start, p.end) for p in periods] == [
        ("2022-10", "2023-03"),
        ("2023-04", "2023-09"),
        ("2023-10", "2024-03"),
        ("2024-04", "2024-09"),
        ("2024-10", "2025-03"),
        ("2025-04", "2025-09"),
    ]
    assert (periods[0].first, periods[0].last) == (2, 7)  # step 2 is October 2022
    assert (periods[-1].first, periods[-1].last) == (32, 37)  # step 37 is September 2025
    assert all(p.months == 6 for p in periods)


def test_a_trailing_part_of_a_half_year_is_left_out_and_further_steps_add_half_years() -> None:
    assert len(half_years("2022-09", 36)) == 5  # the sixth would end in September 2025
    assert len(half_years("2022-09", 43)) == 7
    assert half_years("2023-01", 12)[0].start == "2023-04"  # the first April or October


def test_a_horizon_without_a_whole_half_year_is_refused() -> None:
    with pytest.raises(ForecastError, match="no whole half-year"):
        periods_for("2022-09", 6)


# --- the probabilities, against simulate() read directly ------------------------------------------


def direct(scenario_file: Path) -> dict[str, object]:
    """The runs of the forecast made by hand: draw d's values for runs d*R .. d*R+R-1, each with
    its seed from the master seed, every series recorded."""
    scenario = load(str(scenario_file))
    posterior = posterior_for(scenario)
    assert posterior is not None
    drawn = posterior.draw(DRAWS, SEED)
    overrides = {path: np.repeat(values, REPLICATES) for path, values in drawn.items()}
    seeds = derive_seeds(SEED, DRAWS * REPLICATES)
    batch = simulate(scenario, seeds, overrides, steps=STEPS, timeseries=True)
    assert batch.series is not None
    return {"series": batch.series, "scenario": scenario}


def rows(table: pd.DataFrame, quantity: str, subject: str, statistic: str) -> pd.DataFrame:
    chosen = table[
        (table["quantity"] == quantity)
        & (table["subject"] == subject)
        & (table["statistic"] == statistic)
    ]
    return chosen.sort_values("period_start")


def test_the_probabilities_are_those_of_simulate_read_directly(
    scenario_file: Path, table: pd.DataFrame
) -> None:
    made = direct(scenario_file)
    series = made["series"]
    assert isinstance(series, dict)
    voice_acts, frozen = series["voice_acts"], series["frozen"]
    cohesion, held = series["cohesion"], series["drills_held"]
    spans = [(2, 7), (8, 13), (14, 19)]  # October-March, April-September, October-March
    for index, member in enumerate(MEMBERS):
        voice = [
            np.mean(voice_acts[:, last, index] - voice_acts[:, first - 1, index] > 0)
            for first, last in spans
        ]
        exited = [np.mean(frozen[:, last, index] > 0) for _first, last in spans]
        np.testing.assert_allclose(rows(table, "voice", member, "probability")["model"], voice)
        np.testing.assert_allclose(rows(table, "exit", member, "probability")["model"], exited)
        october = np.mean(voice_acts[:, 2, index] - voice_acts[:, 1, index] > 0)
        assert set(rows(table, "voice", member, "probability")["persistence"]) == {october}
        carried_exit = np.mean(frozen[:, 2, index] > 0)
        assert set(rows(table, "exit", member, "probability")["persistence"]) == {carried_exit}
    for statistic, level in zip(forecasting.QUANTILE_STATISTICS, forecasting.LEVELS, strict=True):
        expected = [np.quantile(cohesion[:, last], level) for _first, last in spans]
        found = rows(table, "cohesion", "alliance", statistic)
        np.testing.assert_allclose(found["model"], expected)
        assert set(found["persistence"]) == {np.quantile(cohesion[:, 2], level)}
    drills = [np.mean(held[:, last] - held[:, first - 1] > 0) for first, last in spans]
    found = rows(table, "drills_held", "alliance", "probability")
    np.testing.assert_allclose(found["model"], drills)
    # the baseline's drills: every six months from October 2022, one in each half-year, and the
    # October 2022 drill is the one persistence carries forward
    scenario = made["scenario"]
    first_drill = month_index(scenario.start, scenario["drills.first_at"]) + 1
    assert first_drill == 2
    assert set(found["persistence"]) == {np.mean(held[:, 2] - held[:, 1] > 0)}


def test_the_table_is_tidy_and_complete(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == COLUMNS
    periods = 3
    members = len(MEMBERS)
    # voice and exit: one probability per member and half-year; cohesion: mean and five
    # quantiles; drills: probability and mean
    assert len(table) == periods * (2 * members + 6 + 2)
    keys = ["quantity", "subject", "period_start", "statistic"]
    assert not table.duplicated(keys).any()
    assert table["observed"].isna().all()
    assert set(table["issued"]) == {"2022-10"}
    assert (table["runs"] == DRAWS * REPLICATES).all()
    probability = table[table["statistic"] == "probability"]
    assert probability["model"].between(0, 1).all()
    assert probability["persistence"].between(0, 1).all()
    cohesion = table[table["quantity"] == "cohesion"].pivot(
        index="period_start", columns="statistic", values="model"
    )
    quantiles = cohesion[list(forecasting.QUANTILE_STATISTICS)].to_numpy()
    assert (np.diff(quantiles, axis=1) >= 0).all()  # the band is ordered


def test_exit_is_absorbing_so_its_probability_never_falls(table: pd.DataFrame) -> None:
    for member in MEMBERS:
        values = rows(table, "exit", member, "probability")["model"].to_numpy()
        assert (np.diff(values) >= 0).all()


def test_the_standard_error_clusters_runs_by_draw() -> None:
    draw = np.repeat(np.arange(4), 2)
    values = np.array([1, 1, 0, 0, 1, 1, 0, 0], dtype=float)  # draws decide everything
    mean, error = forecasting._share(values, draw, 4)
    assert mean == 0.5
    assert error == pytest.approx(np.std([1, 0, 1, 0], ddof=1) / 2)


def test_batches_do_not_change_the_forecast(
    scenario_file: Path, table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forecasting, "BATCH_RUNS", 7)
    scenario = load(str(scenario_file))
    again = run_forecast(
        scenario,
        posterior_for(scenario),
        draws=DRAWS,
        replicates=REPLICATES,
        seed=SEED,
        steps=STEPS,
    )
    pd.testing.assert_frame_equal(forecast_table(again), table)


def test_without_the_posterior_every_draw_is_the_scenarios_own(scenario_file: Path) -> None:
    scenario = load(str(scenario_file))
    made = run_forecast(scenario, None, draws=4, replicates=2, seed=SEED, steps=STEPS)
    assert made.drawn == () and made.posterior is None
    seeds = derive_seeds(SEED, 8)
    batch = simulate(scenario, seeds, steps=STEPS, record=["cohesion"])
    assert batch.series is not None
    found = rows(forecast_table(made), "cohesion", "alliance", "mean")["model"].iloc[-1]
    assert found == pytest.approx(batch.series["cohesion"][:, 19].mean())


# --- the results folder ------------------------------------------------------------------------


def digests(folder: Path) -> dict[str, str]:
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in ("forecast.csv", "ensemble.parquet")
    }


def test_the_same_seed_writes_the_same_files_and_reads_back(
    scenario_file: Path, tmp_path: Path
) -> None:
    scenario = load(str(scenario_file))
    folders = []
    for name in ("first", "second"):
        made = run_forecast(
            scenario, posterior_for(scenario), draws=6, replicates=2, seed=SEED, steps=STEPS
        )
        folders.append(
            write_forecast(made, tmp_path / name, command=["csto", "forecast"], started="now")
        )
    assert digests(folders[0]) == digests(folders[1])
    back = read(folders[0])
    assert back.kind == "forecast"
    assert isinstance(back, forecasting.ForecastFolder)
    assert back.manifest["forecast"]["origin"] == "2022-10"
    assert back.manifest["forecast"]["drills_scheduled"] == [1, 1, 1]
    ensemble = pd.read_parquet(folders[0] / "ensemble.parquet")
    assert len(ensemble) == 12 * 4  # every run at its origin month and three half-years
    origin = ensemble[ensemble["period"] == 0]
    persistence = back.table[
        (back.table["quantity"] == "voice")
        & (back.table["subject"] == "Armenia")
        & (back.table["period_start"] == "2022-10")
    ]["persistence"]
    assert float(persistence.iloc[0]) == pytest.approx(origin["voice_Armenia"].mean())


def test_a_forecast_table_with_an_unknown_quantity_is_refused(
    scenario_file: Path, tmp_path: Path
) -> None:
    scenario = load(str(scenario_file))
    made = run_forecast(scenario, None, draws=2, replicates=1, seed=1, steps=STEPS)
    folder = write_forecast(made, tmp_path / "f", command=["csto"], started="now")
    text = (folder / "forecast.csv").read_text(encoding="utf-8")
    (folder / "forecast.csv").write_text(text.replace(",voice,", ",mood,"), encoding="utf-8")
    with pytest.raises(FolderError, match="quantity: unknown mood"):
        read(folder)


# --- the command ---------------------------------------------------------------------------------


def test_a_scenario_without_a_posterior_is_one_line_naming_the_way_out(tmp_path: Path) -> None:
    bare = tmp_path / "bare.toml"  # a scenario of its own, no posterior beside it
    bare.write_bytes(
        (Path(__file__).parent.parent / "scenarios" / "baseline-2022.toml").read_bytes()
    )
    result = invoke("forecast", bare, "--out", tmp_path / "out")
    assert_one_line_error(result, "no calibrated posterior", "--no-posterior")
    assert not (tmp_path / "out").exists()


def test_a_stale_posterior_is_refused_in_one_line(tmp_path: Path) -> None:
    scenario = calibrated_copy(tmp_path / "stale", particles=20)
    scenario.write_text(scenario.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    result = invoke("forecast", scenario, "--out", tmp_path / "out")
    assert_one_line_error(result, "stale")
    assert not (tmp_path / "out").exists()


def test_too_few_steps_for_a_half_year_is_one_line(scenario_file: Path, tmp_path: Path) -> None:
    result = invoke("forecast", scenario_file, "--steps", "5", "--out", tmp_path)
    assert_one_line_error(result, "--steps 5", "no whole half-year")


@pytest.mark.slow
def test_the_command_writes_its_folder_and_report(scenario_file: Path, tmp_path: Path) -> None:
    arguments = ["--draws", "8", "--replicates", "2", "--seed", "3", "--out", tmp_path]
    result = invoke("forecast", scenario_file, *arguments)
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / "forecasts" / "baseline-2022" / "seed3-d8-r2"
    assert f"Results: {folder}" in result.stdout
    names = {path.name for path in folder.iterdir()}
    assert names == {"forecast.csv", "ensemble.parquet", "manifest.json", "report.html"}
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert 'data-kind="forecast"' in page
    assert page.count("data:image/png;base64,") == 2
    assert "Model (persistence) by half-year" in page
    again = invoke("forecast", scenario_file, *arguments)
    assert_one_line_error(again, "already exists")
    fixed = invoke("forecast", scenario_file, *arguments, "--no-posterior", "--steps", "13")
    assert fixed.exit_code == 0, fixed.stderr
    assert (tmp_path / "forecasts" / "baseline-2022" / "seed3-d8-r2-t13-fixed").is_dir()
    rebuilt = invoke("report", folder, "--out", tmp_path / "again.html")
    assert rebuilt.exit_code == 0, rebuilt.stderr


def test_the_scoring_examples_of_the_docs_run_on_a_forecast_folder(
    scenario_file: Path, tmp_path: Path
) -> None:
    import re

    text = (Path(__file__).parent.parent / "docs" / "forecast.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    assert all("MADE-UP" in block for block in blocks)  # never what happened
    scenario = load(str(scenario_file))
    made = run_forecast(scenario, posterior_for(scenario), draws=4, replicates=2, seed=1)
    folder = write_forecast(made, tmp_path / "f", command=["csto"], started="now")
    namespace: dict[str, object] = {"folder": folder}
    for block in blocks:
        exec(compile(block, "docs/forecast.md", "exec"), namespace)
    scores = namespace["scores"]
    assert isinstance(scores, pd.DataFrame)
    assert list(scores.index) == ["drills_held", "exit", "voice"]
    assert (scores[["brier_model", "brier_persistence"]] <= 1).all().all()
    crps = namespace["crps"]
    assert callable(crps)
    # the CRPS of a one-member ensemble is the absolute error; of a spread one, less than it
    assert crps(np.array([0.5]), 0.2) == pytest.approx(0.3)
    assert crps(np.array([0.1, 0.3]), 0.2) == pytest.approx(0.1 - 0.05)


def test_the_reports_tables_are_read_from_forecast_csv(table: pd.DataFrame) -> None:
    from sim.report.forecast import cohesion_band, probability_rows, wide_table

    wide = wide_table(table)
    assert len(wide) == 2 * len(MEMBERS) + 2  # voice and exit per member, cohesion, drills
    assert list(wide.columns[2:]) == [
        "2022-10 to 2023-03",
        "2023-04 to 2023-09",
        "2023-10 to 2024-03",
    ]
    armenia = rows(table, "exit", "Armenia", "probability").iloc[-1]
    cell = wide[(wide["quantity"] == "exited") & (wide["subject"] == "Armenia")].iloc[0, -1]
    assert cell == f"{armenia['model']:.2f} ({armenia['persistence']:.2f})"
    band = cohesion_band(table)
    assert list(band["period"]) == [0, 1, 2]
    model = band[[f"model_{q}" for q in forecasting.QUANTILE_STATISTICS]].to_numpy()
    assert (np.diff(model, axis=1) >= 0).all()
    ordered = probability_rows(table)
    assert list(dict.fromkeys(ordered["subject"])) == [*MEMBERS, "drills held"]
