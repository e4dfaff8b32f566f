"""hftour.setup(): the first cell of every notebook. Picks the mode and device, points the libraries at the stand-ins, seeds, quiets."""
from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import warnings
from pathlib import Path

from .paths import standin_hf_home

MODES = ("auto", "hub", "offline")
HUB_HOST = "huggingface.co"

_state = {"mode": None, "device": None}


class ModeError(ValueError):
    """HFTOUR_MODE holds something other than auto, hub or offline."""


def _hub_reachable(timeout: float = 0.5) -> bool:
    """True if a TCP connection to the Hub opens within `timeout` seconds (DNS included)."""
    result = []

    def probe() -> None:
        try:
            with socket.create_connection((HUB_HOST, 443), timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)  # a hanging DNS lookup must not hold us up
    return bool(result and result[0])


def resolve_mode(requested: str | None = None) -> str:
    """Turn HFTOUR_MODE (auto|hub|offline) into hub or offline; auto probes the Hub for at most half a second."""
    mode = (requested or os.environ.get("HFTOUR_MODE") or "auto").strip().lower()
    if mode not in MODES:
        raise ModeError(f"HFTOUR_MODE={mode!r} is not a mode; use one of: {', '.join(MODES)}")
    if mode == "auto":
        if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
            return "offline"
        return "hub" if _hub_reachable() else "offline"
    return mode


def _patch_imported_libraries(hf_home: str) -> None:
    """Re-point libraries that were imported before setup(); they read their settings at import time."""
    hub_cache = os.path.join(hf_home, "hub")
    settings = {
        "huggingface_hub.constants": {"HF_HUB_OFFLINE": True, "HF_HOME": hf_home, "HF_HUB_CACHE": hub_cache,
                                      "HUGGINGFACE_HUB_CACHE": hub_cache},
        "transformers.utils.hub": {"HF_HUB_OFFLINE": True},
        "datasets.config": {"HF_HUB_OFFLINE": True, "HF_DATASETS_OFFLINE": True,
                            "HF_DATASETS_CACHE": Path(hf_home, "datasets")},
        "evaluate.config": {"HF_EVALUATE_OFFLINE": True},
    }
    for module_name, values in settings.items():
        module = sys.modules.get(module_name)
        for attr, value in values.items():
            if module is not None and hasattr(module, attr):
                setattr(module, attr, value)


def use_standins() -> None:
    """Offline mode: send every Hub lookup to hftour's stand-in cache and forbid network calls to the Hub."""
    from .errors import check_standins, install_missing_id_hint
    from .metrics import install_metric_modules

    hf_home = str(standin_hf_home())
    check_standins()
    os.environ.update({"HF_HOME": hf_home, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "HF_DATASETS_OFFLINE": "1", "HF_EVALUATE_OFFLINE": "1"})
    for variable in ("HF_HUB_CACHE", "HF_DATASETS_CACHE"):  # both live under HF_HOME, where the stand-ins are
        os.environ.pop(variable, None)
    _patch_imported_libraries(hf_home)
    install_missing_id_hint()
    install_metric_modules(hf_home)  # evaluate.load("accuracy"/"f1") offline (hftour/metrics)


def pick_device() -> str:
    """cuda if available, else mps, else cpu."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def quiet_libraries() -> None:
    """Keep progress bars and routine library logs out of notebook outputs (errors still show)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import datasets
    import transformers

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    logging.getLogger("huggingface_hub").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)


def setup(mode: str | None = None, seed: int = 0, verbose_libraries: bool = False) -> None:
    """Prepare a notebook: mode, stand-ins, device, seeds, quiet logs; prints a one-line banner."""
    if os.environ.get("HFTOUR_BLOCK_NETWORK") == "1":
        from .netguard import block_network

        block_network()
    resolved = resolve_mode(mode)
    if resolved == "offline":
        use_standins()
    from .realparts import prepare_tiktoken
    from .standins.training import seed_everything

    prepare_tiktoken()  # tiktoken's "gpt2" from the GPT-2 files an installed package ships, so it needs no download
    device = pick_device()
    seed_everything(seed)
    if not verbose_libraries:
        quiet_libraries()
    _state.update(mode=resolved, device=device)
    print(banner())


def banner() -> str:
    """The one line setup() prints: mode, device, library versions, and any difference from requirements.lock."""
    import torch
    import transformers

    from .lockfile import describe_drift, drift

    endpoint = os.environ.get("HF_ENDPOINT", "").rstrip("/")
    if _state["mode"] == "offline":
        source = "OFFLINE: outputs come from local stand-ins, not the real models"
    elif endpoint and endpoint != "https://huggingface.co":  # a class sandbox or a mirror, e.g. make test-hub
        source = f"HUB: checkpoints downloaded from {endpoint}"
    else:
        source = "HUB: real checkpoints from the Hugging Face Hub"
    line = (f"hftour | {source} | device={_state['device']} | torch {torch.__version__} | "
            f"transformers {transformers.__version__}")
    differences = drift()
    return f"{line}\nhftour | {describe_drift(differences)}" if differences else line


def mode() -> str:
    """The mode setup() chose ('hub' or 'offline')."""
    if _state["mode"] is None:
        raise RuntimeError("Call hftour.setup() first.")
    return _state["mode"]


def device() -> str:
    """The device setup() picked ('cuda', 'mps' or 'cpu')."""
    if _state["device"] is None:
        raise RuntimeError("Call hftour.setup() first.")
    return _state["device"]
