"""hftour.gated: which errors mean "gated"; other errors still raise (the fallback itself: tests/hub/test_hub_clients.py)."""
import httpx
import pytest
from huggingface_hub.errors import GatedRepoError
from transformers import AutoTokenizer

from hftour.gated import is_gated_error, tokenizer_or_open_copy

MISTRAL = "mistralai/Mistral-7B-Instruct-v0.1"


def _gated_error() -> OSError:
    """The OSError transformers raises for a gated repo, chained to huggingface_hub's GatedRepoError."""
    response = httpx.Response(403, request=httpx.Request("GET", f"https://huggingface.co/{MISTRAL}"))
    try:
        raise OSError("You are trying to access a gated repo.") from GatedRepoError("403 Forbidden", response=response)
    except OSError as err:
        return err


def test_is_gated_error_tells_gated_from_other_errors():
    assert is_gated_error(_gated_error())
    assert not is_gated_error(OSError("no such file"))


def test_other_errors_are_not_hidden(monkeypatch):
    def from_pretrained(cls, repo_id, *args, **kwargs):
        raise OSError("no such file")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", classmethod(from_pretrained))
    with pytest.raises(OSError, match="no such file"):
        tokenizer_or_open_copy(MISTRAL, "Xenova/mistral-tokenizer-v1")
