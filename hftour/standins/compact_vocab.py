"""Train a model with a real, large vocabulary (GPT-2's 50,257 tokens, T5's 32,128) over the tokens its corpus uses.

A softmax over 50k tokens costs more than the rest of a small model together, yet a CPU-sized corpus uses only a few
thousand of them often. So the model is trained with a compact vocabulary: the `kept` ids (the most frequent ones)
get rows of their own, and every other id shares one "rest" row. That is exactly the full-vocabulary model whose
rest rows are all equal: such a model gives each of the M rest ids the same logit, so their total probability is the
rest row's softmax share with log(M) added to its logit. With that offset on the compact logits, the compact model
trains exactly as the full one would: a rare token in the text counts as "one of the rest", and its full loss is
the compact loss plus log(M), a constant that changes no gradient (tests/standins/test_compact_vocab.py checks
both). Each rest id gets 1/M of the rest's probability. `expand` then writes the full model. Used by the GPT-2
and T5 recipes.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

import torch


class CompactVocabulary:
    """The kept ids of a full vocabulary plus one shared rest row (compact id len(kept))."""

    def __init__(self, kept: Iterable[int], full_size: int):
        self.kept = sorted(set(kept))
        self.full_size = full_size
        self.rest = len(self.kept)  # the compact id of the shared row
        self.rest_count = full_size - len(self.kept)
        self.to_compact = torch.full((full_size,), self.rest, dtype=torch.long)
        self.to_compact[torch.tensor(self.kept)] = torch.arange(len(self.kept))

    @classmethod
    def most_frequent(cls, ids: Iterable[int], size: int, full_size: int, always: Iterable[int] = ()) -> CompactVocabulary:
        """The `size` most frequent ids of a corpus, plus `always` (special tokens the model must own)."""
        always = set(always)
        counts = Counter(ids)
        frequent = [t for t, _ in counts.most_common() if t not in always][:size - len(always)]
        return cls(frequent + sorted(always), full_size)

    def __len__(self) -> int:
        """Rows of the compact model: the kept ids and the rest row."""
        return len(self.kept) + 1

    def compact(self, ids: torch.Tensor) -> torch.Tensor:
        """Full-vocabulary ids -> compact ids (any id not kept becomes the rest row)."""
        return self.to_compact[ids]

    def add_rest_offset(self, model: torch.nn.Module) -> torch.utils.hooks.RemovableHandle:
        """Add log(M) to the rest logit of the compact model's output layer (remove the hook before expanding)."""
        offset = torch.zeros(len(self))
        offset[self.rest] = math.log(self.rest_count) if self.rest_count else -math.inf  # no rest: never predicted
        return model.get_output_embeddings().register_forward_hook(lambda module, args, logits: logits + offset)

    def expand(self, model: torch.nn.Module) -> None:
        """Turn a trained compact model (tied embeddings) into the full-vocabulary model, in place."""
        self._resize(model, model.get_input_embeddings().weight.data[self.to_compact])

    def shrink(self, model: torch.nn.Module) -> None:
        """Turn a full-vocabulary model built by `expand` back into its compact form, in place."""
        weight = model.get_input_embeddings().weight.data
        rest_id = int((self.to_compact == self.rest).nonzero()[0])
        self._resize(model, torch.cat([weight[self.kept], weight[rest_id:rest_id + 1]]))

    @staticmethod
    def _resize(model: torch.nn.Module, weight: torch.Tensor) -> None:
        model.set_input_embeddings(torch.nn.Embedding.from_pretrained(weight.clone(), freeze=False))
        model.config.vocab_size = weight.shape[0]
        output = model.get_output_embeddings()
        output.out_features = weight.shape[0]
        model.tie_weights()  # the output layer is the input embedding again, at its new size

    @torch.no_grad()
    def rest_probability(self, model: torch.nn.Module, batches: Iterable[torch.Tensor]) -> tuple[float, float]:
        """(mean total probability of the rest ids, largest probability of any one of them) over some full-id inputs."""
        rest = self.to_compact == self.rest
        totals = [model(input_ids=ids).logits.float().softmax(-1)[..., rest].sum(-1).flatten() for ids in batches]
        total = torch.cat(totals)
        return total.mean().item(), total.max().item() / self.rest_count
