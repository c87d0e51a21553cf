"""Docs that are run: module doctests, the README's Python examples, the generated tables."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str) -> object:
    """A development script of ``scripts/`` imported as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docgen: Any = _script("docgen")


@pytest.mark.parametrize("module", ["sim", "sim.engine"])
def test_module_doctests_pass(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_python_examples_run() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README should show how to call the model from Python"
    for block in blocks:
        namespace: dict[str, object] = {}
        exec(compile(block, "README.md", "exec"), namespace)


def test_parameter_tables_in_model_doc_are_current() -> None:
    document = docgen.DOC.read_text(encoding="utf-8")
    assert docgen.render(document, docgen.load("baseline-2022")) == document, (
        "docs/model.md parameter tables are stale: run `python scripts/docgen.py`"
    )


def test_model_doc_names_every_rule() -> None:
    import inspect

    from sim.model import rules

    document = docgen.DOC.read_text(encoding="utf-8")
    names = [
        name
        for name, item in inspect.getmembers(rules, inspect.isfunction)
        if item.__module__ == "sim.model.rules" and not name.startswith("_")
    ]
    missing = [name for name in names if f"`{name}`" not in document]
    assert not missing, f"docs/model.md does not describe: {missing}"
