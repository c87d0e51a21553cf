"""The README is executed: every ``$ csto ...`` line runs, in order, and shows real output.

Commands run in-process in a fresh folder holding this project's ``scenarios/`` and
``sweeps/``, so results land in the temporary folder. Lines that are not ``csto`` commands
(``make``, ``pip``) are set-up instructions and are not run here. The scenario example in
the README's ```toml block must validate.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from csto_cli import ROOT, invoke
from test_docs_examples import _flat, examples

README = (ROOT / "README.md").read_text(encoding="utf-8")
EXAMPLES = [example for example in examples(README) if example.command.startswith("csto ")]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    for name in ("scenarios", "sweeps"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    return folder


def test_the_readme_shows_every_subcommand() -> None:
    shown = {shlex.split(example.command)[1] for example in EXAMPLES}
    assert shown == {
        "scenarios",
        "show",
        "validate",
        "run",
        "report",
        "compare",
        "threshold",
        "sweep",
    }


def test_readme_examples_run_in_order_and_show_real_output(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    for example in EXAMPLES:
        arguments = shlex.split(example.command)[1:]
        if arguments[0] == "run" and "--force" not in arguments:
            arguments.append("--force")  # the same run may be shown twice
        result = invoke(*arguments)
        assert result.exit_code == example.status, (example.command, result.stderr)
        actual = _flat(result.stdout + "\n" + result.stderr)
        for line in example.shown:
            for fragment in (part.strip() for part in line.split("...")):
                assert _flat(fragment) in actual, f"{fragment!r} not in output of {example.command}"


def test_the_readme_scenario_example_is_valid(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)```", README, flags=re.S)
    assert block is not None
    text = block.group(1)
    name = re.search(r'^name = "([^"]+)"', text, flags=re.M)
    assert name is not None
    path = tmp_path / f"{name.group(1)}.toml"
    path.write_text(text, encoding="utf-8")
    result = invoke("validate", path)
    assert result.exit_code == 0, result.stderr
