"""docs/cli.md is executed: every ``$ csto ...`` line runs, and the output it shows is real.

The test works in a fresh folder holding this project's ``scenarios/`` and every TOML file the
page defines (a ```toml block right after ``<!-- file: NAME -->``), so relative paths in the
examples work and results land in the temporary folder. A command ending in ``# exit status N``
must exit with N, every other with 0. Each shown output line must appear in the real output
(whitespace aside); ``...`` inside a line or on its own stands for text left out.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from csto_cli import ROOT, invoke

from sim.model.events import COLUMNS as EVENT_COLUMNS
from sim.results.run import TIMESERIES_COLUMNS
from sim.scenario import schema

DOC = ROOT / "docs" / "cli.md"
TEXT = DOC.read_text(encoding="utf-8")


@dataclass
class Example:
    command: str
    status: int
    shown: list[str] = field(default_factory=list)


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                status = re.search(r"#\s*exit status (\d+)\s*$", line)
                command = re.sub(r"\s*#.*$", "", line[2:])
                found.append(Example(command, int(status.group(1)) if status else 0))
            elif found and line.strip():
                found[-1].shown.append(line)
    return found


def defined_files(text: str) -> dict[str, str]:
    return dict(re.findall(r"<!-- file: (\S+) -->\n```toml\n(.*?)```", text, flags=re.S))


def _flat(text: str) -> str:
    return " ".join(text.split())


EXAMPLES = examples(TEXT)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    for name, content in defined_files(TEXT).items():
        (folder / name).write_text(content, encoding="utf-8")
    return folder


def test_the_page_has_examples_of_every_command() -> None:
    commands = {shlex.split(example.command)[1] for example in EXAMPLES}
    assert commands == {"run", "scenarios", "show", "validate", "export"}
    assert EXAMPLES[0].command.startswith("csto ")
    assert set(defined_files(TEXT)) == {"my-scenario.toml", "broken.toml"}


@pytest.mark.slow
def test_examples_run_in_order_and_show_real_output(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # one test, in the page's order: an example may use the folder an earlier one wrote (and
    # parametrised cases would land on xdist workers with different working folders)
    monkeypatch.chdir(workdir)
    for example in EXAMPLES:
        arguments = shlex.split(example.command)
        assert arguments[0] == "csto"
        result = invoke(*arguments[1:])
        assert result.exit_code == example.status, (example.command, result.stderr)
        actual = _flat(result.stdout + "\n" + result.stderr)
        for line in example.shown:
            for fragment in (part.strip() for part in line.split("...")):
                assert _flat(fragment) in actual, f"{fragment!r} not in output of {example.command}"


def test_the_page_names_every_column_kind_and_shape() -> None:
    for column in (*TIMESERIES_COLUMNS, *EVENT_COLUMNS):
        assert f"`{column}`" in TEXT, column
    for kind in (*schema.EVENT_KINDS, "appeal_answered", "drill_cancelled"):
        assert f"`{kind}`" in TEXT, kind
    for shape in schema.CAPACITY_SHAPES:
        assert f"`{shape}`" in TEXT, shape
    for member in (*schema.MEMBERS, *schema.POWERS):
        assert member in TEXT, member
