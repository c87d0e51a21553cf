"""docs/sweeps.md is executed: every ``$ csto ...`` line runs, in order, in a fresh folder holding
the files the page defines, and the output it shows is real; then its Python blocks run there.

A command ending in ``# exit status N`` must exit with N, every other with 0. Each shown output
line must appear in the real output (whitespace aside); ``...`` stands for text left out. A
block right after ``<!-- no-run -->`` (a cluster set-up) is not run.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.sweep.spec import OUTCOME_COLUMNS, OUTCOME_FAMILIES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "sweeps.md"
TEXT = DOC.read_text(encoding="utf-8")
BLOCK = re.compile(r"(<!-- no-run -->\n)?```(console|python)\n(.*?)```", flags=re.S)


def examples() -> list[tuple[str, int, list[str]]]:
    found: list[tuple[str, int, list[str]]] = []
    for skipped, kind, body in BLOCK.findall(TEXT):
        if skipped or kind != "console":
            continue
        for line in body.splitlines():
            if line.startswith("$ "):
                assert line.startswith("$ csto "), line
                status = re.search(r"#\s*exit status (\d+)\s*$", line)
                command = re.sub(r"\s*#.*$", "", line[2:])
                found.append((command, int(status.group(1)) if status else 0, []))
            elif found and line.strip():
                found[-1][2].append(line)
    return found


def python_blocks() -> list[str]:
    return [body for skipped, kind, body in BLOCK.findall(TEXT) if kind == "python" and not skipped]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.slow
def test_every_example_on_the_page_runs_and_shows_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, content in re.findall(r"<!-- file: (\S+) -->\n```toml\n(.*?)```", TEXT, flags=re.S):
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    ran = 0
    for command, status, shown in examples():
        arguments = shlex.split(command)
        result = runner.invoke(app, arguments[1:])
        assert result.exit_code == status, (command, result.stdout, result.stderr)
        actual = flat(result.stdout + "\n" + result.stderr)
        for line in shown:
            for fragment in (part.strip() for part in line.split("...")):
                assert flat(fragment) in actual, f"{fragment!r} not in the output of {command}"
        ran += 1
    assert ran >= 12
    for block in python_blocks():
        exec(compile(block, str(DOC), "exec"), {})


def test_the_page_documents_every_outcome_and_design() -> None:
    of_members = {column for columns in OUTCOME_FAMILIES.values() for column in columns}
    for column in OUTCOME_COLUMNS:
        if column not in of_members:
            assert f"`{column}`" in TEXT, column
    for family in OUTCOME_FAMILIES:
        assert f"`{family}_<member>` (group `{family}`)" in TEXT, family
        assert f"| `{family}_<member>` | " in TEXT, family
    for design in ("grid", "lhs", "sobol", "morris"):
        assert f"`{design}`" in TEXT
    for flag in ("--param", "--design", "--replicates", "--workers", "--scheduler", "--out"):
        assert f"`{flag}" in TEXT, flag
    assert "SLURMCluster" in TEXT and "dask scheduler" in TEXT and "dask worker" in TEXT
