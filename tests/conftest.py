"""Test set-up: offline mode and no network beyond loopback, for every test."""
import os

import pytest

os.environ.setdefault("HFTOUR_MODE", "offline")

from hftour.netguard import allow_network, block_network  # noqa: E402


@pytest.fixture
def offline(store, monkeypatch):
    """Point the Hub client at the stand-in cache, offline, as hftour.setup() does; each test module defines `store`."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(store.hub_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return store


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Any attempt to reach a non-loopback host fails the test."""
    block_network()
    yield
    allow_network()


@pytest.fixture
def offline_setup():
    """Run hftour.setup(mode="offline") for one test, then undo what it changed in the environment and libraries."""
    import sys

    import hftour

    saved_env = dict(os.environ)
    patched = ["huggingface_hub.constants", "transformers.utils.hub", "datasets.config", "evaluate.config"]
    saved_attrs = {name: dict(vars(sys.modules[name])) for name in patched if name in sys.modules}
    hftour.setup(mode="offline")
    yield
    os.environ.clear()
    os.environ.update(saved_env)
    for name, attrs in saved_attrs.items():
        module = sys.modules[name]
        for attr in ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_DATASETS_OFFLINE",
                     "HF_EVALUATE_OFFLINE"):
            if attr in attrs:
                setattr(module, attr, attrs[attr])
