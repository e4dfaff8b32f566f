"""Offline stand-ins: locally built checkpoints stored under the real Hub ids in hftour's own cache."""
from .store import StandinStore, StandinCacheError

__all__ = ["StandinStore", "StandinCacheError"]
