"""``docs/tutorial.ipynb`` runs from top to bottom (nbclient, the project's own kernel), so it
cannot drift from the code. Marked slow: it starts a kernel and runs a results folder."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "docs" / "tutorial.ipynb"


@pytest.mark.slow
def test_the_tutorial_notebook_runs_end_to_end(tmp_path: Path) -> None:
    notebook = nbformat.read(TUTORIAL, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",  # ipykernel's own: this interpreter, the project's environment
        resources={"metadata": {"path": str(tmp_path)}},
        extra_arguments=[],
    )
    client.execute()
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    errors = [output for output in outputs if output.get("output_type") == "error"]
    assert errors == []
    text = "".join(str(output.get("text", "")) for output in outputs)
    assert "replicate 0's own seed" in text
    assert any("image/png" in output.get("data", {}) for output in outputs)


def test_the_tutorial_is_stored_without_outputs() -> None:
    notebook = nbformat.read(TUTORIAL, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
