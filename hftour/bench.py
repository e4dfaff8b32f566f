"""`make bench`: median seconds of a clean stand-in build and of each notebook, and the char-level GPT's figures at
nanoGPT's CPU recipe (notebook 10's `python -m hftour.charlm`), over several runs."""
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


# nanoGPT's README recipe for Shakespeare characters on a CPU
CHARLM_RECIPE = ["--iters", "2000", "--batch-size", "12", "--block-size", "64", "--n-layer", "4", "--n-head", "4",
                 "--n-embd", "128", "--lr", "1e-3", "--dropout", "0"]


def run_charlm(*extra: str) -> tuple[float, float]:
    """One `python -m hftour.charlm` run at CHARLM_RECIPE: (validation loss, training tokens per second)."""
    out = subprocess.run([sys.executable, "-m", "hftour.charlm", *CHARLM_RECIPE, *extra], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()
    return float(out[-2].split()[-1]), float(out[-1].split()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print a markdown table of medians; the README's figures come from here."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each notebook (0 to skip)")
    parser.add_argument("--build-runs", type=int, default=1, help="clean stand-in builds to time (0 to skip)")
    parser.add_argument("--charlm-runs", type=int, default=3, help="char-level GPT runs at nanoGPT's recipe (0 to skip)")
    parser.add_argument("notebooks", nargs="*", default=["notebooks/*.ipynb"])
    args = parser.parse_args(argv)
    os.environ.setdefault("HFTOUR_MODE", "offline")
    rows = []
    if args.build_runs:
        builds = [time_standin_build() for _ in range(args.build_runs)]
        rows.append(("stand-in build (all, clean cache)", builds))
    for path in sorted({Path(p) for pattern in args.notebooks for p in glob.glob(pattern)}) if args.runs else ():
        times = []
        for _ in range(args.runs):
            status, seconds = run_notebook(path)
            if status != "ok":
                print(f"{path.name}: {status}", file=sys.stderr)
                return 1
            times.append(seconds)
        rows.append((path.name, times))
    if rows:
        print(f"| what | median s | runs | all runs (s) |\n|---|---|---|---|")
    for name, times in rows:
        print(f"| {name} | {statistics.median(times):.1f} | {len(times)} | {', '.join(f'{t:.1f}' for t in times)} |")
    # Default precision (bf16 autocast where the CPU has fast bf16) and --fp32, nanoGPT's precision on a CPU.
    for flags in ((), ("--fp32",)) if args.charlm_runs else ():
        runs = [run_charlm(*flags) for _ in range(args.charlm_runs)]
        print(f"\n| python -m hftour.charlm {' '.join(CHARLM_RECIPE + list(flags))} | median | runs | all runs |"
              f"\n|---|---|---|---|")
        for label, values, fmt in (("validation loss", [r[0] for r in runs], ".4f"),
                                   ("training tokens/s", [r[1] for r in runs], ".0f")):
            print(f"| {label} | {statistics.median(values):{fmt}} | {len(values)} | "
                  f"{', '.join(f'{v:{fmt}}' for v in values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
