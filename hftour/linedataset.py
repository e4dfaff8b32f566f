"""LineByLineTextDataset, which transformers 5 removed: one training example per non-empty line of a text file (notebook 10).

transformers 4 shipped it (deprecated since 4.x in favour of the datasets library); the pretraining recipe notebook 10
follows still uses it, so here it is again, doing what the old class did: read the file, drop empty lines, tokenize
each line with the tokenizer's special tokens (<s> ... </s> for RoBERTa), truncate to block_size tokens. The
masked-LM collator pads and masks the examples later, batch by batch.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset


class LineByLineTextDataset(Dataset):
    """Every non-empty line of `file_path`, tokenized and truncated to block_size: {"input_ids": LongTensor}.

    max_lines (not in the old class) keeps only the first lines, for a training run sized for a CPU.
    """

    def __init__(self, tokenizer, file_path: str | Path, block_size: int, max_lines: int | None = None):
        lines = [line for line in Path(file_path).read_text(encoding="utf-8").splitlines()
                 if line and not line.isspace()]
        encoded = tokenizer(lines[:max_lines], add_special_tokens=True, truncation=True, max_length=block_size)
        self.examples = [{"input_ids": torch.tensor(ids, dtype=torch.long)} for ids in encoded["input_ids"]]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.examples[i]
