"""A character-level GPT built from hftour.attention's blocks, its training loop and a command line (notebook 10).

    python -m hftour.charlm --dump-corpus DIR      # write the exact train.txt / val.txt it trains on
    python -m hftour.charlm --iters 2000 --batch-size 12 --block-size 64 --n-layer 4 --n-head 4 \\
        --n-embd 128 --lr 1e-3 --dropout 0 [--corpus DIR]

The last two lines printed are `val loss X.XXXX` (mean cross-entropy over --eval-batches random validation blocks
of --batch-size each) and `tokens/s N` (training tokens per second, evaluation excluded). The recipe (AdamW with
betas 0.9/0.99 and weight decay 0.1 on matrices, 100 warm-up steps then cosine decay to lr/10, gradient clipping at
1.0, GPT-2 initialisation) is the one nanoGPT uses for Shakespeare characters, so the two can be compared.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from .attention import TransformerBlock
from .precision import autocast, bf16_helps
from .realparts import MissingPartError, shakespeare


class CharTokenizer:
    """One id per character: the sorted characters of a text are its vocabulary (stoi / itos)."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    def encode(self, text: str) -> list[int]:
        """Characters -> ids."""
        return [self.stoi[ch] for ch in text]

    def decode(self, ids) -> str:
        """Ids -> characters."""
        return "".join(self.itos[int(i)] for i in ids)

    def __len__(self) -> int:
        return len(self.chars)


@dataclass
class CharGPTConfig:
    """Sizes of a CharGPT; the defaults are nanoGPT's CPU recipe for Shakespeare characters."""
    vocab_size: int
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0


class CharGPT(nn.Module):
    """Token + position embeddings, n_layer TransformerBlocks, a final LayerNorm and a tied output layer (GPT-2's layout)."""

    def __init__(self, config: CharGPTConfig):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(TransformerBlock(config.n_embd, config.n_head, config.dropout)
                               for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # one matrix reads tokens in and scores them out
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2: residual projections scaled down with depth
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init(module: nn.Module) -> None:
        """GPT-2's initialisation: N(0, 0.02) weights, zero biases."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx (B, T) -> logits (B, T, vocab), plus the mean cross-entropy against targets (B, T) when given."""
        t = idx.size(1)
        if t > self.config.block_size:
            raise ValueError(f"sequence of {t} tokens is longer than block_size {self.config.block_size}")
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(t, device=idx.device)))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.reshape(-1))


# ---- data ----------------------------------------------------------------------------------------------------
def corpus_texts(corpus_dir: str | Path | None = None) -> tuple[str, str]:
    """(train, validation) text: train.txt and val.txt from corpus_dir, else hftour's Shakespeare split."""
    paths = ({s: Path(corpus_dir) / f"{s}.txt" for s in ("train", "val")} if corpus_dir is not None
             else shakespeare())
    return paths["train"].read_text(encoding="utf-8"), paths["val"].read_text(encoding="utf-8")


def random_blocks(data: torch.Tensor, batch_size: int, block_size: int,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """batch_size random windows of the id sequence: inputs x and targets y = x shifted left by one."""
    start = torch.randint(len(data) - block_size, (batch_size, 1), generator=generator)
    rows = start + torch.arange(block_size + 1)  # (batch, block+1) positions, gathered in one indexing
    window = data[rows]
    return window[:, :-1], window[:, 1:]


# ---- training ------------------------------------------------------------------------------------------------
@dataclass
class TrainConfig:
    """Optimisation settings; the defaults are nanoGPT's Shakespeare-character recipe."""
    iters: int = 2000
    batch_size: int = 12
    lr: float = 1e-3
    warmup: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float = 1.0
    mixed_precision: bool = True  # bf16 autocast where the CPU computes bf16 fast (hftour.precision), else fp32


@dataclass
class TrainResult:
    """What train() measured: the loss of every step and the training time (evaluation excluded)."""
    losses: list[float] = field(default_factory=list)
    seconds: float = 0.0
    tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def learning_rate(step: int, config: TrainConfig) -> float:
    """Linear warm-up for config.warmup steps, then cosine decay from lr to lr/10 at the last step."""
    if step < config.warmup:
        return config.lr * (step + 1) / (config.warmup + 1)
    progress = (step - config.warmup) / max(1, config.iters - config.warmup)
    min_lr = config.lr / 10
    return min_lr + 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * (config.lr - min_lr)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices and embeddings only (not on biases and LayerNorm gains)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": config.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)


def train(model: CharGPT, data: torch.Tensor, config: TrainConfig,
          generator: torch.Generator | None = None) -> TrainResult:
    """Train on random blocks of `data` (1-D ids) for config.iters steps; returns every step's loss and the timing."""
    block_size = model.config.block_size
    optimizer = make_optimizer(model, config)
    result = TrainResult()
    model.train()
    start = time.perf_counter()
    for step in range(config.iters):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, config)
        x, y = random_blocks(data, config.batch_size, block_size, generator)
        with _precision(config.mixed_precision):
            _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip:
            nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        result.losses.append(loss.item())
    result.seconds = time.perf_counter() - start
    result.tokens = config.iters * config.batch_size * block_size
    return result


def _precision(mixed: bool):
    """bf16 autocast where it helps on this CPU (mixed=True), else plain fp32."""
    return autocast("cpu") if mixed else contextlib.nullcontext()


@torch.no_grad()
def evaluate(model: CharGPT, data: torch.Tensor, batches: int = 200, batch_size: int = 12,
             generator: torch.Generator | None = None, mixed_precision: bool = True) -> float:
    """Mean cross-entropy over `batches` batches of random blocks of `data` (nanoGPT's estimate_loss)."""
    was_training = model.training
    model.eval()
    with _precision(mixed_precision):
        losses = [model(*random_blocks(data, batch_size, model.config.block_size, generator))[1].item()
                  for _ in range(batches)]
    model.train(was_training)
    return sum(losses) / len(losses)


# ---- command line --------------------------------------------------------------------------------------------
class CLIError(Exception):
    """Bad command-line input: main() prints the message on one line and exits with status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would print the usage too; one line is enough
        raise CLIError(message)


def _positive(kind):
    """An argparse type: `kind` (int or float) that must be > 0."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
        return value
    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line of `python -m hftour.charlm` (see the module docstring)."""
    p = _Parser(prog="python -m hftour.charlm", description=__doc__.split("\n")[0])
    p.add_argument("--dump-corpus", metavar="DIR", help="write train.txt and val.txt to DIR and stop")
    p.add_argument("--corpus", metavar="DIR", help="train on DIR/train.txt, evaluate on DIR/val.txt")
    p.add_argument("--iters", type=_positive(int), default=2000)
    p.add_argument("--batch-size", type=_positive(int), default=12)
    p.add_argument("--block-size", type=_positive(int), default=64)
    p.add_argument("--n-layer", type=_positive(int), default=4)
    p.add_argument("--n-head", type=_positive(int), default=4)
    p.add_argument("--n-embd", type=_positive(int), default=128)
    p.add_argument("--lr", type=_positive(float), default=1e-3)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--eval-batches", type=_positive(int), default=200, help="validation batches (default 200)")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--fp32", action="store_true", help="no bf16 autocast, even where the CPU has fast bf16")
    args = p.parse_args(argv)
    if args.n_embd % args.n_head:
        raise CLIError(f"--n-embd ({args.n_embd}) must be divisible by --n-head ({args.n_head})")
    if not 0 <= args.dropout < 1:
        raise CLIError(f"--dropout must be in [0, 1), not {args.dropout}")
    return args


def run(args: argparse.Namespace) -> None:
    """Dump the corpus, or train and print the figures."""
    if args.dump_corpus:
        out = Path(args.dump_corpus)
        out.mkdir(parents=True, exist_ok=True)
        for split, path in shakespeare().items():
            shutil.copyfile(path, out / f"{split}.txt")
        print(f"wrote {out / 'train.txt'} and {out / 'val.txt'}")
        return
    if args.corpus and not all((Path(args.corpus) / f"{s}.txt").is_file() for s in ("train", "val")):
        raise CLIError(f"--corpus {args.corpus}: needs train.txt and val.txt in that folder")
    train_text, val_text = corpus_texts(args.corpus)
    tokenizer = CharTokenizer(train_text + val_text)
    train_ids, val_ids = (torch.tensor(tokenizer.encode(t), dtype=torch.long) for t in (train_text, val_text))
    if min(len(train_ids), len(val_ids)) <= args.block_size:
        raise CLIError(f"the corpus is too short for --block-size {args.block_size}")
    torch.manual_seed(args.seed)
    config = CharGPTConfig(len(tokenizer), args.block_size, args.n_layer, args.n_head, args.n_embd, args.dropout)
    model = CharGPT(config)
    print(f"vocabulary {len(tokenizer)} characters | train {len(train_ids):,} | val {len(val_ids):,} | "
          f"parameters {sum(p.numel() for p in model.parameters()):,} | threads {torch.get_num_threads()} | "
          f"{'bf16 autocast' if not args.fp32 and bf16_helps('cpu') else 'fp32'}")
    mixed = not args.fp32
    result = train(model, train_ids, TrainConfig(iters=args.iters, batch_size=args.batch_size, lr=args.lr,
                                                 mixed_precision=mixed))
    every = max(1, args.iters // 10)
    for step in range(every - 1, args.iters, every):
        print(f"step {step + 1}: train loss {sum(result.losses[step - every + 1:step + 1]) / every:.4f} (mean of {every})")
    print(f"val loss {evaluate(model, val_ids, args.eval_batches, args.batch_size, mixed_precision=mixed):.4f}")
    print(f"tokens/s {result.tokens_per_second:.0f}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m hftour.charlm`; bad input gives one line on stderr and exit status 2."""
    try:
        run(parse_args(argv))
    except (CLIError, MissingPartError, OSError, UnicodeDecodeError) as err:
        print(f"hftour.charlm: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
