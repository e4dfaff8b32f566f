"""requirements.lock: write it from pip's resolution (`make lock`) and compare it with what is installed (banner, doctor)."""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from .paths import REPO_DIR

LOCK_PATH = REPO_DIR / "requirements.lock"
UNLOCKED = {"torch", "hftour"}  # torch stays the machine's own build; hftour is installed from this checkout


def canonical(name: str) -> str:
    """A package name as pip compares them (PEP 503): lower case, runs of -_. as one dash."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path = LOCK_PATH) -> dict[str, str]:
    """The pinned versions in the lock, by canonical name; empty if there is no lock."""
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonical(name)] = version.strip()
    return pins


def drift(path: Path = LOCK_PATH) -> list[tuple[str, str, str | None]]:
    """(package, locked version, installed version or None) for each locked package installed otherwise; banner and doctor."""
    installed = {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    return [(name, locked, installed.get(name)) for name, locked in sorted(read_lock(path).items())
            if installed.get(name) != locked]


def describe_drift(differences: list[tuple[str, str, str | None]], limit: int = 3) -> str:
    """One short phrase for the banner: which packages differ from the lock and what to run."""
    shown = ", ".join(f"{name} {have or 'missing'} (lock {want})" for name, want, have in differences[:limit])
    more = f" and {len(differences) - limit} more" if len(differences) > limit else ""
    return f"environment differs from requirements.lock: {shown}{more}; run `make install`"


def _resolve(args: list[str]) -> list[dict]:
    """What `pip install` would install for `args`, from pip's own resolver (a dry run that changes nothing)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed",
                        "--report", str(report), *args], check=True)
        return json.loads(report.read_text())["install"]


def write_lock(constraints: Path, no_deps: list[str], path: Path = LOCK_PATH) -> int:
    """Resolve pyproject.toml's dependencies (and `no_deps` packages alone) to the newest releases; rewrite the lock."""
    resolved = _resolve(["-c", str(constraints), "-e", str(REPO_DIR)])
    if no_deps:
        resolved += _resolve(["--no-deps", *no_deps])
    pip_version = importlib.metadata.version("pip")
    pins = {canonical(item["metadata"]["name"]): item["metadata"]["version"] for item in resolved}
    pins["pip"] = pip_version
    lines = [
        "# requirements.lock: every package `make install` puts in .venv, at exact versions.",
        f"# Made by `make lock` on {datetime.date.today()} with Python {platform.python_version()} and pip {pip_version}:",
        "# pip resolved pyproject.toml's dependencies to the newest releases, with torch held at the installed build",
        "# (torch is not pinned here: make install keeps the machine's own); installed without their dependencies:",
        f"# {', '.join(no_deps) or 'none'}. To upgrade: make lock && make execute && make test, then commit.",
    ]
    pinned = [f"{name}=={version}" for name, version in sorted(pins.items()) if name not in UNLOCKED]
    path.write_text("\n".join(lines + pinned) + "\n")
    return len(pinned)


def main(argv: list[str] | None = None) -> int:
    """`python -m hftour.lockfile --constraints FILE [--no-deps PKG ...]`: rewrite requirements.lock (make lock)."""
    parser = argparse.ArgumentParser(prog="python -m hftour.lockfile", description=__doc__)
    parser.add_argument("--constraints", type=Path, required=True, help="pip constraints file pinning torch")
    parser.add_argument("--no-deps", nargs="*", default=[], help="packages locked without their dependencies")
    args = parser.parse_args(argv)
    try:
        count = write_lock(args.constraints, args.no_deps)
    except subprocess.CalledProcessError as error:
        print(f"make lock: pip could not resolve the dependencies (exit {error.returncode}); see pip's message above",
              file=sys.stderr)
        return 1
    print(f"wrote {LOCK_PATH.name}: {count} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
