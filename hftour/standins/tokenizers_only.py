"""Tokenizer-only stand-ins (RoBERTa's byte-level BPE) and the corpus helpers the tokenizer recipes share."""
from __future__ import annotations

import json
from pathlib import Path

from ..paths import DATA_DIR

CORPUS_DIR = DATA_DIR / "corpus"


def corpus_lines(folder: Path = CORPUS_DIR) -> list[str]:
    """Every non-empty line of the project corpus (data/corpus/*.txt), in file order; the recipes train on it."""
    return [line for path in sorted(folder.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _stable_scores(pieces: list) -> list[tuple[str, float]]:
    """Make Unigram scores identical from run to run, so the ids of a build do not depend on the run.

    The trainer's scores differ in their last digits between runs (parallel sums), and the single characters it
    appends at the end (ones that lost every competition) get scores 0.0001 apart in hash-map order. Round the
    first; give the second one shared score, below every learned piece.
    """
    floor = min(score for piece, score in pieces if len(piece) > 1)
    return [(piece, round(floor - 1.0, 4) if len(piece) == 1 and score < floor + 0.05 else round(score, 6))
            for piece, score in pieces]


def roberta_tokenizer(spec, out: Path, store, progress: bool = True) -> dict:
    """RoBERTa's tokenizer design: byte-level BPE with <s>=0, <pad>=1, </s>=2, <unk>=3 and <mask> last."""
    from tokenizers import AddedToken, ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaTokenizer

    vocab_size = spec.options.get("vocab_size", 2000)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus_lines(), vocab_size=vocab_size - 1, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>"], show_progress=False)
    model = json.loads(bpe._tokenizer.to_str())["model"]
    vocab = dict(model["vocab"])
    vocab["<mask>"] = len(vocab)  # the real vocabulary also ends with <mask> (id 50264 of 50265)
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = RobertaTokenizer(vocab=vocab, merges=merges, model_max_length=512,
                                 mask_token=AddedToken("<mask>", lstrip=True, rstrip=False))
    tokenizer.save_pretrained(out)
    # AutoTokenizer reads config.json to pick the class; the config has roberta-base's sizes but no weights come with it.
    RobertaConfig(vocab_size=len(tokenizer), max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5,
                  pad_token_id=1, bos_token_id=0, eos_token_id=2).save_pretrained(out)
    return {"base": "none: trained from scratch", "architecture": f"tokenizer only (config.json, no weights): byte-level BPE, {len(tokenizer)} tokens (the real one: 50,265)",
            "trained_on": "the project corpus in data/corpus (ids differ from the real vocabulary; special-token ids match)"}
