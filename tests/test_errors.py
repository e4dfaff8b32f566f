"""Offline, an id without a stand-in fails with a message naming it, the stand-ins, and how to go online."""
import pytest
from transformers import AutoTokenizer

from hftour.errors import NoStandinError


def test_unknown_id_offline_names_the_fix(offline_setup):
    with pytest.raises(NoStandinError) as info:
        AutoTokenizer.from_pretrained("someone/not-a-standin")
    message = str(info.value)
    assert "someone/not-a-standin" in message
    assert "google/vit-base-patch16-224" in message
    assert "HFTOUR_MODE=hub" in message


def test_cli_lists_and_checks(capsys):
    from hftour.cli import main

    assert main(["standins", "list"]) == 0
    assert "google/vit-base-patch16-224" in capsys.readouterr().out
