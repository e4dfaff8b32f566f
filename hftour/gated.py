"""Gated Hub repos in hub mode: a clear message and an openly available copy instead of a failed notebook (notebook 05)."""
from __future__ import annotations


def is_gated_error(err: BaseException) -> bool:
    """Whether a from_pretrained error means "gated repo, and this login has not been granted access"."""
    from huggingface_hub.errors import GatedRepoError

    return isinstance(err, GatedRepoError) or isinstance(err.__cause__, GatedRepoError)


def tokenizer_or_open_copy(repo_id: str, open_copy: str, **kwargs):
    """AutoTokenizer.from_pretrained(repo_id); if the Hub gates the repo for this login, say how to get access and
    load `open_copy`, an ungated repo with the same tokenizer files and chat template (notebook 05, Mistral)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(repo_id, **kwargs)
    except OSError as err:
        if not is_gated_error(err):
            raise
    print(f"{repo_id} is gated on the Hub: log in (`hf auth login`) and accept its terms at "
          f"https://huggingface.co/{repo_id} to download it. Until then this uses {open_copy}, an openly "
          "available copy of its tokenizer and chat template.")
    return AutoTokenizer.from_pretrained(open_copy, **kwargs)
