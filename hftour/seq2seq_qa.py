"""Quiet PyTorch Lightning for notebook 08: its banner lines, tips and deprecation notices are not part of the lesson."""
from __future__ import annotations

import logging
import warnings

LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "lightning")


def quiet_lightning() -> None:
    """Hide Lightning's info lines ("GPU available", "Seed set to", tips) and its routine warnings (notebook 08)."""
    from lightning.fabric.utilities.warnings import PossibleUserWarning  # imported first: importing sets INFO levels

    for name in LIGHTNING_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)

    # "does not have many workers", "The number of training batches ... is smaller than the logging interval"
    warnings.filterwarnings("ignore", category=PossibleUserWarning)
    # Lightning's own use of torch.utils._pytree APIs that newer torch deprecates; nothing a learner can act on.
    warnings.filterwarnings("ignore", message=r".*LeafSpec.*is deprecated")
