"""The stand-in catalog: every Hub checkpoint and dataset the notebooks use, read from catalog.toml."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from .paths import PACKAGE_DIR

CATALOG_FILE = PACKAGE_DIR / "catalog.toml"


@dataclass(frozen=True)
class StandinSpec:
    """One catalog entry: the real repo id and how its local stand-in is built."""

    id: str
    task: str
    recipe: str  # "module:function" under hftour.standins
    stands_for: str  # one line on what the real checkpoint is
    revisions: tuple[str, ...] = ()  # short revisions that code (or a pipeline default) pins
    data: tuple[str, ...] = ()  # files or folders under data/ the recipe reads
    needs: tuple[str, ...] = ()  # other stand-ins this one is built from
    notebooks: tuple[str, ...] = ()
    options: dict = field(default_factory=dict, hash=False)  # free-form arguments for the recipe
    repo_type: str = "model"  # "model" ([[standin]] tables) or "dataset" ([[dataset]] tables)

    @property
    def folder_name(self) -> str:
        """The repo's folder in a Hugging Face hub cache: models--org--name or datasets--org--name."""
        return f"{self.repo_type}s--" + self.id.replace("/", "--")


def load_catalog() -> list[StandinSpec]:
    """Parse catalog.toml in file order (the build order); used by the builder, doctor and setup."""
    raw = tomllib.loads(CATALOG_FILE.read_text())
    specs = []
    tables = [(entry, "model") for entry in raw["standin"]] + [(entry, "dataset") for entry in raw.get("dataset", [])]
    for entry, repo_type in tables:
        entry = dict(entry, repo_type=repo_type)
        for key in ("revisions", "data", "needs", "notebooks"):
            entry[key] = tuple(entry.get(key, ()))
        specs.append(StandinSpec(**entry))
    ids = [s.id for s in specs]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"catalog.toml lists these ids twice: {sorted(duplicates)}")
    return specs


def catalog_by_id() -> dict[str, StandinSpec]:
    """The catalog keyed by repo id."""
    return {s.id: s for s in load_catalog()}
