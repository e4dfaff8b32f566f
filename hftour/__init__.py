"""hftour: the reusable pieces behind the tour's notebooks."""
from .setup import banner, device, mode, setup

__all__ = ["setup", "mode", "device", "banner"]
__version__ = "0.1.0"
