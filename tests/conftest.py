"""Test set-up: offline mode and no network beyond loopback, for every test."""
import os

import pytest

os.environ.setdefault("HFTOUR_MODE", "offline")

from hftour.netguard import allow_network, block_network  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    """Any attempt to reach a non-loopback host fails the test."""
    block_network()
    yield
    allow_network()
