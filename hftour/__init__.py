"""hftour: the reusable pieces behind the tour's notebooks."""
import warnings

# Notebook kernels without ipywidgets get this from tqdm.auto on every import; text progress bars work fine.
warnings.filterwarnings("ignore", message="IProgress not found")

from .setup import banner, device, mode, setup  # noqa: E402

__all__ = ["setup", "mode", "device", "banner"]
__version__ = "0.1.0"
