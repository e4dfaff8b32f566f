"""Encoder task stand-ins: MiniLM fine-tuned on data/ written for hftour. This module: the sentiment default and shared helpers.

The NER, zero-shot and QA recipes live in encoders_ner/_nli/_qa.py, so that editing one recipe does not rebuild
the others; they import the helpers below (and a stand-in's hash covers the modules its recipe imports).
"""
from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Iterable
from typing import Any
from pathlib import Path

import torch

from ...paths import DATA_DIR
from ..training import (distilbert_from_minilm, length_buckets, minilm_dir, minilm_label, seed_everything,
                        train_loop)

# Keys MiniLM's tokenizer_config carries from sentence-transformers that no real checkpoint here has.
_STRAY_TOKENIZER_KEYS = ("max_length", "stride", "truncation_strategy", "is_local", "local_files_only")


# ---- shared pieces ---------------------------------------------------------
def read_csv(path: Path) -> list[dict]:
    """Rows of a CSV file under data/ as dicts; used by the recipes and by tests/test_encoders_standins.py."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def distilbert_tokenizer():
    """MiniLM's uncased WordPiece tokenizer as a DistilBertTokenizer (no token_type_ids, like real DistilBERT)."""
    from transformers import DistilBertTokenizer

    return DistilBertTokenizer.from_pretrained(minilm_dir(), model_max_length=512)


def save_tokenizer(tokenizer, out: Path) -> None:
    """save_pretrained, then drop the sentence-transformers leftovers from tokenizer_config.json."""
    tokenizer.save_pretrained(out)
    path = out / "tokenizer_config.json"
    config = json.loads(path.read_text())
    for key in _STRAY_TOKENIZER_KEYS:
        config.pop(key, None)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def shuffled_batches(examples: list, batch_size: int, collate: Callable[[list], dict], seed: int,
                     length: Callable[[Any], int]) -> Callable[[], Iterable[dict]]:
    """A re-iterable source of collated batches of similar `length` (little padding), reshuffled (seeded) on every pass."""
    rng = random.Random(seed)
    lengths = [length(example) for example in examples]

    def batches() -> Iterable[dict]:
        for bucket in length_buckets(lengths, batch_size, rng):
            yield collate([examples[i] for i in bucket])

    return batches


def freeze_lower(model: torch.nn.Module, layers: int) -> None:
    """Keep the embeddings and the lowest `layers` encoder layers as MiniLM made them.

    Words our small data never shows stay where MiniLM put them, and backward passes stop early (faster steps).
    """
    encoder = model.base_model
    frozen = [encoder.embeddings]
    blocks = encoder.transformer.layer if hasattr(encoder, "transformer") else encoder.encoder.layer
    frozen += list(blocks[:layers])
    for module in frozen:
        module.requires_grad_(False)


def labels_config(labels: list[str]) -> dict:
    """id2label / label2id config arguments for a list of label names in id order."""
    return {"id2label": dict(enumerate(labels)), "label2id": {name: i for i, name in enumerate(labels)}}


# ---- 1. sentiment: distilbert-base-uncased-finetuned-sst-2-english ----------
SENTIMENT_LABELS = ["NEGATIVE", "POSITIVE"]


@torch.no_grad()
def classify(model, tokenizer, texts: list[str], batch_size: int = 64) -> list[int]:
    """Predicted class ids for texts; used for the recipes' held-out figures and in tests."""
    predictions = []
    for start in range(0, len(texts), batch_size):
        inputs = tokenizer(texts[start:start + batch_size], padding=True, truncation=True, return_tensors="pt")
        predictions += model(**inputs).logits.argmax(-1).tolist()
    return predictions


def sentiment(spec, out: Path, store, progress: bool = True) -> dict:
    """DistilBERT (converted from MiniLM) fine-tuned on data/sentiment/train.csv, labels NEGATIVE/POSITIVE."""
    from transformers import DistilBertForSequenceClassification

    opts = {"epochs": 3, "batch_size": 16, "lr": 2e-4, "freeze_layers": 3, **spec.options}
    seed_everything(0)  # a fixed seed, so editing this module rebuilds the same model rather than a reshuffled one
    tokenizer = distilbert_tokenizer()
    model = distilbert_from_minilm(DistilBertForSequenceClassification, **labels_config(SENTIMENT_LABELS))
    freeze_lower(model, opts["freeze_layers"])
    train = [(row["text"], int(row["label"])) for row in read_csv(DATA_DIR / "sentiment" / "train.csv")]

    def collate(rows: list) -> dict:
        batch = tokenizer([text for text, _ in rows], padding=True, truncation=True, max_length=64, return_tensors="pt")
        return {**batch, "labels": torch.tensor([label for _, label in rows])}

    batches = shuffled_batches(train, opts["batch_size"], collate, seed=0, length=lambda row: len(row[0]))
    train_loop(model, batches, epochs=opts["epochs"], lr=opts["lr"], desc="sentiment", progress=progress)
    heldout = read_csv(DATA_DIR / "sentiment" / "heldout.csv")
    predicted = classify(model, tokenizer, [row["text"] for row in heldout])
    accuracy = sum(p == int(row["label"]) for p, row in zip(predicted, heldout)) / len(heldout)
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return {
        "architecture": "DistilBertForSequenceClassification, 6 layers, hidden 384 (the real one: 6 layers, hidden 768)",
        "base": minilm_label() + ", converted weight for weight into DistilBERT",
        "trained_on": f"{len(train)} everyday English sentences labelled positive/negative, written for hftour "
                      "(data/sentiment/train.csv); the real model was fine-tuned on SST-2 movie-review phrases",
        "metrics": {f"held-out accuracy ({len(heldout)} sentences, data/sentiment/heldout.csv)": round(accuracy, 3)},
    }

