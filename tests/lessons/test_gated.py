"""hftour.gated: a gated repo falls back to the stand-in with a message; other errors still raise."""
import httpx
import pytest
from huggingface_hub.errors import GatedRepoError
from transformers import AutoTokenizer

from hftour.gated import is_gated_error, tokenizer_or_standin

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


def test_gated_repo_falls_back_to_the_standin_with_a_message(monkeypatch, capsys):
    real = AutoTokenizer.from_pretrained.__func__
    calls = []

    def from_pretrained(cls, repo_id, *args, **kwargs):
        calls.append(kwargs.get("local_files_only", False))
        if not kwargs.get("local_files_only"):
            raise _gated_error()  # what a login without access gets from the Hub
        return real(cls, repo_id, *args, **kwargs)

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", classmethod(from_pretrained))
    tokenizer = tokenizer_or_standin(MISTRAL)
    assert calls == [False, True]
    assert "gated on the Hub" in capsys.readouterr().out
    assert tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False).startswith("<s>[INST]")


def test_other_errors_are_not_hidden(monkeypatch):
    def from_pretrained(cls, repo_id, *args, **kwargs):
        raise OSError("no such file")

    monkeypatch.setattr(AutoTokenizer, "from_pretrained", classmethod(from_pretrained))
    with pytest.raises(OSError, match="no such file"):
        tokenizer_or_standin(MISTRAL)
