"""``csto compare``: scenarios under common random numbers, side by side, with paired
differences; the batch summary equals the per-run summary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim import report
from sim.cli import app
from sim.engine import simulate
from sim.results.compare import run_comparison
from sim.results.outcomes import summary_table
from sim.results.run import run_result
from sim.scenario import load

DATA = Path(__file__).resolve().parent / "data" / "reports"
FIGURES = (
    "compare-trajectories",
    "compare-differences",
    "compare-members",
    "compare-forest",
    "compare-drivers",
)

runner = CliRunner()


def invoke(*arguments: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(arguments))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("results")
    code, _, err = invoke(
        "compare",
        "baseline-2022",
        str(DATA / "fragile.toml"),
        "--replicates",
        "20",
        "--steps",
        "30",
        "--out",
        str(out),
        "--no-posterior",  # seeds only; the posterior's draws are tested below
    )
    assert code == 0, err
    return out / "compare" / "baseline-2022-vs-fragile-seed1-r20-t30"


@pytest.mark.slow
def test_compare_writes_a_results_folder_with_a_report(compare_folder: Path) -> None:
    manifest = json.loads((compare_folder / "manifest.json").read_text())
    assert manifest["kind"] == "compare"
    assert manifest["baseline"] == "baseline-2022"
    assert [s["name"] for s in manifest["scenarios"]] == ["baseline-2022", "fragile"]
    assert set(manifest["parameters_by_scenario"]) == {"baseline-2022", "fragile"}
    for name in (
        "timeseries.parquet",
        "events.csv",
        "summary.csv",
        "differences.csv",
        "drivers.csv",
    ):
        assert name in manifest["files"]
    html = (compare_folder / "report.html").read_text()
    for key in FIGURES:
        assert f'data-figure="{key}"' in html


@pytest.mark.slow
def test_compare_uses_common_random_numbers(compare_folder: Path) -> None:
    summary = pd.read_csv(compare_folder / "summary.csv")
    seeds = summary.pivot(index="replicate", columns="scenario", values="seed")
    assert (seeds["baseline-2022"] == seeds["fragile"]).all()
    manifest = json.loads((compare_folder / "manifest.json").read_text())
    assert list(seeds["fragile"].astype(np.uint64)) == manifest["replicate_seeds"]


@pytest.mark.slow
def test_differences_equal_those_computed_from_the_files(compare_folder: Path) -> None:
    summary = pd.read_csv(compare_folder / "summary.csv")
    wide = summary.pivot(index="replicate", columns="scenario", values="final_cohesion")
    paired = (wide["fragile"] - wide["baseline-2022"]).to_numpy()
    half = stats.t.ppf(0.975, len(paired) - 1) * paired.std(ddof=1) / np.sqrt(len(paired))
    table = pd.read_csv(compare_folder / "differences.csv")
    row = table[table["outcome"] == "final_cohesion"].iloc[0]
    assert row["difference"] == pytest.approx(paired.mean())
    assert row["ci_low"] == pytest.approx(paired.mean() - half)
    assert row["ci_high"] == pytest.approx(paired.mean() + half)
    made = report.build(compare_folder)
    text = " ".join(made.summary)
    assert (
        "paired 95% interval over the random draws (seeds) of the replicates "
        f"{paired.mean() - half:+.3f} to {paired.mean() + half:+.3f}"
    ) in text
    assert f"{abs(paired.mean()):.3f} lower than under baseline-2022" in text
    # every compared outcome, each member's too, is in the table and the summary
    compared = set(table["outcome"])
    for member in ("Belarus", "Kazakhstan", "Kyrgyzstan", "Tajikistan", "Armenia"):
        assert {f"final_alignment_{member}", f"froze_{member}"} <= compared
        assert f"final alignment of {member}" in text or "alignment of each member" in text
    assert set(table["verdict"]) <= {"no difference", "negligible", "clear", "unclear"}
    assert set(table["covers"]) == {"draws"}


@pytest.mark.slow
def test_a_scenario_compared_with_itself_differs_by_exactly_zero(tmp_path: Path) -> None:
    code, out, err = invoke(
        "compare",
        "baseline-2022",
        str(DATA / "baseline-copy.toml"),
        "--draws",
        "10",
        "--replicates",
        "8",
        "--steps",
        "12",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    (folder,) = (tmp_path / "compare").iterdir()
    table = pd.read_csv(folder / "differences.csv")
    # the copy inherits the baseline's posterior: the same parameter sets, the same seeds
    assert (table[["difference", "ci_low", "ci_high"]] == 0).all().all()
    assert "no difference from baseline-2022 in any run in final cohesion" in out
    assert "final alignment of each member" in out
    # and so does every driver of every member's alignment
    drivers = pd.read_csv(folder / "drivers.csv")
    assert len(drivers) == 12 * 5  # ten drivers, their sum and the starting alignment
    assert (drivers[["difference", "ci_low", "ci_high"]] == 0).all().all()
    assert set(drivers["verdict"]) == {"no difference"}
    assert set(drivers["covers"]) == {"draws and parameters"}
    summary = " ".join(report.build(folder).summary)
    assert (
        "baseline-copy: the alignment of Belarus, Kazakhstan, Kyrgyzstan, Tajikistan and Armenia "
        "changes as under baseline-2022"
    ) in summary


def test_run_comparison_refuses_different_start_months() -> None:
    with pytest.raises(ValueError, match="start in the same month"):
        run_comparison([load("baseline-2022"), load(DATA / "late-start.toml")], 1, 2, 6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["baseline-2022"], "compare needs at least two scenarios"),
        (["baseline-2022", str(DATA / "late-start.toml")], "start in the same month"),
        (["baseline-2022", "baseline-2022"], "scenario names must differ"),
        (["baseline-2022", "no-such-scenario"], "no-such-scenario: no such scenario"),
        (
            ["baseline-2022", "protracted-war", "--outcome", "alignment_armnia"],
            "--outcome: unknown outcome 'alignment_armnia'",
        ),
    ],
)
def test_compare_refuses_bad_input_in_one_line(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    code, _, err = invoke("compare", *arguments, "--out", str(tmp_path), "--replicates", "2")
    assert code == 2
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "compare").exists()


def test_batch_summary_equals_the_per_run_summary() -> None:
    scenario = load(DATA / "fragile.toml")
    batch = simulate(scenario, [3, 5, 8], steps=36, timeseries=True, events=True)
    table = summary_table(batch)
    froze = 0
    for run in range(3):
        expected = run_result(batch, run).summary
        row = table.iloc[run]
        for key, value in expected.items():
            if value is None:
                assert pd.isna(row[key]), key
            elif isinstance(value, float):
                assert row[key] == pytest.approx(value, abs=1e-12), key
            else:
                assert row[key] == value, key
        froze += expected["first_freeze_step"] is not None
    assert froze, "the fixture should exercise freezes"


@pytest.mark.slow
def test_compare_about_an_outcome_prints_every_member_and_leads_with_it(tmp_path: Path) -> None:
    code, out, err = invoke(
        "compare",
        "baseline-2022",
        "west-engages-armenia",
        "--outcome",
        "ALIGNMENT_armenia",
        "--replicates",
        "8",
        "--steps",
        "24",
        "--out",
        str(tmp_path),
    )
    assert code == 0, err
    (folder,) = (tmp_path / "compare").iterdir()
    table = pd.read_csv(folder / "differences.csv")
    assert table["outcome"].iloc[0] == "final_alignment_Armenia"
    printed = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert set(table["outcome"]) <= printed
    for row in table.to_dict("records"):
        line = next(x for x in out.splitlines() if x.split()[:1] == [row["outcome"]])
        assert line.endswith(row["verdict"])
        assert f"{row['difference']:+.3f}" in line
    assert json.loads((folder / "manifest.json").read_text())["outcome"] == (
        "final_alignment_Armenia"
    )
    made = report.build(folder)
    assert made.figures[0].title == "Alignment of Armenia under each scenario, side by side"
    summary = pd.read_csv(folder / "summary.csv")
    armenia = summary.groupby("scenario")["final_alignment_Armenia"].mean()
    mean = armenia["west-engages-armenia"]
    text = " ".join(made.summary)
    assert f"west-engages-armenia: mean final alignment of Armenia {mean:.2f}" in text
