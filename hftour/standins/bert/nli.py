"""Zero-shot stand-in for facebook/bart-large-mnli: an NLI classifier (MiniLM as DistilBERT) trained on data/nli/.

Zero-shot classification asks an NLI model whether "This example is {label}." follows from the text, so the
training pairs are topical sentences with such hypotheses: the right topic is entailment, other topics are
contradiction, and an unrelated statement is neutral.
"""
from __future__ import annotations

import random
from pathlib import Path

import torch

from ...paths import DATA_DIR
from .encoders import distilbert_tokenizer, freeze_lower, labels_config, read_csv, save_tokenizer, shuffled_batches
from ..training import distilbert_from_minilm, minilm_label, seed_everything, train_loop

NLI_LABELS = ["contradiction", "neutral", "entailment"]  # the real id order of bart-large-mnli
TEMPLATES = ["This example is {}.", "This example is {}.", "This text is about {}.", "The topic is {}."]


def topic_rows(split: str) -> list[tuple[str, str]]:
    """(sentence, topic) pairs of data/nli/<split>.csv."""
    return [(row["text"], row["topic"]) for row in read_csv(DATA_DIR / "nli" / f"{split}.csv")]


def nli_pairs(rows: list[tuple[str, str]], contradictions: int, seed: int) -> list[tuple[str, str, int]]:
    """(premise, hypothesis, label id) training pairs built from topical sentences, as described in the module doc."""
    rng = random.Random(seed)
    topics = sorted({topic for _, topic in rows})
    pairs = []
    for i, (text, topic) in enumerate(rows):
        pairs.append((text, rng.choice(TEMPLATES).format(topic), 2))
        for other in rng.sample([t for t in topics if t != topic], contradictions):
            pairs.append((text, rng.choice(TEMPLATES).format(other), 0))
        if i % 3 == 0:
            unrelated = rng.choice([s for s, t in rows if t != topic])
            pairs.append((text, unrelated, 1))
    return pairs


def candidate_sets(rows: list[tuple[str, str]], size: int, seed: int) -> list[list[str]]:
    """For each row, `size` candidate labels: its topic and others drawn at random, in a random order."""
    rng = random.Random(seed)
    topics = sorted({topic for _, topic in rows})
    sets = []
    for _, topic in rows:
        labels = [topic, *rng.sample([t for t in topics if t != topic], size - 1)]
        rng.shuffle(labels)
        sets.append(labels)
    return sets


def zero_shot_accuracy(classifier, rows: list[tuple[str, str]], candidates: list[list[str]]) -> float:
    """Share of rows whose topic a zero-shot-classification pipeline ranks first among its candidates."""
    hits = sum(classifier(text, labels)["labels"][0] == topic for (text, topic), labels in zip(rows, candidates))
    return hits / len(rows)


def zero_shot(spec, out: Path, store, progress: bool = True) -> dict:
    """DistilBertForSequenceClassification with the MNLI labels, trained on topic hypotheses from data/nli/."""
    from transformers import DistilBertForSequenceClassification, pipeline

    opts = {"epochs": 2, "batch_size": 16, "lr": 2e-4, "freeze_layers": 2, "contradictions": 2, **spec.options}
    seed_everything(0)
    tokenizer = distilbert_tokenizer()
    model = distilbert_from_minilm(DistilBertForSequenceClassification, **labels_config(NLI_LABELS))
    freeze_lower(model, opts["freeze_layers"])
    train = nli_pairs(topic_rows("train"), opts["contradictions"], seed=0)

    def collate(rows: list) -> dict:
        batch = tokenizer([p for p, _, _ in rows], [h for _, h, _ in rows], padding=True, truncation=True,
                          max_length=96, return_tensors="pt")
        return {**batch, "labels": torch.tensor([label for _, _, label in rows])}

    batches = shuffled_batches(train, opts["batch_size"], collate, seed=0, length=lambda row: len(row[0]) + len(row[1]))
    train_loop(model, batches, epochs=opts["epochs"], lr=opts["lr"], desc="zero-shot", progress=progress)
    heldout = topic_rows("heldout")
    classifier = pipeline("zero-shot-classification", model=model, tokenizer=tokenizer)
    accuracy = zero_shot_accuracy(classifier, heldout, candidate_sets(heldout, 4, seed=1))
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return {
        "architecture": "DistilBertForSequenceClassification with the MNLI labels contradiction/neutral/entailment, "
                        "6 layers, hidden 384 (the real one: BART large, 12+12 layers, hidden 1024)",
        "base": minilm_label() + ", converted weight for weight into DistilBERT",
        "trained_on": f"{len(train)} premise/hypothesis pairs built from topical sentences written for hftour "
                      "(data/nli/train.csv); the real model was fine-tuned on MultiNLI",
        "metrics": {f"held-out zero-shot accuracy ({len(heldout)} unseen sentences, 4 candidate labels)": round(accuracy, 3)},
    }
