"""Offline copies of the evaluate metrics the notebooks load (accuracy, f1, squad), installed into evaluate's module cache."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
from pathlib import Path

METRICS_DIR = Path(__file__).resolve().parent
METRICS = ("accuracy", "f1", "squad")


def modules_cache(hf_home: Path) -> Path:
    """The folder evaluate imports cached modules from: HF_MODULES_CACHE, else HF_HOME/modules (as evaluate computes it)."""
    return Path(os.environ.get("HF_MODULES_CACHE") or Path(hf_home) / "modules")


def install_metric_modules(hf_home: str | Path) -> list[Path]:
    """Put hftour's metric scripts where evaluate looks for cached Hub modules; hftour.setup() calls it in offline mode (07, 08)."""
    cache = modules_cache(hf_home)
    installed = []
    for name in METRICS:
        source = METRICS_DIR / name / f"{name}.py"
        code = source.read_bytes()
        module_dir = cache / "evaluate_modules" / "metrics" / f"evaluate-metric--{name}"
        target = module_dir / hashlib.sha256(code).hexdigest() / f"{name}.py"
        if not target.is_file() or target.read_bytes() != code:
            for stale in module_dir.glob("*/"):
                if stale.is_dir() and stale != target.parent:
                    shutil.rmtree(stale, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            for folder in (cache, cache / "evaluate_modules", module_dir.parent, module_dir, target.parent):
                (folder / "__init__.py").touch()
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(code)
            tmp.replace(target)
        installed.append(target)
    evaluate_config = sys.modules.get("evaluate.config")
    if evaluate_config is not None:  # imported before setup(): it computed its cache path from the old HF_HOME
        evaluate_config.HF_MODULES_CACHE = cache
    # evaluate announces every offline load from its cache with a warning naming the cache path; keep notebooks quiet.
    logging.getLogger("evaluate.loading").setLevel(logging.ERROR)
    return installed
