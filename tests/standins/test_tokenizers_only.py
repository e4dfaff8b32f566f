"""The tokenizer recipes keep the real special-token layout of RoBERTa and T5 and build deterministically."""
import json
from types import SimpleNamespace

import pytest
from transformers import AutoTokenizer

from hftour.standins.t5.t5 import build_t5_tokenizer
from hftour.standins.tokenizers_only import CORPUS_DIR, _stable_scores, corpus_lines, roberta_tokenizer


def _build(recipe, folder, vocab_size):
    spec = SimpleNamespace(options={"vocab_size": vocab_size})
    facts = recipe(spec, folder, store=None, progress=False)
    return AutoTokenizer.from_pretrained(folder), facts


def t5_tokenizer(spec, folder, store, progress):
    """build_t5_tokenizer on the corpus, saved like a recipe would (the t5-small recipe also trains a model)."""
    build_t5_tokenizer(corpus_lines(), spec.options["vocab_size"]).save_pretrained(folder)
    return {}


def test_corpus_lines_reads_every_file_without_blank_lines():
    lines = corpus_lines()
    files = sorted(CORPUS_DIR.glob("*.txt"))
    assert len(files) >= 4
    assert all(line.strip() for line in lines)
    assert lines[0] == files[0].read_text(encoding="utf-8").splitlines()[0]
    assert sum(len(line) for line in lines) > 20_000


def test_roberta_tokenizer_has_roberta_special_ids(tmp_path):
    tok, facts = _build(roberta_tokenizer, tmp_path, 800)
    assert type(tok).__name__ == "RobertaTokenizer"
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == len(tok) - 1
    assert len(tok) <= 800
    pair = tok("Clear skies tonight.", "Is the telescope ready?")
    tokens = tok.convert_ids_to_tokens(pair.input_ids)
    assert tokens[0] == "<s>" and tokens[-1] == "</s>" and tokens.count("</s>") == 3
    assert "token_type_ids" not in pair
    encoding = tok("the garden")
    pieces = tok.convert_ids_to_tokens(encoding.input_ids)
    first_of_second_word = encoding.word_ids().index(1)
    assert [p.startswith("Ġ") for p in pieces[1:-1]] == [i == first_of_second_word for i in range(1, len(pieces) - 1)]
    assert tok.decode(tok("Clear skies tonight.").input_ids, skip_special_tokens=True) == "Clear skies tonight."
    assert json.loads((tmp_path / "config.json").read_text())["model_type"] == "roberta"
    assert "byte-level BPE" in facts["architecture"]


def test_roberta_mask_token_swallows_the_space_before_it(tmp_path):
    tok, _ = _build(roberta_tokenizer, tmp_path, 800)
    tokens = tok.convert_ids_to_tokens(tok("a <mask> galaxy").input_ids)
    assert tokens[2] == "<mask>" and tokens[1] == "a"


def test_t5_tokenizer_has_t5_special_ids(tmp_path):
    tok, _ = _build(t5_tokenizer, tmp_path, 600)
    assert type(tok).__name__ == "T5Tokenizer"
    assert (tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2)
    assert len(tok) == 600 + 100
    assert tok.convert_tokens_to_ids("<extra_id_0>") == len(tok) - 1
    assert tok.convert_tokens_to_ids("<extra_id_99>") == 600
    ids = tok("The garden <extra_id_0> in spring.").input_ids
    assert ids[-1] == 1 and len(tok) - 1 in ids
    assert tok.decode(ids, skip_special_tokens=True) == "The garden in spring."


def test_stable_scores_rounds_and_flattens_the_appended_characters():
    pieces = [("▁the", -3.123456789), ("ab", -9.0), ("x", -9.0101), ("q", -9.0102), ("e", -4.2)]
    assert _stable_scores(pieces) == [("▁the", -3.123457), ("ab", -9.0), ("x", -10.0), ("q", -10.0), ("e", -4.2)]


@pytest.mark.parametrize("recipe", [roberta_tokenizer, t5_tokenizer])
def test_builds_are_deterministic(recipe, tmp_path):
    first, _ = _build(recipe, tmp_path / "a", 700)
    second, _ = _build(recipe, tmp_path / "b", 700)
    assert first.get_vocab() == second.get_vocab()
    text = "Sowed tomatoes and peppers on the windowsill."
    assert first(text).input_ids == second(text).input_ids
