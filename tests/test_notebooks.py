"""Every notebook is committed executed, in order, with no unexpected errors, and starts with hftour.setup()."""
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        prefix = path.name.split("_", 1)[0]
        assert len(prefix) == 2 and prefix.isdigit(), f"{path.name} should be named NN_topic.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_executed_in_order(path):
    notebook = nbformat.read(path, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert code_cells, f"{path.name} has no code"
    first = code_cells[0].source
    assert "import hftour" in first and "hftour.setup()" in first, "the first code cell must call hftour.setup()"
    counts = [c.execution_count for c in code_cells]
    assert counts == list(range(1, len(code_cells) + 1)), f"{path.name} is not executed top to bottom once: {counts}"
    for index, cell in enumerate(code_cells, start=1):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        expected = "raises-exception" in cell.metadata.get("tags", [])
        if expected:
            assert errors, f"{path.name} cell {index} is tagged raises-exception but raised nothing"
        else:
            assert not errors, f"{path.name} cell {index} failed: {errors[0].get('ename')}: {errors[0].get('evalue')}"
