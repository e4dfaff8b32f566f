"""Where hftour keeps its own files: the stand-in cache, the project data and the package data."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DATA_DIR = REPO_DIR / "data"


def hftour_home() -> Path:
    """Root of hftour's private caches (HFTOUR_HOME, default ~/.cache/hftour); used by setup and the stand-in builder."""
    return Path(os.environ.get("HFTOUR_HOME", Path.home() / ".cache" / "hftour")).expanduser()


def standin_hf_home() -> Path:
    """The HF_HOME that holds the stand-ins: a Hugging Face cache of hftour's own, never the user's."""
    return hftour_home() / "hf"


def standin_hub_cache() -> Path:
    """The hub/ folder of the stand-in HF_HOME, laid out like any Hugging Face cache."""
    return standin_hf_home() / "hub"
