"""Results folders: atomic, reproducible byte for byte, described by a complete manifest."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from csto_cli import ROOT, assert_one_line_error, files_under, invoke
from hypothesis import given
from hypothesis import strategies as st

from sim.model.draws import derive_seeds
from sim.results import folder as output
from sim.results import provenance
from sim.results import run as run_folder
from sim.results.replicates import run_replicates
from sim.scenario import load, schema

DATA_FILES = ("timeseries.parquet", "timeseries.csv", "events.csv", "summary.csv")
#: The scenario's own values (no posterior draws): these tests are about the folder, not the
#: uncertainty (tests/test_cli.py runs with the posterior).
ARGS = (
    "run", "baseline-2022", "--seed", "5", "--replicates", "3", "--steps", "8", "--csv",
    "--no-posterior",
)  # fmt: skip


def run_into(out: Path, *extra: str) -> Path:
    result = invoke(*ARGS, "--out", out, "--quiet", *extra)
    assert result.exit_code == 0, result.stderr
    return out / "baseline-2022" / "seed5-r3-t8"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = run_into(tmp_path_factory.mktemp("first"))
    second = run_into(tmp_path_factory.mktemp("second"))
    return first, second


# --- atomic writes ---------------------------------------------------------------------------


def test_an_error_mid_write_leaves_no_folder_and_no_debris(tmp_path: Path) -> None:
    out = tmp_path / "results"
    folder = out / "scenario" / "run"
    with pytest.raises(RuntimeError), output.atomic_folder(folder) as work:
        (work / "timeseries.csv").write_text("step\n0\n", encoding="utf-8")
        raise RuntimeError("disk full")
    assert not folder.exists()
    assert files_under(tmp_path) == [], "created parents are removed again"


def test_an_interruption_while_writing_leaves_nothing_that_looks_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(run_folder, "draw_figures", interrupted)  # data files already written
    out = tmp_path / "results"
    result = invoke(*ARGS, "--out", out)
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == (
        "csto: error: interrupted; no results folder was written"
    )
    assert files_under(out) == []


def test_an_interruption_while_running_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.results import replicates

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(replicates, "run_replicates", interrupted)
    result = invoke(*ARGS, "--out", tmp_path / "results")
    assert result.exit_code == 130
    assert files_under(tmp_path) == []


def test_a_failed_forced_rerun_keeps_the_old_folder_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = run_into(tmp_path, "--no-figures")
    before = {path.name: path.read_bytes() for path in folder.iterdir()}

    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_folder, "draw_figures", broken)
    with pytest.raises(OSError, match="No space left"):
        run_folder.write_replicates(
            run_replicates("baseline-2022", 5, 3, 8),
            folder,
            command=["csto"],
            started=provenance.now(),
            force=True,
        )
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]


def test_a_write_error_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_folder, "draw_figures", disk_full)
    result = invoke(*ARGS, "--out", tmp_path / "results", "--quiet")
    assert_one_line_error(result, "cannot write results (No space left on device)")
    assert files_under(tmp_path) == []


@pytest.mark.slow
def test_force_replaces_a_folder_without_leaving_the_old_one(tmp_path: Path) -> None:
    folder = run_into(tmp_path, "--no-figures")
    (folder / "stale.txt").write_text("from an older version", encoding="utf-8")
    run_into(tmp_path, "--force")
    assert not (folder / "stale.txt").exists()
    assert (folder / "figures" / "members.png").exists()
    assert [path.name for path in folder.parent.iterdir()] == [folder.name]


def test_write_folder_writes_any_files_atomically(tmp_path: Path) -> None:
    frame = pd.DataFrame({"step": [0, 1], "value": [0.5, 0.25]})
    folder = tmp_path / "out" / "compare" / "seed1-r2-t3"
    output.write_folder(
        folder,
        {"a.parquet": frame, "b.csv": frame, "c.json": {"x": (1, 2)}, "figures/d.txt": "text"},
    )
    assert sorted(str(p.relative_to(folder)) for p in files_under(folder)) == [
        "a.parquet", "b.csv", "c.json", "figures", "figures/d.txt",
    ]  # fmt: skip
    assert json.loads((folder / "c.json").read_text()) == {"x": [1, 2]}
    with pytest.raises(output.OutputError, match="already exists"):
        output.write_folder(folder, {"b.csv": frame})
    elsewhere = tmp_path / "out" / "compare" / "other"
    with pytest.raises(output.OutputError, match="outside the results folder"):
        output.write_folder(elsewhere, {"../escape.csv": frame})
    assert not elsewhere.exists()
    assert not (tmp_path / "out" / "compare" / "escape.csv").exists()


def test_unwritable_out_is_a_one_line_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    result = invoke("run", "baseline-2022", "-r", "1", "-t", "2", "--out", blocker / "sub")
    assert_one_line_error(result, "expected a folder for results, found a file")


@given(st.text(max_size=40), st.text(max_size=40))
def test_results_folders_never_leave_the_out_folder(scenario: str, run_id: str) -> None:
    root = Path("/tmp/csto-out-root")
    folder = output.results_folder(root, scenario, run_id)
    assert folder.parent.parent == root
    for part in (folder.parent.name, folder.name):
        assert part and part not in (".", "..") and "/" not in part and not part.startswith(".")


def test_run_ids_are_predictable() -> None:
    assert output.new_run_id(1, 30, 36) == "seed1-r30-t36"


# --- reproducible data files -----------------------------------------------------------------


@pytest.mark.slow
def test_rerun_reproduces_every_data_file_byte_for_byte(two_runs: tuple[Path, Path]) -> None:
    first, second = two_runs
    for name in (*DATA_FILES, "figures/cohesion.png", "figures/members.png"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.slow
def test_manifests_differ_only_in_times_and_the_command(two_runs: tuple[Path, Path]) -> None:
    first, second = (json.loads((folder / "manifest.json").read_text()) for folder in two_runs)
    for varying in ("started", "finished", "command", "argv"):
        first.pop(varying)
        second.pop(varying)
    assert first == second


@pytest.mark.slow
def test_a_separate_process_writes_the_same_bytes(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sim", *ARGS, "--out", str(tmp_path), "--no-figures", "-q"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    other = tmp_path / "baseline-2022" / "seed5-r3-t8"
    for name in DATA_FILES:
        assert (other / name).read_bytes() == (two_runs[0] / name).read_bytes(), name


@pytest.mark.slow
def test_parquet_has_no_pandas_or_time_metadata(two_runs: tuple[Path, Path]) -> None:
    metadata = pq.read_metadata(two_runs[0] / "timeseries.parquet")
    assert b"pandas" not in (metadata.metadata or {})
    assert "created" not in str(metadata.metadata or {}).lower()


@pytest.mark.slow
def test_timeseries_has_one_row_per_replicate_step_and_member(
    two_runs: tuple[Path, Path],
) -> None:
    frame = pd.read_parquet(two_runs[0] / "timeseries.parquet")
    assert list(frame.columns[:3]) == ["scenario", "replicate", "seed"]
    assert len(frame) == 3 * 9 * len(schema.MEMBERS)
    assert not frame.duplicated(["replicate", "step", "member"]).any()
    assert frame["seed"].drop_duplicates().tolist() == derive_seeds(5, 3)
    csv = pd.read_csv(two_runs[0] / "timeseries.csv", dtype={"seed": "uint64"})
    pd.testing.assert_frame_equal(csv, frame, check_dtype=False, check_exact=True)


@pytest.mark.slow
def test_events_mark_scenario_given_events(two_runs: tuple[Path, Path]) -> None:
    events = pd.read_csv(two_runs[0] / "events.csv")
    given = events[events["origin"] == "scenario"]
    per_replicate = given.groupby("replicate")["kind"].apply(sorted).tolist()
    expected = ["appeal_ignored", "clash", "mobilisation_shock", "security_pledge"]
    assert per_replicate == [expected] * 3
    assert set(events["origin"]) == {"model", "scenario"}
    assert (given["date"] == "2022-09").all()


@pytest.mark.slow
def test_summary_has_one_row_per_replicate(two_runs: tuple[Path, Path]) -> None:
    summary = pd.read_csv(two_runs[0] / "summary.csv")
    assert summary["replicate"].tolist() == [0, 1, 2]
    for column in ("final_cohesion", "final_alignment_Armenia", "freeze_month_Armenia"):
        assert column in summary.columns


# --- the manifest ----------------------------------------------------------------------------


@pytest.mark.slow
def test_manifest_says_how_to_reproduce_the_folder(two_runs: tuple[Path, Path]) -> None:
    folder = two_runs[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    scenario = load("baseline-2022")
    assert manifest["scenario"]["name"] == "baseline-2022"
    assert manifest["scenario"]["sha256"] == scenario.digest
    (record,) = manifest["scenario"]["files"]
    baseline = ROOT / "scenarios" / "baseline-2022.toml"
    assert record["path"] == "scenarios/baseline-2022.toml"
    assert record["sha256"] == hashlib.sha256(baseline.read_bytes()).hexdigest()
    values = manifest["parameters"]["values"]
    assert set(values) == set(scenario.values)
    assert values["members.Kazakhstan.energy_transit"]["value"] == 0.8
    assert "CPC" in values["members.Kazakhstan.energy_transit"]["source"]
    assert values["members.Kazakhstan.energy_transit"]["range"] == [0.67, 0.8]
    assert len(manifest["parameters"]["events"]) == len(scenario.events) == 4
    assert manifest["master_seed"] == 5
    assert manifest["replicate_seeds"] == derive_seeds(5, 3)
    assert manifest["steps"] == 8
    assert manifest["command"][:2] == ["csto", "run"]
    assert manifest["command"][manifest["command"].index("--seed") + 1] == "5"
    for package in ("python", "csto-sim", "mesa", "numpy", "pandas", "pyarrow", "seaborn"):
        assert manifest["packages"][package]
    commit = manifest["git"]["commit"]
    known = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    assert commit == "unknown" or (len(commit) == 40 and known.returncode == 0), commit
    assert manifest["started"] <= manifest["finished"]
    assert manifest["started"].endswith("+00:00")
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert set(manifest["files"]) == {*DATA_FILES, "figures/cohesion.png", "figures/members.png"}


@pytest.mark.slow
def test_the_manifest_command_reproduces_the_folder(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    manifest = json.loads((two_runs[0] / "manifest.json").read_text())
    command = manifest["command"][1:]
    command[command.index("--out") + 1] = str(tmp_path)
    assert invoke(*command, "--quiet").exit_code == 0
    again = tmp_path / "baseline-2022" / "seed5-r3-t8"
    for name in DATA_FILES:
        assert (again / name).read_bytes() == (two_runs[0] / name).read_bytes()


def test_git_commit_is_unknown_outside_a_repository(tmp_path: Path) -> None:
    assert provenance.git_commit(tmp_path) == {"commit": "unknown", "dirty": None}


# --- the shared pieces every kind of folder is written with ----------------------------------


def test_write_folder_writes_the_manifest_last_with_the_hashes_of_the_others(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame({"step": [0, 1]})
    seen: list[dict[str, str]] = []

    def manifest(hashes: dict[str, str]) -> dict[str, object]:
        seen.append(hashes)
        return {"files": hashes}

    def draw(path: Path) -> None:
        path.mkdir()
        (path / "a.png").write_bytes(b"png")

    folder = output.write_folder(
        tmp_path / "run", {"t.csv": frame, "figures": draw}, manifest=manifest
    )
    assert set(seen[0]) == {"t.csv", "figures/a.png"}
    assert json.loads((folder / "manifest.json").read_text())["files"] == seen[0]
    assert seen[0]["figures/a.png"] == hashlib.sha256(b"png").hexdigest()


def test_an_atomic_file_write_keeps_the_old_bytes_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "manifest.json"
    output.write_atomic(path, b"old")

    def broken(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", broken)
    with pytest.raises(OSError, match="No space left"):
        output.write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"], "no temporary is left"
    monkeypatch.undo()
    output.write_atomic(path, b"new")
    assert path.read_bytes() == b"new"


def test_an_atomic_path_is_hidden_until_it_is_complete(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    with output.atomic_path(target) as temporary:
        temporary.write_bytes(b"%PDF")
        assert output.is_temporary(temporary) and not target.exists()
    assert target.read_bytes() == b"%PDF"
    with pytest.raises(RuntimeError), output.atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("browser crashed")
    assert target.read_bytes() == b"%PDF"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_json_is_written_sorted_for_data_and_in_order_for_a_sweep_manifest() -> None:
    value = {"b": (1, 2), "a": Path("x")}
    assert output.json_text(value) == '{\n  "a": "x",\n  "b": [\n    1,\n    2\n  ]\n}\n'
    assert output.json_text(value, sort_keys=False).startswith('{\n  "b"')


def test_a_sweep_and_a_report_read_a_manifest_the_same_way(tmp_path: Path) -> None:
    from sim.sweep import store
    from sim.sweep.spec import SweepError

    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(output.FolderError, match=r"manifest\.json: unreadable manifest"):
        output.read_manifest(tmp_path)
    with pytest.raises(SweepError, match=r"manifest\.json: unreadable manifest"):
        store.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text('{"kind": "run"}', encoding="utf-8")
    with pytest.raises(SweepError, match='kind: expected "sweep"'):
        store.read_manifest(tmp_path)
