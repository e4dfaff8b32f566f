"""Causal LM stand-ins (GPT-2 and its distilled assistant): small GPT-2 models trained on English prose in data/prose."""
from __future__ import annotations

import contextlib
import json
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path

import torch

from ..paths import DATA_DIR
from .training import seed_everything, train_loop

PROSE_DIR = DATA_DIR / "prose"
EOS = "<|endoftext|>"
FEMALE = {"Anna", "Maria", "Grace", "Lucy", "Nora", "Clara", "Ellen", "Rosa", "Mila", "Ada"}


# ---- the prose corpus ---------------------------------------------------------
def read_pieces(path: Path = PROSE_DIR / "pieces.txt") -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Parse data/prose/pieces.txt into (slots, themes): name -> list of fillers / sentence templates."""
    slots: dict[str, list[str]] = {}
    themes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@slot "):
            current = slots.setdefault(line.split()[1], [])
        elif line.startswith("@theme "):
            current = themes.setdefault(line.split()[1], [])
        else:
            current.append(line.strip())
    return slots, themes


def _fill(template: str, slots: dict[str, list[str]], who: tuple[str, str, str], rng: random.Random) -> str:
    """Replace every {slot} of a template; {who}/{his}/{him} name the paragraph's main character."""
    person = {"who": who[0], "his": who[1], "him": who[2]}

    def one(match: re.Match) -> str:
        key = match.group(1)
        if key.lower() in person:
            value = person[key.lower()]
        else:
            value = rng.choice(slots[key.lower()])
        return value[0].upper() + value[1:] if key[0].isupper() else value

    text = re.sub(r"\{(\w+)\}", one, template)
    return text[0].upper() + text[1:]


def prose_paragraphs(count: int, seed: int) -> list[str]:
    """`count` paragraphs of simple English assembled from data/prose/pieces.txt (seeded); the training text."""
    slots, themes = read_pieces()
    rng = random.Random(seed)
    names = [t for t in themes if t != "general"]
    paragraphs = []
    for _ in range(count):
        theme = rng.choice(names)
        if theme == "letters" or rng.random() < 0.35:
            who = ("I", "my", "me")
        else:
            name = rng.choice(slots["name"])
            who = (name, "her", "her") if name in FEMALE else (name, "his", "him")
        pool = themes[theme]
        picked = rng.sample(range(len(pool)), k=min(len(pool), rng.randint(3, 7)))
        if theme == "letters":  # a letter opens with "Dear ..." and closes with its signature
            body = sorted(i for i in picked if i not in (0, 6))
            sentences = [pool[0]] + [pool[i] for i in body] + [pool[6]]
        else:
            sentences = [pool[i] for i in picked]
            if rng.random() < 0.5:
                sentences.insert(rng.randint(1, len(sentences)), rng.choice(themes["general"]))
        text = [_fill(s, slots, who, rng) for s in sentences]
        paragraphs.append(("\n" if theme == "letters" else " ").join(text))
    return paragraphs


def handwritten_paragraphs() -> list[str]:
    """The hand-written paragraphs of data/prose/paragraphs.txt (blank-line separated)."""
    text = (PROSE_DIR / "paragraphs.txt").read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def documents(paragraphs: list[str], seed: int) -> list[str]:
    """Paragraphs grouped 3 to 6 at a time into documents (blank line between), so <|endoftext|> stays rare."""
    rng = random.Random(seed)
    docs, start = [], 0
    while start < len(paragraphs):
        size = rng.randint(3, 6)
        docs.append("\n\n".join(paragraphs[start:start + size]))
        start += size
    return docs


def training_texts(options: dict) -> tuple[list[str], list[str]]:
    """(train, held-out) documents: generated paragraphs (distinct seeds) plus the hand-written ones, 2 kept back."""
    written = handwritten_paragraphs()
    generated = prose_paragraphs(options.get("paragraphs", 9000), seed=1) + written[2:] * 4
    random.Random(3).shuffle(generated)
    heldout = documents(prose_paragraphs(200, seed=2) + written[:2], seed=4)
    return documents(generated, seed=5), heldout


# ---- tokenizer --------------------------------------------------------------
def gpt2_tokenizer(texts: list[str], vocab_size: int):
    """GPT-2's tokenizer design trained on texts: byte-level BPE, <|endoftext|> as bos/eos/unk and the last id, no pad."""
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


# ---- training ---------------------------------------------------------------
def token_blocks(tokenizer, texts: list[str], block: int) -> torch.Tensor:
    """Documents joined by <|endoftext|> (as GPT-2 was trained), cut into rows of `block` tokens."""
    ids: list[int] = []
    for row in tokenizer(texts)["input_ids"]:
        ids += row + [tokenizer.eos_token_id]
    usable = len(ids) // block * block
    return torch.tensor(ids[:usable]).view(-1, block)


def block_batches(blocks: torch.Tensor, batch_size: int, seed: int):
    """A re-iterable source of shuffled language-modelling batches (labels = inputs; the model shifts them)."""
    generator = torch.Generator().manual_seed(seed)

    def batches():
        order = torch.randperm(len(blocks), generator=generator)
        for start in range(0, len(order) - batch_size + 1, batch_size):
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


def gpt2(spec, out: Path, store, progress: bool = True) -> dict:
    """GPT2LMHeadModel (small) trained from scratch on data/prose with a GPT-2-style byte-level BPE tokenizer."""
    from transformers import GenerationConfig, GPT2Config, GPT2LMHeadModel

    o = spec.options
    train, heldout = training_texts(o)
    tokenizer = gpt2_tokenizer(train, o.get("vocab_size", 4096))
    block = o.get("block", 128)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=o.get("n_positions", 256), n_embd=o.get("n_embd", 256),
                        n_layer=o.get("n_layer", 4), n_head=o.get("n_head", 4), bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        task_specific_params={"text-generation": {"do_sample": True, "max_length": 50}})
    seed_everything(0)
    model = GPT2LMHeadModel(config)
    blocks = token_blocks(tokenizer, train, block)
    with fused_gelu(model):
        losses = train_loop(model, block_batches(blocks, o.get("batch_size", 16), seed=0), epochs=o.get("epochs", 1),
                            lr=o.get("lr", 2e-3), desc="gpt2", progress=progress)
    ppl = perplexity(model, token_blocks(tokenizer, heldout, block))
    model.generation_config = GenerationConfig(bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"architecture": f"GPT2LMHeadModel, {config.n_layer} layers, hidden {config.n_embd}, "
                            f"{model.num_parameters():,} parameters, byte-level BPE of {len(tokenizer):,} tokens "
                            "(the real one: 12 layers, hidden 768, 124 M parameters, 50,257 tokens)",
            "base": "none: trained from scratch",
            "trained_on": f"{len(train):,} documents of simple English prose from data/prose ({len(blocks)} blocks of {block} tokens, {len(losses)} steps)",
            "metrics": {"heldout_perplexity": round(ppl, 2), "final_train_loss": round(sum(losses[-20:]) / 20, 3)}}
