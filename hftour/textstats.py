"""Repetition and length measures for generated text, and a timed comparison of decoding strategies (notebook 04)."""
from __future__ import annotations

import time


def ngrams(words: list[str], n: int) -> list[tuple[str, ...]]:
    """All n-grams of a word list, in order (overlapping)."""
    return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]


def distinct_n(text: str, n: int = 2) -> float:
    """Distinct-n: unique n-grams / all n-grams of the text's words (1.0 = no n-gram repeats); 0.0 for too-short text."""
    grams = ngrams(text.split(), n)
    return len(set(grams)) / len(grams) if grams else 0.0


def repeated_ngram_share(text: str, n: int = 4) -> float:
    """Share of the text's n-grams that already occurred earlier in it (0.0 = none repeats)."""
    grams = ngrams(text.split(), n)
    seen: set[tuple[str, ...]] = set()
    repeats = 0
    for gram in grams:
        repeats += gram in seen
        seen.add(gram)
    return repeats / len(grams) if grams else 0.0


def compare_strategies(model, tokenizer, prompts: list[str], strategies: dict[str, dict], max_new_tokens: int,
                       seed: int = 0, **shared):
    """Run every strategy ({name: generate kwargs}) on every prompt; a DataFrame of mean repetition, length and seconds."""
    import pandas as pd
    import torch

    rows = []
    for name, kwargs in strategies.items():
        for prompt in prompts:
            inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
            torch.manual_seed(seed)
            start = time.perf_counter()
            out = model.generate(**inputs, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.eos_token_id,
                                 **shared, **kwargs)
            seconds = time.perf_counter() - start
            new = out[0, inputs["input_ids"].shape[1]:]
            text = tokenizer.decode(new, skip_special_tokens=True)
            rows.append({"strategy": name, "new tokens": len(new), "distinct-2": distinct_n(text, 2),
                         "repeated 4-grams": repeated_ngram_share(text, 4), "seconds": seconds})
    table = pd.DataFrame(rows).groupby("strategy", sort=False).mean()
    return table.round({"new tokens": 1, "distinct-2": 2, "repeated 4-grams": 2, "seconds": 2})
