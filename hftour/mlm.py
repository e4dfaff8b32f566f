"""Masked-LM helpers for notebook 06: chunking (group_texts), a whole-word-masking collator, and a fixed eval masking."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def group_texts(examples: dict[str, list[list]], chunk_size: int = 128) -> dict[str, list[list]]:
    """Concatenate a batch of tokenized texts and cut it into chunk_size pieces (remainder dropped); labels = input_ids. Used in 06."""
    concatenated = {key: sum(values, []) for key, values in examples.items()}
    total = (len(next(iter(concatenated.values()))) // chunk_size) * chunk_size
    result = {key: [values[i:i + chunk_size] for i in range(0, total, chunk_size)]
              for key, values in concatenated.items()}
    result["labels"] = [list(chunk) for chunk in result["input_ids"]]
    return result


def word_groups(word_ids: list[int | None]) -> list[list[int]]:
    """Token positions grouped by word: consecutive tokens with the same word id form one word; None (special tokens) is skipped."""
    groups: list[list[int]] = []
    previous = None
    for position, word_id in enumerate(word_ids):
        if word_id is None:
            previous = None
            continue
        if word_id != previous:
            groups.append([])
        groups[-1].append(position)
        previous = word_id
    return groups


class WholeWordMaskCollator:
    """Mask whole words (every sub-word token of a chosen word) with probability wwm_probability; used in 06 with Trainer.

    Features need input_ids and word_ids, usually labels too (as group_texts leaves them). Chosen tokens become [MASK];
    labels keep the original ids there and are -100 elsewhere; shorter features are right-padded. The input features
    are not modified. transformers 5 removed
    DataCollatorForWholeWordMask; this is the course's word_ids recipe as a collator.
    """

    def __init__(self, tokenizer, wwm_probability: float = 0.2, seed: int | None = None):
        self.tokenizer = tokenizer
        self.wwm_probability = wwm_probability
        self.rng = np.random.default_rng(seed)

    def __call__(self, features: list[dict]) -> dict:
        from transformers import default_data_collator

        batch = []
        for feature in features:
            input_ids = list(feature["input_ids"])
            original = list(feature["labels"]) if "labels" in feature else list(input_ids)
            labels = [-100] * len(input_ids)
            groups = word_groups(list(feature["word_ids"]))
            chosen = self.rng.binomial(1, self.wwm_probability, len(groups)).astype(bool)
            for group, masked in zip(groups, chosen):
                if masked:
                    for position in group:
                        labels[position] = original[position]
                        input_ids[position] = self.tokenizer.mask_token_id
            rest = {k: list(v) for k, v in feature.items() if k not in ("input_ids", "labels", "word_ids")}
            batch.append({**rest, "input_ids": input_ids, "labels": labels})
        return default_data_collator(self._pad(batch))

    def _pad(self, batch: list[dict]) -> list[dict]:
        """Right-pad features of different lengths (group_texts chunks are all the same length and pass through)."""
        longest = max(len(f["input_ids"]) for f in batch)
        fillers = {"input_ids": self.tokenizer.pad_token_id, "labels": -100}
        return [{k: v + [fillers.get(k, 0)] * (longest - len(v)) for k, v in f.items()} for f in batch]


def insert_random_mask(batch: dict[str, list], data_collator: Callable[[list[dict]], dict]) -> dict[str, np.ndarray]:
    """Mask a batch once with data_collator and return it as masked_* columns; map it over the eval set so every evaluation sees the same masks (06)."""
    features = [dict(zip(batch, values)) for values in zip(*batch.values())]
    masked = data_collator(features)
    return {f"masked_{key}": value.numpy() for key, value in masked.items()}
