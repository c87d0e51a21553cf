"""End-to-end tests of ``csto run``, ``csto scenarios``, ``csto show`` and ``csto validate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from csto_cli import ROOT, SCENARIOS, assert_one_line_error, files_under, invoke

from sim.model.draws import derive_seeds
from sim.scenario import available, load, schema

DATA_FILES = ("timeseries.parquet", "events.csv", "summary.csv", "manifest.json")


def results_path(stdout: str) -> Path:
    """The results folder printed on the last line of ``csto run``."""
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("Results: "), stdout
    return Path(last.removeprefix("Results: "))


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """One small run of the baseline with figures and CSV: (folder, stdout, stderr)."""
    out = tmp_path_factory.mktemp("results")
    result = invoke(
        "run", "baseline-2022", "--seed", "3", "--replicates", "4", "--steps", "6",
        "--no-posterior", "--out", out, "--csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return results_path(result.stdout), result.stdout, result.stderr


def test_help_lists_the_subcommands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "scenarios", "show", "validate"):
        assert command in result.stdout


@pytest.mark.slow
def test_run_writes_the_results_folder_under_out_scenario_run_id(
    baseline_run: tuple[Path, str, str], tmp_path: Path
) -> None:
    folder, _, _ = baseline_run
    assert folder.name == "seed3-r4-t6"
    assert folder.parent.name == "baseline-2022"
    names = {str(path.relative_to(folder)) for path in files_under(folder)}
    assert names == {
        *DATA_FILES,
        "timeseries.csv",
        "figures",
        "figures/cohesion.png",
        "figures/members.png",
    }
    for png in ("cohesion.png", "members.png"):
        assert (folder / "figures" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_run_prints_a_summary_that_matches_the_files(baseline_run: tuple[Path, str, str]) -> None:
    folder, stdout, _ = baseline_run
    summary = pd.read_csv(folder / "summary.csv")
    assert len(summary) == 4
    final = summary["final_cohesion"].mean()
    row = next(
        line for line in stdout.splitlines() if line.startswith("│ Cohesion, end of 2023-02")
    )
    assert f"│ {final:.3f} │" in row
    for name in schema.MEMBERS:
        alignment = summary[f"final_alignment_{name}"].mean()
        assert any(
            line.startswith(f"│ {name}") and f"{alignment:.3f}" in line
            for line in stdout.splitlines()
        ), name
    assert "Exited" in stdout
    assert "95% CI" in stdout


@pytest.mark.slow
def test_run_shows_a_progress_bar_on_stderr(baseline_run: tuple[Path, str, str]) -> None:
    _, _, stderr = baseline_run
    assert "baseline-2022: runs" in stderr
    assert "4/4" in stderr


def test_run_draws_parameter_sets_from_the_posterior_and_splits_the_spread(tmp_path: Path) -> None:
    """With a calibrated posterior, csto run runs DRAWS parameter sets under the same seeds and
    tells the spread the seeds make from the spread the parameters make."""
    result = invoke("run", "baseline-2022", "-r", "3", "-d", "20", "-t", "6", "--out", tmp_path)
    assert result.exit_code == 0, result.stderr
    folder = results_path(result.stdout)
    assert folder.name == "seed1-d20-r3-t6"
    summary = pd.read_csv(folder / "summary.csv", dtype={"seed": "uint64"})
    assert len(summary) == 60
    assert summary["draw"].tolist() == [d for d in range(20) for _ in range(3)]
    assert summary["seed"].tolist() == derive_seeds(1, 3) * 20  # every draw under the same seeds
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["draws"] == 20 and manifest["runs"] == 60
    assert manifest["covers"] == "draws and parameters"
    assert manifest["posterior"]["scenario"] == "baseline-2022"
    assert "--draws" in manifest["command"]
    assert "± seeds" in result.stdout and "± params" in result.stdout
    # the parameters spread the runs: final cohesion differs between draws at the same seed
    first_seed = summary[summary["seed"] == summary["seed"].iloc[0]]
    assert first_seed["final_cohesion"].nunique() > 1
    from sim import report

    text = " ".join(report.build(folder).summary)
    assert "60 runs (20 parameter sets from the calibrated posterior x 3 seeds)" in text
    assert "over the random draws and the calibrated parameters" in text


def test_run_without_a_posterior_refuses_draws(tmp_path: Path) -> None:
    result = invoke("run", "baseline-2022", "-d", "5", "--no-posterior", "--out", tmp_path)
    assert_one_line_error(result, "--draws 5 needs a calibrated posterior")
    assert not any(tmp_path.iterdir())


def test_run_reports_freezes_with_month_and_share(tmp_path: Path) -> None:
    fragile = tmp_path / "fragile.toml"
    # members quick to exit: a stance under hedging counts as turned, no loyalty, one
    # unanswered voice act, a weak pull to stay
    fragile.write_text(
        'extends = "baseline-2022"\n[mechanisms]\nexit_threshold = 0.5\nloyalty = 0.0\n'
        "voice_before_exit = 1\nweight_regime = 0.5\nweight_lockin = 0.5\n",
        encoding="utf-8",
    )
    result = invoke(
        "run", fragile, "-r", "5", "-t", "24", "--out", tmp_path, "--no-figures", "--no-posterior"
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    folder = results_path(result.stdout)
    summary = pd.read_csv(folder / "summary.csv", dtype={"freeze_month_Armenia": str})
    froze = summary["freeze_month_Armenia"].dropna()
    assert len(froze) > 0, "Armenia should freeze in this scenario"
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ Armenia"))
    share = len(froze) / len(summary)
    assert f"{share:.0%} ({len(froze)}/5)" in row
    months = sorted(froze)
    assert months[(len(months) - 1) // 2] in row or months[len(months) // 2] in row  # the median


@pytest.mark.slow
def test_seeds_of_replicates_derive_from_the_master_seed(
    baseline_run: tuple[Path, str, str],
) -> None:
    folder, _, _ = baseline_run
    summary = pd.read_csv(folder / "summary.csv", dtype={"seed": "uint64"})
    assert summary["seed"].tolist() == derive_seeds(3, 4)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["replicate_seeds"] == derive_seeds(3, 4)


def test_run_accepts_a_path_and_default_steps_from_the_scenario(tmp_path: Path) -> None:
    result = invoke(
        "run", SCENARIOS / "ceasefire-2023.toml", "-r", "1", "--out", tmp_path, "--no-figures",
        "--quiet",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    # the child inherits the baseline's posterior: 100 parameter sets, each under one seed
    assert result.stdout.strip() == f"Results: {tmp_path / 'ceasefire-2023' / 'seed1-d100-r1-t37'}"
    frame = pd.read_parquet(
        tmp_path / "ceasefire-2023" / "seed1-d100-r1-t37" / "timeseries.parquet"
    )
    assert frame["step"].max() == load("ceasefire-2023").horizon


@pytest.mark.slow
def test_rerun_into_an_existing_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    arguments = (
        "run", "baseline-2022", "-r", "1", "-t", "2", "--out", tmp_path, "-q", "--no-posterior"
    )  # fmt: skip
    assert invoke(*arguments, "--no-figures").exit_code == 0
    folder = tmp_path / "baseline-2022" / "seed1-r1-t2"
    before = (folder / "manifest.json").read_bytes()
    refused = invoke(*arguments)
    assert_one_line_error(refused, str(folder), "already exists", "--force")
    assert (folder / "manifest.json").read_bytes() == before
    assert not (folder / "figures").exists()
    forced = invoke(*arguments, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (folder / "figures" / "cohesion.png").exists()
    assert [path.name for path in (tmp_path / "baseline-2022").iterdir()] == ["seed1-r1-t2"]


def test_unknown_scenario_name_suggests_the_nearest(tmp_path: Path) -> None:
    result = invoke("run", "baseline-2023", "--out", tmp_path)
    assert_one_line_error(
        result, "baseline-2023", "no such scenario", "did you mean 'baseline-2022'?"
    )
    assert files_under(tmp_path) == []


@pytest.mark.parametrize(
    "options",
    [("--replicates", "0"), ("--steps", "0"), ("--steps", "601"), ("--seed", "-1")],
)
def test_out_of_range_options_are_usage_errors(options: tuple[str, str], tmp_path: Path) -> None:
    result = invoke("run", "baseline-2022", *options, "--out", tmp_path)
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert files_under(tmp_path) == []


def test_out_that_is_a_file_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "results"
    blocker.write_text("not a folder", encoding="utf-8")
    result = invoke("run", "baseline-2022", "-r", "1", "-t", "2", "--out", blocker)
    assert_one_line_error(result, str(blocker), "expected a folder")
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_scenarios_lists_every_named_scenario_with_its_title() -> None:
    result = invoke("scenarios")
    assert result.exit_code == 0
    flat = " ".join(result.stdout.split())
    for name in available():
        assert name in result.stdout
        assert " ".join(load(name).title.split()) in flat


def test_show_prints_resolved_values_with_their_sources() -> None:
    result = invoke("show", "trans-caspian-bypass")
    assert result.exit_code == 0, result.stderr
    flat = " ".join(result.stdout.split())
    assert "members.Kazakhstan.energy_transit" in flat
    assert "0.55" in flat
    assert "CPC carried 52.2 Mt of Kazakh oil in 2022" in flat  # the child's own source
    assert "[set in trans-caspian-bypass.toml]" in flat
    assert "russia.threat_posture = 0.6 (range 0.4 – 0.8)" in flat  # inherited values too
    assert "Scenario-given events" in flat
    assert "china-pledge-kazakhstan-2022" in flat


def test_show_filters_by_prefix() -> None:
    result = invoke("show", "baseline-2022", "members.Armenia")
    assert result.exit_code == 0, result.stderr
    assert "members.Armenia.alignment" in result.stdout
    assert "members.Belarus" not in result.stdout
    assert "russia." not in result.stdout


def test_show_with_an_unknown_prefix_is_a_one_line_error() -> None:
    assert_one_line_error(invoke("show", "baseline-2022", "members.Uzbekistan"), "no value under")


def test_validate_checks_files_without_running_them(tmp_path: Path) -> None:
    files = sorted(SCENARIOS.glob("*.toml"))
    result = invoke("validate", *files)
    assert result.exit_code == 0, result.stderr
    assert f"{len(files)} of {len(files)} scenario file(s) valid" in result.stdout
    assert not Path("results").exists() or "validate" not in str(list(Path("results").iterdir()))


def test_validate_reports_each_bad_file_and_exits_2() -> None:
    good = SCENARIOS / "baseline-2022.toml"
    bad = ROOT / "tests" / "data" / "broken" / "unknown-key.toml"
    also_bad = ROOT / "tests" / "data" / "broken" / "out-of-range.toml"
    result = invoke("validate", good, bad, also_bad)
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert len(errors) == 2
    assert "unknown-key.toml:7: members.Kazakhstan.energy_transt" in errors[0]
    assert "out-of-range.toml:10: members.Belarus.alignment" in errors[1]
    assert "1 of 3 scenario file(s) valid" in result.stdout


@pytest.mark.slow
def test_python_dash_m_sim_runs_in_a_real_process(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "sim", "run", "baseline-2022", "-r", "2", "-t", "3", "--no-posterior"
    ]  # fmt: skip
    done = subprocess.run(
        [*command, "--out", str(tmp_path), "--no-figures"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "baseline-2022" / "seed1-r2-t3"
    assert done.stdout.strip().endswith(f"Results: {folder}")
    assert {path.name for path in folder.iterdir()} == set(DATA_FILES)


@pytest.mark.slow
def test_a_real_process_reports_a_bad_file_in_one_line_with_status_2(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "data" / "broken" / "wrong-type-string.toml"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(bad), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"csto: error: {bad}:8: members.Armenia.alignment: expected a number in [0, 1], got 'low'"
    ]
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["run", "baseline-2022", "--replicates", "0"], "'--replicates'"),
        (["run", "baseline-2022", "--bogus"], "No such option: --bogus"),
        (["run"], "Missing argument 'SCENARIO'"),
        (["sweep", "capacity", "--workers", "x"], "'--workers'"),
    ],
)
def test_a_real_process_reports_a_command_line_mistake_in_one_line(
    arguments: list[str], fragment: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", *arguments],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("csto: error: ") and fragment in lines[0], lines[0]
    assert "help" in lines[0]
    assert list(tmp_path.iterdir()) == []
