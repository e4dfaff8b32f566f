"""A cheap guard for outputs nbval compares strictly: no long floats and no library versions in them.

What it catches: a strictly checked output (a code cell not tagged nbval-ignore-output or nbval-skip) that
prints a number with 4 or more significant digits, e.g. a logit `1.7340` or a probability `0.9123`. Trained
stand-ins differ from machine to machine in the 3rd-4th digit, so such a number breaks nbval elsewhere.
What it misses: a coarsely rounded number that sits near a rounding tie, and generated text or rankings that
flip on another machine; `make test-portable` is the check for those.
"""
import configparser
import importlib.metadata
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?(?![\w.])")
MAX_SIGNIFICANT = 3
VERSIONED = ("torch", "transformers", "datasets", "huggingface_hub", "tokenizers", "accelerate")


def significant_digits(number: str) -> int:
    """Digits from the first non-zero one to the last written one: 0.0877 -> 3, 1.7340 -> 5, 6.905e-05 -> 4."""
    mantissa = number.lstrip("-").lower().split("e")[0]
    return len(mantissa.replace(".", "").lstrip("0"))


def sanitized(text: str) -> str:
    """The text as nbval compares it, after the project's sanitize patterns."""
    config = configparser.ConfigParser()
    config.read(REPO / "tests" / "nbval_sanitize.cfg")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def strict_outputs(path: Path):
    """(cell number, text) for every strictly compared text output of a notebook."""
    notebook = nbformat.read(path, as_version=4)
    code_cells = [c for c in notebook.cells if c.cell_type == "code"]
    for number, cell in enumerate(code_cells, start=1):
        tags = cell.metadata.get("tags", [])
        if "nbval-ignore-output" in tags or "nbval-skip" in tags or cell.execution_count is None:
            continue
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")] + [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
            for text in texts:
                yield number, sanitized(text)


def test_the_guard_sees_long_numbers():
    assert significant_digits("1.7340") == 5 and significant_digits("0.0877") == 3
    assert significant_digits("6.905e-05") == 4 and significant_digits("-0.91") == 2
    assert NUMBER.findall("tensor([[-1.0680,  1.2740]]) v5.24.0 x0.5") == ["-1.0680", "1.2740"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_strict_outputs_have_no_long_floats(path):
    offenders = [(cell, n) for cell, text in strict_outputs(path) for n in NUMBER.findall(text)
                 if significant_digits(n) > MAX_SIGNIFICANT]
    assert not offenders, (f"{path.name}: strictly compared numbers with more than {MAX_SIGNIFICANT} significant "
                           f"digits (cell, number): {offenders[:8]}; round them or tag the cell nbval-ignore-output")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_strict_outputs_print_no_library_version(path):
    versions = {name: importlib.metadata.version(name) for name in VERSIONED}
    found = [(cell, name) for cell, text in strict_outputs(path) for name, version in versions.items()
             if re.search(rf"(?<![\d.]){re.escape(version)}(?![\d])", text)]
    assert not found, f"{path.name}: library versions in strictly compared outputs (cell, package): {found}"
