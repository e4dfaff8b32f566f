"""The `hftour` command: doctor, stand-in building and listing, and the local Hub sandbox."""
from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
from pathlib import Path


def _doctor(args: argparse.Namespace) -> int:
    from .lockfile import LOCK_PATH, drift, read_lock
    from .paths import hftour_home, standin_hf_home
    from .setup import pick_device, resolve_mode
    from .standins import StandinStore

    print("hftour doctor")
    for package in ("torch", "transformers", "huggingface_hub", "datasets", "tokenizers", "accelerate", "evaluate"):
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            version = "NOT INSTALLED"
        print(f"  {package:<16} {version}")
    print(f"  python           {sys.version.split()[0]}")
    differences = drift()
    locked = len(read_lock())
    print(f"  lock             {LOCK_PATH.name}: {locked - len(differences)} of {locked} packages as locked")
    for name, want, have in differences:
        print(f"    {name}: installed {have or 'missing'}, locked {want}")
    if differences:
        print("  fix: make install")
    print(f"  device           {pick_device()}")
    print(f"  mode             {resolve_mode()} (HFTOUR_MODE={os.environ.get('HFTOUR_MODE', 'auto')})")
    print(f"  hftour home      {hftour_home()}")
    print(f"  stand-in cache   {standin_hf_home()}  (your own Hugging Face cache is left alone)")
    rows = StandinStore().status()
    built = sum(row["state"] == "built" for row in rows)
    print(f"  stand-ins        {built}/{len(rows)} built")
    for row in rows:
        if row["state"] != "built":
            print(f"    {row['id']}: {row['state']}")
    if built < len(rows):
        print("  fix: hftour standins build")
    return 0 if built == len(rows) and not differences else 1


def _standins_build(args: argparse.Namespace) -> int:
    from .standins import StandinStore

    store = StandinStore()
    start = time.perf_counter()
    timings = store.build(only=args.ids or None, force=args.force, workers=args.workers)
    for repo_id, seconds in timings.items():
        facts = store.manifest()[repo_id]["facts"].get("metrics", {})
        shown = ", ".join(f"{k}={v}" for k, v in facts.items())
        print(f"built {repo_id:<60} {seconds:6.1f}s  {shown}")
    print(f"{len(timings)} stand-in(s) built in {time.perf_counter() - start:.1f}s; "
          f"{len(store.specs) - len(timings)} already current")
    return 0


def _standins_compare(args: argparse.Namespace) -> int:
    from .paths import standin_hub_cache
    from .standins import StandinStore

    other_cache = args.other_home / "hf" / "hub"
    if not (other_cache / "hftour-standins.json").is_file():
        raise UsageError(f"no stand-ins built under {args.other_home}; build them there first "
                         f"(HFTOUR_HOME={args.other_home} hftour standins build)")
    differing = StandinStore(standin_hub_cache()).differing_files(StandinStore(other_cache))
    for repo_id, files in differing.items():
        print(f"{'differs' if files else 'same':<8} {repo_id}  {', '.join(files)}")
    print(f"{sum(map(bool, differing.values()))} of {len(differing)} stand-ins differ in bytes from {args.other_home}")
    return 0


def _standins_list(args: argparse.Namespace) -> int:
    from .standins import StandinStore

    for row in StandinStore().status():
        print(f"{row['state']:<26} {row['task']:<30} {row['id']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; the hub subcommands come from hftour.hub.cli."""
    parser = argparse.ArgumentParser(prog="hftour", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="versions, device, mode, caches and stand-ins").set_defaults(func=_doctor)
    standins = commands.add_parser("standins", help="offline stand-in checkpoints").add_subparsers(
        dest="action", required=True)
    build = standins.add_parser("build", help="build the stand-ins whose recipe changed")
    build.add_argument("ids", nargs="*", help="only these repo ids (and what they need)")
    build.add_argument("--force", action="store_true", help="rebuild even if current")
    build.add_argument("--workers", type=int, default=None, help="recipes built at once (default: one per core)")
    build.set_defaults(func=_standins_build)
    standins.add_parser("list", help="every stand-in and its state").set_defaults(func=_standins_list)
    compare = standins.add_parser("compare", help="which stand-ins differ in bytes from those of another HFTOUR_HOME")
    compare.add_argument("other_home", type=Path, help="the other HFTOUR_HOME (make test-portable's second cache)")
    compare.set_defaults(func=_standins_compare)
    from .hub.cli import register

    register(commands)
    return parser


class UsageError(Exception):
    """Bad input to the `hftour` command; main() prints its message as one line and exits with 2."""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hftour` console script and `python -m hftour`: bad input is one line, not a traceback."""
    from .standins.store import StandinCacheError, UnknownStandinError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, UnknownStandinError, StandinCacheError) as error:
        print(f"hftour: {error}", file=sys.stderr)
        return 2
