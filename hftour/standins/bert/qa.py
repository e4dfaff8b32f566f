"""Extractive QA stand-in for distilbert-base-uncased-distilled-squad: MiniLM as DistilBERT, trained on data/qa/."""
from __future__ import annotations

import json
import re
import string
from pathlib import Path

import torch

from ...paths import DATA_DIR
from .encoders import distilbert_tokenizer, freeze_lower, save_tokenizer, shuffled_batches
from ..training import distilbert_from_minilm, minilm_label, seed_everything, train_loop


def read_qa(split: str) -> list[dict]:
    """Question/context/answer rows of data/qa/<split>.jsonl (answer_start: character offset in the context)."""
    return [json.loads(line) for line in (DATA_DIR / "qa" / f"{split}.jsonl").read_text().splitlines() if line.strip()]


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation for exact match: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def exact_match(model, tokenizer, rows: list[dict]) -> float:
    """Share of rows whose predicted answer equals the written one after normalize_answer()."""
    from ...qa import answer_question

    hits = sum(normalize_answer(answer_question(model, tokenizer, r["question"], r["context"])["answer"])
               == normalize_answer(r["answer"]) for r in rows)
    return hits / len(rows)


def answer_positions(offsets: list, sequence_ids: list, start_char: int, end_char: int) -> tuple[int, int]:
    """Token indices of the first and last context tokens that overlap the answer's characters."""
    tokens = [i for i, (sid, (s, e)) in enumerate(zip(sequence_ids, offsets)) if sid == 1 and s < end_char and e > start_char]
    return tokens[0], tokens[-1]


def qa(spec, out: Path, store, progress: bool = True) -> dict:
    """DistilBertForQuestionAnswering (converted MiniLM) trained on the question/context/answer triples in data/qa/."""
    from transformers import DistilBertForQuestionAnswering

    opts = {"epochs": 4, "batch_size": 16, "lr": 2e-4, "freeze_layers": 1, **spec.options}
    seed_everything(0)
    tokenizer = distilbert_tokenizer()
    model = distilbert_from_minilm(DistilBertForQuestionAnswering)
    freeze_lower(model, opts["freeze_layers"])
    train = read_qa("train")

    def collate(rows: list[dict]) -> dict:
        batch = tokenizer([r["question"] for r in rows], [r["context"] for r in rows], padding=True,
                          truncation="only_second", max_length=128, return_offsets_mapping=True, return_tensors="pt")
        offsets = batch.pop("offset_mapping").tolist()
        positions = [answer_positions(offsets[i], batch.sequence_ids(i), r["answer_start"],
                                      r["answer_start"] + len(r["answer"])) for i, r in enumerate(rows)]
        return {**batch, "start_positions": torch.tensor([p[0] for p in positions]),
                "end_positions": torch.tensor([p[1] for p in positions])}

    batches = shuffled_batches(train, opts["batch_size"], collate, seed=0,
                               length=lambda row: len(row["question"]) + len(row["context"]))
    train_loop(model, batches, epochs=opts["epochs"], lr=opts["lr"], desc="qa", progress=progress)
    heldout = read_qa("heldout")
    em = exact_match(model, tokenizer, heldout)
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return {
        "architecture": "DistilBertForQuestionAnswering, 6 layers, hidden 384 (the real one: 6 layers, hidden 768)",
        "base": minilm_label() + ", converted weight for weight into DistilBERT",
        "trained_on": f"{len(train)} question/context/answer triples written for hftour (data/qa/train.jsonl); "
                      "the real model was distilled on SQuAD v1.1",
        "metrics": {f"held-out exact match ({len(heldout)} questions, data/qa/heldout.jsonl)": round(em, 3)},
    }
