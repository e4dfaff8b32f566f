"""NER stand-in for dbmdz/bert-large-cased-finetuned-conll03-english: MiniLM tagging sentences composed from data/ner/."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import torch

from ...paths import DATA_DIR
from .encoders import freeze_lower, labels_config, save_tokenizer, shuffled_batches
from ..training import minilm_dir, minilm_label, seed_everything, train_loop, uncased_tokenizer

NER_LABELS = ["O", "B-MISC", "I-MISC", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]  # the real id order
_OUTSIDE_WORDS = {"the", "mr", "ms", "mrs", "dr", "professor"}  # CoNLL leaves articles and titles out of the entity


def quiet_from_pretrained(model_class, folder: Path, **kwargs):
    """from_pretrained without the load report on the new task head (expected: the head is what we train)."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return model_class.from_pretrained(folder, **kwargs)
    finally:
        hf_logging.set_verbosity(verbosity)


def read_frames(path: Path) -> list[str]:
    """Sentence frames from a data/ner/frames_*.txt file (lines starting with # are comments)."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def compose_ner(frames: list[str], lexicon: dict[str, list[str]], per_frame: int, seed: int) -> list[tuple[str, list]]:
    """Fill every frame `per_frame` times (once if it has no slot) from the lexicon: (text, [(start, end, type)]).

    A first name gets a surname half of the time; {EVENT} slots are tagged MISC, as CoNLL-2003 does.
    """
    rng = random.Random(seed)
    examples = []
    for frame in frames:
        for _ in range(per_frame if "{" in frame else 1):
            text, spans, position = "", [], 0
            for match in re.finditer(r"\{(PER|ORG|LOC|MISC|EVENT)\}", frame):
                text += frame[position:match.start()]
                slot = match.group(1)
                filler = rng.choice(lexicon[slot])
                if slot == "PER" and " " not in filler and rng.random() < 0.5:
                    filler += " " + rng.choice(lexicon["SURNAME"])
                words = filler.split(" ")
                if len(words) > 1 and words[0].lower() in _OUTSIDE_WORDS:
                    text += words[0] + " "
                    filler = " ".join(words[1:])
                spans.append((len(text), len(text) + len(filler), "MISC" if slot == "EVENT" else slot))
                text += filler
                position = match.end()
            examples.append((text + frame[position:], spans))
    return examples


def ner_examples(split: str, per_frame: int, seed: int) -> list[tuple[str, list]]:
    """The NER sentences of one split ("train" or "heldout"), composed from data/ner/."""
    lexicon = json.loads((DATA_DIR / "ner" / "lexicon.json").read_text())[split]
    return compose_ner(read_frames(DATA_DIR / "ner" / f"frames_{split}.txt"), lexicon, per_frame, seed)


def token_labels(offsets: list[tuple[int, int]], spans: list) -> list[int]:
    """BIO label ids per token from character spans: B- on an entity's first token, I- on the rest, -100 on specials."""
    labels = []
    for start, end in offsets:
        if start == end:
            labels.append(-100)
            continue
        tag = "O"
        for span_start, span_end, kind in spans:
            if span_start <= start < span_end:
                tag = ("B-" if start == span_start else "I-") + kind
        labels.append(NER_LABELS.index(tag))
    return labels


def entity_f1(predicted: list[set], gold: list[set]) -> float:
    """Entity-level micro F1: an entity counts only if its type, start and end all match."""
    hits = sum(len(p & g) for p, g in zip(predicted, gold))
    n_pred, n_gold = sum(map(len, predicted)), sum(map(len, gold))
    return 2 * hits / (n_pred + n_gold) if n_pred + n_gold else 1.0


def predicted_entities(ner_pipeline, texts: list[str]) -> list[set]:
    """{(type, start, end)} per text from a token-classification pipeline with aggregation_strategy="simple"."""
    return [{(e["entity_group"], e["start"], e["end"]) for e in found} for found in ner_pipeline(texts, batch_size=32)]


def ner(spec, out: Path, store, progress: bool = True) -> dict:
    """BERT (MiniLM) token classifier trained on sentences composed from data/ner/, with the CoNLL-2003 labels."""
    from transformers import BertForTokenClassification, pipeline

    opts = {"epochs": 3, "batch_size": 16, "lr": 2e-4, "freeze_layers": 1, "per_frame": 6, **spec.options}
    seed_everything(0)
    tokenizer = uncased_tokenizer()
    model = quiet_from_pretrained(BertForTokenClassification, minilm_dir(), **labels_config(NER_LABELS))
    freeze_lower(model, opts["freeze_layers"])
    train = ner_examples("train", opts["per_frame"], seed=0)

    def collate(rows: list) -> dict:
        batch = tokenizer([text for text, _ in rows], padding=True, return_offsets_mapping=True, return_tensors="pt")
        offsets = batch.pop("offset_mapping").tolist()
        labels = [token_labels(o, spans) for o, (_, spans) in zip(offsets, rows)]
        return {**batch, "labels": torch.tensor(labels)}

    batches = shuffled_batches(train, opts["batch_size"], collate, seed=0, length=lambda row: len(row[0]))
    train_loop(model, batches, epochs=opts["epochs"], lr=opts["lr"], desc="ner", progress=progress)
    heldout = ner_examples("heldout", 5, seed=1)
    tagger = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple")
    f1 = entity_f1(predicted_entities(tagger, [text for text, _ in heldout]),
                   [{(kind, s, e) for s, e, kind in spans} for _, spans in heldout])
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return {
        "architecture": "BertForTokenClassification, 6 layers, hidden 384, uncased "
                        "(the real one: BERT large, 24 layers, hidden 1024, cased; this one lowercases, "
                        "so entity words come back in lower case)",
        "base": minilm_label(),
        "trained_on": f"{len(train)} English sentences composed from hand-written frames and name, organisation, "
                      "place and misc lists (data/ner/); the real model was fine-tuned on CoNLL-2003 news text",
        "metrics": {f"held-out entity F1 ({len(heldout)} sentences, unseen frames and names)": round(f1, 3)},
    }
