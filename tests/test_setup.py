"""Mode selection, the banner and the offline pointing done by hftour.setup()."""
import os

import pytest

import hftour
from hftour.setup import ModeError, resolve_mode


def test_unknown_mode_lists_valid_ones():
    with pytest.raises(ModeError, match="auto, hub, offline"):
        resolve_mode("online")


def test_explicit_modes_pass_through():
    assert resolve_mode("offline") == "offline"
    assert resolve_mode("HUB") == "hub"


def test_auto_is_offline_without_network(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert resolve_mode("auto") == "offline"  # conftest blocks the probe, as on a machine with no network


def test_offline_setup_points_at_standins_even_after_import(offline_setup):
    import huggingface_hub.constants as hub_constants

    banner = hftour.banner()
    assert "OFFLINE" in banner and "stand-ins" in banner
    assert hub_constants.HF_HUB_OFFLINE is True
    assert os.environ["HF_HOME"].startswith(str(hftour.paths.hftour_home()))
    assert hub_constants.HF_HUB_CACHE.startswith(os.environ["HF_HOME"])
    assert hftour.mode() == "offline" and hftour.device() in ("cpu", "cuda", "mps")


def test_hub_banner_names_an_endpoint_other_than_the_hub(monkeypatch):
    import importlib

    setup_module = importlib.import_module("hftour.setup")
    monkeypatch.setitem(setup_module._state, "mode", "hub")
    monkeypatch.setitem(setup_module._state, "device", "cpu")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8765")
    assert "HUB: checkpoints downloaded from http://127.0.0.1:8765" in hftour.banner()
    monkeypatch.delenv("HF_ENDPOINT")
    assert "HUB: real checkpoints from the Hugging Face Hub" in hftour.banner()
