"""Masked-LM stand-ins (bert-base-uncased, distilbert-base-uncased): MiniLM plus an MLM head trained on general English in data/general."""
from __future__ import annotations

import math
import random
from collections import Counter
from pathlib import Path

import torch

from ..corpora import fill_mask_sentences, general_paragraphs
from .encoders import save_tokenizer
from ..training import (bert_to_distilbert_state, distilbert_from_minilm, length_buckets, minilm_dir, minilm_label,
                        seed_everything, train_loop, uncased_tokenizer)



# ---- the MLM head, whatever the architecture ------------------------------------
def mlm_parts(model) -> tuple[torch.nn.Module, torch.nn.Module, torch.nn.Module]:
    """(encoder, head transform, output projection) of a BertForMaskedLM or DistilBertForMaskedLM."""
    if hasattr(model, "cls"):  # BERT: cls.predictions.{transform, decoder}
        return model.bert, model.cls.predictions.transform, model.cls.predictions.decoder
    transform = torch.nn.Sequential(model.vocab_transform, model.activation, model.vocab_layer_norm)
    return model.distilbert, transform, model.vocab_projector


def masked_positions_loss(model, batch: dict) -> torch.Tensor:
    """MLM cross-entropy computed only where labels != -100 (the vocabulary projection of unmasked tokens is skipped)."""
    encoder, transform, projection = mlm_parts(model)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    hidden = encoder(**inputs).last_hidden_state
    where = batch["labels"] != -100
    logits = projection(transform(hidden[where]))
    return torch.nn.functional.cross_entropy(logits.float(), batch["labels"][where])


def unigram_bias(token_lists: list[list[int]], vocab_size: int, special: list[int]) -> torch.Tensor:
    """Log unigram frequencies (add-0.1 smoothed) as the output bias: a head that starts by guessing common words."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    for token in special:
        counts.pop(token, None)
    freq = torch.full((vocab_size,), 0.1)
    for token, count in counts.items():
        freq[token] += count
    bias = freq.log() - freq.sum().log()
    bias[special] = -20.0
    return bias


def train_mlm(model, tokenizer, texts: list[str], opts: dict, progress: bool = True) -> list[float]:
    """Train a *ForMaskedLM on texts: word embeddings frozen (they are the tied output layer), encoder and head trained."""
    from transformers import DataCollatorForLanguageModeling

    encoder, transform, projection = mlm_parts(model)
    examples = tokenizer(texts, truncation=True, max_length=opts["max_length"])["input_ids"]
    with torch.no_grad():
        projection.bias.copy_(unigram_bias(examples, projection.out_features, tokenizer.all_special_ids))
    encoder.embeddings.word_embeddings.requires_grad_(False)
    head = [p for p in transform.parameters()] + [projection.bias]
    head_ids = {id(p) for p in head}
    body = [p for p in model.parameters() if p.requires_grad and id(p) not in head_ids]
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=opts["mask_probability"])
    lengths = [len(ids) for ids in examples]

    def batches():  # `steps` batches of example indices, from buckets of similar length refilled when used up
        rng = random.Random(0)
        buckets: list[list[int]] = []
        for _ in range(opts["steps"]):
            if not buckets:
                buckets = length_buckets(lengths, opts["batch_size"], rng)
            yield buckets.pop()

    # Masks are drawn here, so train_loop counting the batches draws none; fp32 (no autocast): the same weights on
    # every CPU, with or without bf16 units.
    def loss_of(model, indices: list[int]) -> torch.Tensor:
        return masked_positions_loss(model, collator([{"input_ids": examples[i]} for i in indices]))

    losses = train_loop(model, batches, epochs=1, lr=opts["lr"], desc="general MLM", progress=progress, warmup=9,
                        loss_of=loss_of, param_groups=[{"params": body}, {"params": head, "lr": opts["head_lr"]}])
    encoder.embeddings.word_embeddings.requires_grad_(True)
    return losses


@torch.no_grad()
def masked_token_accuracy(model, tokenizer, texts: list[str], seed: int = 0, k: int = 5) -> dict[str, float]:
    """Mask 15% of the tokens of texts once (seeded) and score top-1 / top-k accuracy and perplexity; recipes and tests use it."""
    from transformers import DataCollatorForLanguageModeling

    encoder, transform, projection = mlm_parts(model)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    examples = tokenizer(texts, truncation=True, max_length=128, return_token_type_ids=False)["input_ids"]
    top1 = topk = total = 0
    nll = 0.0
    for start in range(0, len(examples), 32):
        batch = collator([{"input_ids": ids} for ids in examples[start:start + 32]])
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        where = batch["labels"] != -100
        logits = projection(transform(hidden[where])).float()
        labels = batch["labels"][where]
        best = logits.topk(k, dim=-1).indices
        top1 += (best[:, 0] == labels).sum().item()
        topk += (best == labels[:, None]).any(-1).sum().item()
        nll += torch.nn.functional.cross_entropy(logits, labels, reduction="sum").item()
        total += len(labels)
    torch.random.set_rng_state(state)
    return {"top1": top1 / total, f"top{k}": topk / total, "perplexity": math.exp(nll / total), "masked": total}


@torch.no_grad()
def sensible_fill_share(model, tokenizer, rows: list[tuple[str, list[str]]], k: int = 5) -> float:
    """Share of (sentence with [MASK], sensible words) rows where one of the top-k predictions is a sensible word."""
    encoder, transform, projection = mlm_parts(model)
    hits = 0
    for sentence, words in rows:
        inputs = tokenizer(sentence, return_tensors="pt", return_token_type_ids=False)
        where = inputs["input_ids"][0] == tokenizer.mask_token_id
        hidden = encoder(**inputs).last_hidden_state[0, where]
        top = projection(transform(hidden)).topk(k, dim=-1).indices[0]
        hits += bool(set(tokenizer.convert_ids_to_tokens(top.tolist())) & set(words))
    return hits / len(rows)


# ---- model card -----------------------------------------------------------------
def _card(model, tokenizer, arch: str, heldout: dict, texts: list[str], extra: str = "") -> dict:
    return {
        "architecture": arch,
        "base": minilm_label() + extra,
        "trained_on": f"{len(texts)} paragraphs of general English (geography, science, history, everyday life) "
                      "written for hftour (data/general); the real model was pre-trained on Wikipedia and BookCorpus",
        "metrics": {
            "held-out masked-token top-1 accuracy (data/general/heldout.txt, 15% masked)": round(heldout["top1"], 3),
            "held-out masked-token top-5 accuracy": round(heldout["top5"], 3),
            "held-out perplexity": round(heldout["perplexity"], 2),
            "everyday sentences with a sensible word in the top 5 (data/general/fill_mask_heldout.tsv)":
                round(sensible_fill_share(model, tokenizer, fill_mask_sentences()), 2),
        },
    }


# ---- recipes --------------------------------------------------------------------
def bert_uncased(spec, out: Path, store, progress: bool = True) -> dict:
    """BertForMaskedLM: MiniLM's encoder plus an MLM head, trained on data/general (encoder fine-tuned, embeddings kept)."""
    from transformers import BertForMaskedLM

    opts = {"steps": 120, "batch_size": 32, "lr": 3e-4, "head_lr": 5e-3, "max_length": 128, "mask_probability": 0.15,
            **spec.options}
    seed_everything(0)  # fixed (the new head's initial weights too), so editing an imported module rebuilds the same model
    tokenizer = uncased_tokenizer()
    model = BertForMaskedLM.from_pretrained(minilm_dir())
    texts = general_paragraphs()
    train_mlm(model, tokenizer, texts, opts, progress)
    heldout = masked_token_accuracy(model, tokenizer, general_paragraphs(heldout=True))
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return _card(model, tokenizer, "BertForMaskedLM, 6 layers, hidden 384 (the real one: 12 layers, hidden 768)", heldout, texts)


def distilbert_uncased(spec, out: Path, store, progress: bool = True) -> dict:
    """DistilBertForMaskedLM: the bert-base-uncased stand-in converted weight for weight (same predictions)."""
    from transformers import BertForMaskedLM, DistilBertForMaskedLM, DistilBertTokenizer

    bert = BertForMaskedLM.from_pretrained(store.snapshot_dir("google-bert/bert-base-uncased"))
    model = distilbert_from_minilm(DistilBertForMaskedLM)
    model.distilbert.load_state_dict(bert_to_distilbert_state(bert.bert), strict=True)
    predictions = bert.cls.predictions
    model.vocab_transform.load_state_dict(predictions.transform.dense.state_dict())
    model.vocab_layer_norm.load_state_dict(predictions.transform.LayerNorm.state_dict())
    with torch.no_grad():
        model.vocab_projector.bias.copy_(predictions.decoder.bias)
    model.eval()
    tokenizer = DistilBertTokenizer.from_pretrained(minilm_dir(), model_max_length=512)
    heldout = masked_token_accuracy(model, tokenizer, general_paragraphs(heldout=True))
    model.save_pretrained(out)
    save_tokenizer(tokenizer, out)
    return _card(model, tokenizer, "DistilBertForMaskedLM, 6 layers, hidden 384 (the real one: 6 layers, hidden 768)", heldout,
                 general_paragraphs(), ", converted weight for weight into DistilBERT after the MLM training of the "
                 "bert-base-uncased stand-in (the two give the same predictions)")
