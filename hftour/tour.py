"""Run notebooks headless and print a table of notebook, status and seconds; used by `make tour` and `make execute`."""
from __future__ import annotations

import argparse
import glob
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def scrub_paths(notebook: nbformat.NotebookNode, root: Path) -> None:
    """Make saved outputs name files relative to the repo (and ~ for the home folder), not this machine's paths."""
    replacements = [(str(root.resolve()) + "/", ""), (str(Path.home()) + "/", "~/")]

    def clean(text: str) -> str:
        for old, new in replacements:
            text = text.replace(old, new)
        return text

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "traceback" in output:
                output["traceback"] = [clean(line) for line in output["traceback"]]
            if "text" in output:
                output["text"] = clean(output["text"])
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/") and isinstance(value, str):
                    output["data"][kind] = clean(value)


def run_notebook(path: Path, inplace: bool = False, timeout: int = 600) -> tuple[str, float]:
    """Execute one notebook in its own folder; returns (status, seconds) and optionally saves the outputs."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        status = "ok"
    except CellExecutionError as err:
        status = "FAILED: " + str(err).strip().splitlines()[-1][:120]
    seconds = time.perf_counter() - start
    if inplace and status == "ok":
        scrub_paths(notebook, Path(__file__).resolve().parents[1])
        nbformat.write(notebook, path)
    return status, seconds


def find_notebooks(patterns: list[str]) -> list[Path]:
    """The notebooks matching the glob patterns, sorted; used by this runner and by make test-hub."""
    return sorted({Path(p) for pattern in patterns for p in glob.glob(pattern)})


def print_table(rows: list[tuple[str, str, float]]) -> None:
    """The notebook / seconds / status table (rows of name, status, seconds); used by this runner and make test-hub."""
    width = max(len(name) for name, _, _ in rows)
    print(f"\n{'notebook':<{width}}  {'seconds':>7}  status")
    for name, status, seconds in rows:
        print(f"{name:<{width}}  {seconds:7.1f}  {status}")
    print(f"{'total':<{width}}  {sum(s for _, _, s in rows):7.1f}")


def main(argv: list[str] | None = None) -> int:
    """Run the notebooks given (globs allowed) and print the status table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", default=["notebooks/*.ipynb"])
    parser.add_argument("--inplace", action="store_true", help="save the executed outputs into the notebooks")
    args = parser.parse_args(argv)
    paths = find_notebooks(args.notebooks)
    if not paths:
        print(f"No notebooks match {args.notebooks}", file=sys.stderr)
        return 2
    rows = []
    for path in paths:
        print(f"running {path} ...", flush=True)
        rows.append((path.name, *run_notebook(path, inplace=args.inplace)))
    print_table(rows)
    return 0 if all(status == "ok" for _, status, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
