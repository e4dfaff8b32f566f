"""Cards for stand-ins (model and dataset): say plainly that this is a local stand-in and how it was made."""
from __future__ import annotations

from pathlib import Path

from ..catalog import StandinSpec


def write_model_card(spec: StandinSpec, folder: Path, facts: dict) -> None:
    """Write README.md for a built stand-in from its catalog entry and the facts its recipe returned."""
    metrics = facts.get("metrics", {})
    metric_lines = "\n".join(f"| {name} | {value} |" for name, value in metrics.items())
    metric_block = f"\n## Held-out check\n\n| metric | value |\n|---|---|\n{metric_lines}\n" if metrics else ""
    text = f"""---
tags:
- hftour-standin
pipeline_tag: {spec.task}
---

# Local stand-in for `{spec.id}`

**This is not the real `{spec.id}`.** It is a small checkpoint that hftour built on this
machine so the tour's notebooks run without reaching the Hugging Face Hub. Its outputs are
the stand-in's own and differ from the real model's.

- Stands for: {spec.stands_for}
- Task: `{spec.task}`
- Built by: `hftour standins build` (recipe `{spec.recipe}`), seeded, deterministic
- Architecture: {facts.get("architecture", "see config.json")}
- Starting point: {facts.get("base", "random initialisation")}
- Trained on: {facts.get("trained_on", "nothing (weights are untrained)")}
{metric_block}
To use the real checkpoint, run with network access and `HFTOUR_MODE=hub`.
"""
    (folder / "README.md").write_text(text)


def write_dataset_card(spec: StandinSpec, folder: Path, facts: dict) -> None:
    """Write README.md for a dataset stand-in: the YAML `configs` that point load_dataset at its Parquet files."""
    config, splits = facts["config"], facts["splits"]
    data_files = "\n".join(f"  - split: {split}\n    path: {config}/{split}-*" for split in splits)
    split_lines = "\n".join(f"| {split} | {rows:,} |" for split, rows in splits.items())
    text = f"""---
tags:
- hftour-standin
configs:
- config_name: {config}
  data_files:
{data_files}
---

# Local stand-in for the dataset `{spec.id}`

**This is not the real `{spec.id}`.** It is a small dataset that hftour wrote for its notebooks and
published here under the real id, with the real config name (`{config}`), split names and columns
({", ".join(f"`{c}`" for c in facts["columns"])}), so that `load_dataset("{spec.id}")` runs the same code offline.

- Stands for: {spec.stands_for}
- Contents: {facts["trained_on"]}
- Built by: `hftour standins build` (recipe `{spec.recipe}`)

| split | rows |
|---|---|
{split_lines}

To use the real dataset, run with network access and `HFTOUR_MODE=hub`.
"""
    (folder / "README.md").write_text(text)


def write_card(spec: StandinSpec, folder: Path, facts: dict) -> None:
    """The card a built stand-in gets: a dataset card for dataset repos, a model card otherwise."""
    (write_dataset_card if spec.repo_type == "dataset" else write_model_card)(spec, folder, facts)
