"""Whether bfloat16 pays off on this machine: used by the training notebooks (06, 07) and the masked-LM stand-ins."""
from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

# CPU features that make bfloat16 matrix products fast; without them PyTorch emulates bf16 and it is slower than fp32.
FAST_BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


@functools.cache
def cpu_has_fast_bf16() -> bool:
    """True if /proc/cpuinfo lists AMX or AVX-512 BF16 (Linux); False elsewhere, when unknown, or with HFTOUR_CPU_BF16=0."""
    if os.environ.get("HFTOUR_CPU_BF16") == "0":  # build or run as a CPU without fast bf16 would (make test-portable)
        return False
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return False
    return any(flag in flags.split() for flag in FAST_BF16_CPU_FLAGS)


def bf16_helps(device: str = "cpu") -> bool:
    """Should training use bf16 mixed precision on `device`? cuda: if supported; cpu: only with AMX/AVX-512 BF16."""
    import torch

    if device == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device == "cpu":
        return cpu_has_fast_bf16()
    return False


def autocast(device: str = "cpu"):
    """torch.autocast in bf16 where bf16_helps(device), else a no-op context; for hand-written training loops."""
    import torch

    return torch.autocast(device, dtype=torch.bfloat16) if bf16_helps(device) else contextlib.nullcontext()
