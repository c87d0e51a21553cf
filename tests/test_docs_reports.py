"""docs/reports.md stays true to the commands: every example names a real command and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app

DOC = Path(__file__).resolve().parent.parent / "docs" / "reports.md"
runner = CliRunner()


def examples() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```console\n(.*?)```", text, flags=re.S)
    lines = [line[2:] for block in blocks for line in block.splitlines() if line.startswith("$ ")]
    return [shlex.split(line) for line in lines]


def test_docs_show_every_report_command() -> None:
    commands = {words[1] for words in examples()}
    assert {"report", "compare", "threshold"} <= commands


@pytest.mark.parametrize("words", examples(), ids=lambda words: " ".join(words[:3]))
def test_example_uses_real_options(words: list[str]) -> None:
    assert words[0] == "csto"
    result = runner.invoke(app, [words[1], "--help"], terminal_width=200)
    assert result.exit_code == 0, f"csto {words[1]} is not a command"
    for option in (word.split("=")[0] for word in words[2:] if word.startswith("--")):
        assert option in result.stdout, f"csto {words[1]} has no option {option}"
