"""Gated Hub repos in hub mode: a clear message and hftour's stand-in instead of a failed notebook (notebook 05)."""
from __future__ import annotations

from .paths import standin_hub_cache


def is_gated_error(err: BaseException) -> bool:
    """Whether a from_pretrained error means "gated repo, and this login has not been granted access"."""
    from huggingface_hub.errors import GatedRepoError

    return isinstance(err, GatedRepoError) or isinstance(err.__cause__, GatedRepoError)


def tokenizer_or_standin(repo_id: str, **kwargs):
    """AutoTokenizer.from_pretrained(repo_id); if the Hub gates the repo for this login, say how to get access and
    load hftour's local stand-in of it instead (used by notebook 05 for the gated Mistral tokenizer)."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(repo_id, **kwargs)
    except OSError as err:
        if not is_gated_error(err):
            raise
    print(f"{repo_id} is gated on the Hub: log in (`hf auth login`) and accept its terms at "
          f"https://huggingface.co/{repo_id} to download it. Until then this uses hftour's local stand-in, "
          "which has the same chat template and special tokens but a much smaller vocabulary.")
    return AutoTokenizer.from_pretrained(repo_id, cache_dir=standin_hub_cache(), local_files_only=True, **kwargs)
