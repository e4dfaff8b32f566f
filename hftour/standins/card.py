"""Model cards for stand-ins: say plainly that this is a local stand-in and how it was made."""
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
