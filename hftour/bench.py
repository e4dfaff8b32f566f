"""`make bench`: median seconds of a clean stand-in build and of each notebook, over several runs."""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .tour import run_notebook


def time_standin_build() -> float:
    """Seconds for `hftour standins build` into an empty cache (what a fresh machine pays)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HFTOUR_HOME": home}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hftour", "standins", "build"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Print a markdown table of medians; the README's figures come from here."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--build-runs", type=int, default=1, help="clean stand-in builds to time (0 to skip)")
    parser.add_argument("notebooks", nargs="*", default=["notebooks/*.ipynb"])
    args = parser.parse_args(argv)
    os.environ.setdefault("HFTOUR_MODE", "offline")
    rows = []
    if args.build_runs:
        builds = [time_standin_build() for _ in range(args.build_runs)]
        rows.append(("stand-in build (all, clean cache)", builds))
    for path in sorted({Path(p) for pattern in args.notebooks for p in glob.glob(pattern)}):
        times = []
        for _ in range(args.runs):
            status, seconds = run_notebook(path)
            if status != "ok":
                print(f"{path.name}: {status}", file=sys.stderr)
                return 1
            times.append(seconds)
        rows.append((path.name, times))
    print(f"| what | median s | runs | all runs (s) |\n|---|---|---|---|")
    for name, times in rows:
        print(f"| {name} | {statistics.median(times):.1f} | {len(times)} | {', '.join(f'{t:.1f}' for t in times)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
