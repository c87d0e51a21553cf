"""Reports of sweep folders: responses, heatmaps, the critical capacity, sensitivity indices,
failed runs, incomplete sweeps, and a 100,000-run sweep."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_fixture import CAPACITY, KNOWN_CRITICAL, OTHER, THIRD, linear_sobol_indices, write_sweep
from typer.testing import CliRunner

from sim import report
from sim.cli import app

RESPONSES = (
    "response-final_cohesion",
    "response-min_cohesion",
    "response-froze",
    "response-drills_cancelled",
    "response-members",
)

runner = CliRunner()


def invoke(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def figure_keys(html: str) -> list[str]:
    return re.findall(r'<figure id="fig-[^"]+" data-figure="([^"]+)">', html)


@pytest.fixture(scope="module")
def grid_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sweep(tmp_path_factory.mktemp("sweep") / "grid", size=11, replicates=6)


@pytest.fixture(scope="module")
def grid_report(grid_folder: Path) -> report.Report:
    return report.build(grid_folder)


@pytest.mark.slow
def test_grid_sweep_report_has_responses_heatmaps_and_the_critical_capacity(
    grid_report: report.Report,
) -> None:
    made = grid_report
    html = report.render_html(made)
    assert figure_keys(html) == [*RESPONSES, "heatmaps", "discovery-froze"]
    crossing = next(s for s in made.summary if s.startswith("Critical capacity"))
    value = float(re.search(r"russia.capacity.initial = ([0-9.]+)", crossing).group(1))
    assert value == pytest.approx(KNOWN_CRITICAL, abs=0.01)
    assert "No run failed." in html
    assert "sensitivity" not in figure_keys(html)


@pytest.mark.slow
def test_sweep_summary_counts_runs(grid_report: report.Report) -> None:
    made = grid_report
    assert made.summary[0] == (
        "Sweep of baseline-2022: 2 parameter(s) varied by a grid design, 121 design points × "
        "6 replicates = 726 runs; 726 succeeded, 0 failed."
    )


@pytest.mark.slow
def test_sobol_sweep_report_shows_indices_close_to_theory(tmp_path: Path) -> None:
    parameters = [CAPACITY, OTHER, THIRD]
    folder = write_sweep(tmp_path / "sobol", "sobol", parameters, size=256, replicates=2)
    made = report.build(folder)
    keys = [figure.key for figure in made.figures]
    assert "sensitivity-final_cohesion" in keys
    section = next(s for s in made.sections if s.key == "sensitivity")
    frame = section.tables[0].frame
    cohesion = frame[frame["outcome"] == "final cohesion (index 0–1)"]
    table = cohesion.drop(columns="outcome").set_index("parameter").astype(float)
    for name, expected in linear_sobol_indices(parameters).items():
        assert table.loc[name, "S1"] == pytest.approx(
            expected, abs=max(2 * table.loc[name, "S1_conf"], 0.05)
        )


@pytest.mark.slow
def test_morris_sweep_report_shows_mu_star_and_sigma(tmp_path: Path) -> None:
    folder = write_sweep(tmp_path / "morris", "morris", [CAPACITY, OTHER, THIRD], size=12)
    made = report.build(folder)
    section = next(s for s in made.sections if s.key == "sensitivity")
    assert list(section.tables[0].frame.columns) == [
        "outcome",
        "parameter",
        "mu_star",
        "mu_star_conf",
        "sigma",
    ]
    assert [figure.key for figure in section.figures] == [
        "sensitivity-matrix",
        "sensitivity-final_cohesion",
    ]


@pytest.mark.slow
def test_failed_runs_are_tabled(tmp_path: Path) -> None:
    folder = write_sweep(tmp_path / "failed", failed=5)
    made = report.build(folder)
    html = report.render_html(made)
    assert 'id="table-failed-runs"' in html
    assert "Failed runs by error (5 in all)" in html
    assert "FloatingPointError: synthetic failure" in html
    assert "479 succeeded, 5 failed" in made.summary[0]


@pytest.mark.slow
def test_incomplete_sweep_is_marked_with_the_missing_runs(tmp_path: Path) -> None:
    parameters = [CAPACITY, OTHER]
    folder = write_sweep(
        tmp_path / "incomplete",
        "sobol",
        parameters,
        size=32,
        replicates=2,
        missing_chunks=1,
        chunk_rows=100,
    )
    code, _, err = invoke("report", str(folder))
    assert code == 0
    runs = 32 * 4 * 2
    missing = runs - 100 * (runs // 100)
    assert f"csto: warning: Incomplete sweep: {missing} of {runs} runs are missing" in err
    html = (folder / "report.html").read_text()
    assert '<p class="warning" role="alert">Incomplete sweep' in html
    assert "(incomplete)" in html
    assert "Not computed: the sweep is incomplete" in html


@pytest.mark.slow
def test_manifest_saying_incomplete_is_believed(grid_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(grid_folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["complete"] = False
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert report.build(copy).title.endswith("(incomplete)")


def test_sweep_without_runs_is_refused(tmp_path: Path) -> None:
    folder = write_sweep(tmp_path / "empty")
    shutil.rmtree(folder / "runs")
    code, _, err = invoke("report", str(folder))
    assert code == 2
    assert err.count("\n") == 1
    assert "no runs yet (0 of 484)" in err


def test_sweep_missing_its_design_is_refused(grid_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(grid_folder, copy)
    (copy / "design.parquet").unlink()
    code, _, err = invoke("report", str(copy))
    assert code == 2 and "design.parquet: missing" in err


def test_sweep_with_a_corrupt_chunk_names_it(grid_folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(grid_folder, copy)
    (copy / "runs" / "chunk-000000.parquet").write_bytes(b"PAR1 broken")
    code, _, err = invoke("report", str(copy))
    assert code == 2 and err.count("\n") == 1
    assert "chunk-000000.parquet: unreadable parquet file" in err


@pytest.mark.filterwarnings("ignore:The balance properties of Sobol:UserWarning")
@pytest.mark.slow
def test_report_over_a_100000_run_sweep(tmp_path: Path) -> None:
    """A Sobol design of 3 parameters, N = 2000 (10,000 points) x 10 replicates."""
    folder = write_sweep(
        tmp_path / "big", "sobol", [CAPACITY, OTHER, THIRD], size=2000, replicates=10
    )
    runs = pd.read_parquet(folder / "runs")
    assert len(runs) == 100_000
    started = time.perf_counter()
    made = report.build(folder)
    report.write(made, folder / "report.html")
    elapsed = time.perf_counter() - started
    print(f"\nreport over a 100,000-run sweep built in {elapsed:.1f} s")
    assert made.summary[0].endswith("100000 runs; 100000 succeeded, 0 failed.")
    assert "sensitivity-final_cohesion" in [figure.key for figure in made.figures]


# --- real sweeps (sim.sweep, Engineer B's engine) ---------------------------------------------


@pytest.fixture(scope="module")
def real_sweeps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small sweeps made with ``csto sweep`` (Engineer B's engine): the grid with the scenario's
    own values (``--no-posterior``), the Sobol design drawing the rest from the posterior."""
    pytest.importorskip("sim.sweep")
    root = tmp_path_factory.mktemp("real")
    made = {}
    for design, params, samples in (
        ("grid", ["russia.capacity.initial=0:1:6", "mechanisms.weight_threat=0.5:1.25:3"], None),
        ("sobol", ["russia.capacity.initial=0:1", "mechanisms.weight_threat=0.5:1.25"], 16),
    ):
        arguments = ["sweep", "baseline-2022", "--design", design, "--replicates", "3"]
        for param in params:
            arguments += ["--param", param]
        if samples:
            arguments += ["--samples", str(samples)]
        if design == "grid":
            arguments.append("--no-posterior")
        arguments += ["--out", str(root / design), "--chunk-size", "20", "--workers", "1", "-q"]
        code, _, err = invoke(*arguments)
        assert code == 0, err
        made[design] = root / design
    return made


@pytest.mark.slow
def test_report_on_a_real_grid_sweep(real_sweeps: dict[str, Path]) -> None:
    folder = real_sweeps["grid"]
    code, _, err = invoke("report", str(folder))
    assert code == 0, err
    html = (folder / "report.html").read_text()
    keys = figure_keys(html)
    # a figure for each member outcome family the sweep reports (alignment, exit, voice)
    assert keys[:8] == [
        *RESPONSES, "response-members-froze", "response-members-voice_acts", "heatmaps"
    ]  # fmt: skip
    assert all(key.startswith("discovery-froze") for key in keys[8:])
    manifest = json.loads((folder / "manifest.json").read_text())
    made = report.build(folder)
    assert f"= {manifest['runs']} runs; {manifest['runs']} succeeded, 0 failed." in made.summary[0]
    assert any(s.startswith("Critical capacity") for s in made.summary)
    assert manifest["posterior"] is None and manifest["covers"] == "draws"
    assert any(
        "the scenario's own: replicates differ only in their seeds" in s
        and "intervals are over the random draws (seeds) of the replicates" in s
        for s in made.summary
    )
    provenance = dict(made.provenance)
    assert provenance["Command"].startswith("csto sweep baseline-2022")
    assert str(manifest["master_seed"]) == provenance["Master seed"]
    assert manifest["git"]["commit"] in provenance["Git commit"]


@pytest.mark.slow
def test_report_on_a_real_sobol_sweep(real_sweeps: dict[str, Path]) -> None:
    made = report.build(real_sweeps["sobol"])
    assert "sensitivity-final_cohesion" in [figure.key for figure in made.figures]
    manifest = json.loads((real_sweeps["sobol"] / "manifest.json").read_text())
    assert manifest["posterior"]["scenario"] == "baseline-2022"
    assert manifest["covers"] == "draws and parameters"
    assert any(
        "drawn from the calibrated posterior of baseline-2022" in s
        and "over the random draws and the uncertainty of the parameters" in s
        for s in made.summary
    )


@pytest.mark.slow
def test_report_on_a_real_sweep_missing_a_chunk(
    real_sweeps: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(real_sweeps["grid"], copy)
    chunks = sorted((copy / "runs").glob("chunk-*.parquet"))
    missing = len(pd.read_parquet(chunks[-1]))
    chunks[-1].unlink()
    made = report.build(copy)
    total = json.loads((copy / "manifest.json").read_text())["runs"]
    assert made.warnings[0].startswith(f"Incomplete sweep: {missing} of {total} runs are missing")
