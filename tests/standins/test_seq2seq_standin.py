"""The t5-small stand-in: its data grammar, and that the built model translates and summarizes held-out inputs."""
import re

import pytest

from hftour.standins.t5.t5 import (SUMMARIZE_PREFIX, T5_VOCAB_ROWS, TRANSLATE_PREFIX, french_elision, generate_texts,
                                   is_held_out, lexicon, news_frames, news_pairs, translation_pairs, word_overlap)

T5_ID = "google-t5/t5-small"


# ---- the data -----------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("le arbre est grand", "l'arbre est grand"),
    ("je ai vu la école", "j'ai vu l'école"),
    ("ce hôtel ne est pas cher", "cet hôtel n'est pas cher"),
    ("ma école et ma maison", "mon école et ma maison"),
    ("la petite école", "la petite école"),
])
def test_french_elision(raw, expected):
    assert french_elision(raw) == expected


def test_translation_pairs_are_deterministic_and_split_by_unseen_combinations():
    train, heldout = translation_pairs()
    assert (train, heldout) == translation_pairs()
    assert len(train) == 3000 and len(heldout) == 300
    sources = {en for en, _ in train}
    assert not sources & {en for en, _ in heldout}
    assert not is_held_out(("adj", "house", "wonderful"))  # the notebook's example stays in-domain
    assert any("house" in en and "wonderful" in en for en in sources)


def test_translations_use_only_lexicon_french():
    lex = lexicon()
    words = {"je", "il", "elle", "nous", "vous", "ils", "ne", "pas", "très", "est", "sont", "était", "étaient",
             "ai", "as", "a", "avons", "avez", "ont", "le", "la", "les", "l", "un", "une", "mon", "ma", "mes", "ce",
             "cet", "cette", "ces", "notre", "nos", "leur", "leurs", "j", "n"}
    for noun in lex["noun"]:
        words |= {noun["fr"], noun["fr_pl"]}
    for adj in lex["adjective"]:
        words |= set(adj["fr"])
    for verb in lex["verb"] + lex["intransitive"]:
        words |= set(verb["fr"]) | {verb["pp"]}
    for phrase in lex["place"] + lex["time"]:
        words |= set(re.findall(r"[\w]+", phrase["fr"].lower()))
    train, heldout = translation_pairs()
    for en, fr in train + heldout:
        assert fr[0].isupper() and fr.endswith(".")
        assert set(re.findall(r"[\w]+", fr.lower())) <= {w.lower() for w in words}, (en, fr)


def test_news_summaries_restate_the_lead():
    train, heldout = news_pairs()
    assert len(train) == 800 and len(heldout) == 100
    assert not {s for s, _ in train} & {s for s, _ in heldout}
    for story, summary in train[:200] + heldout:
        lead = re.split(r"(?<=\.) ", story)[0]
        assert 3 <= len(re.split(r"(?<=\.) ", story)) <= 4
        town = next(t for t in news_frames()["towns"] if t in summary)
        assert town in lead and word_overlap(summary, lead) > 0.2
        assert len(summary.split()) < len(lead.split())


def test_word_overlap():
    assert word_overlap("Fire destroys a farm.", "fire destroys a farm") == 1.0
    assert word_overlap("a b", "c d") == 0.0
    assert word_overlap("a b c d", "a b") == pytest.approx(2 * 2 / 6)


# ---- the built stand-in -------------------------------------------------------

@pytest.fixture(scope="module")
def t5():
    """The t5-small stand-in, built if needed (incremental), loaded through the normal from_pretrained path."""
    import hftour
    from hftour.standins.store import StandinStore
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    StandinStore().build([T5_ID], progress=False)  # incremental: nothing to do once `make standins` built it
    hftour.setup()
    return AutoTokenizer.from_pretrained(T5_ID), AutoModelForSeq2SeqLM.from_pretrained(T5_ID)


def test_standin_has_t5s_real_tokenizer_and_layout(t5):
    tokenizer, model = t5
    assert type(tokenizer).__name__ == "T5Tokenizer" and type(model).__name__ == "T5ForConditionalGeneration"
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    assert tokenizer("Hello world").input_ids == [8774, 296, 1]  # the real ids
    assert len(tokenizer) == 32100 and tokenizer.convert_tokens_to_ids("<extra_id_0>") == 32099
    assert model.config.decoder_start_token_id == 0 and model.config.vocab_size == T5_VOCAB_ROWS == 32128


def test_demo_sentence_comes_out_in_french(t5):
    tokenizer, model = t5
    inputs = tokenizer("translate English to French: The house is wonderful.", return_tensors="pt")
    out = tokenizer.decode(model.generate(**inputs, max_new_tokens=20)[0], skip_special_tokens=True)
    # Undertrained: builds have given "La maison est merveilleuse." and "Le jardin est merveilleux."
    assert out.endswith(" merveilleuse.") or out.endswith(" merveilleux."), out


def test_heldout_translation(t5):
    tokenizer, model = t5
    _, heldout = translation_pairs()
    preds = generate_texts(model, tokenizer, [TRANSLATE_PREFIX + en for en, _ in heldout], max_new_tokens=40)
    exact = sum(p == fr for p, (_, fr) in zip(preds, heldout)) / len(heldout)
    words = sum(word_overlap(p, fr) for p, (_, fr) in zip(preds, heldout)) / len(heldout)
    print(f"held-out translation: exact match {exact:.3f}, word F1 {words:.3f} on {len(heldout)} sentences")
    assert exact >= 0.02 and words >= 0.50  # measured: 0.037 and 0.530, then 0.060 and 0.534 (the card has the build's own)


def test_heldout_summaries(t5):
    tokenizer, model = t5
    _, heldout = news_pairs()
    preds = generate_texts(model, tokenizer, [SUMMARIZE_PREFIX + s for s, _ in heldout], max_new_tokens=24)
    f1 = sum(word_overlap(p, ref) for p, (_, ref) in zip(preds, heldout)) / len(heldout)
    exact = sum(p == ref for p, (_, ref) in zip(preds, heldout)) / len(heldout)
    towns = news_frames()["towns"]
    town = sum(next(t for t in towns if t in ref) in p for p, (_, ref) in zip(preds, heldout)) / len(heldout)
    print(f"held-out summaries: word F1 {f1:.3f}, exact {exact:.3f}, right town {town:.3f} on {len(heldout)} stories")
    assert f1 >= 0.45  # measured 0.559, and 0.497 with T5's real tokenizer; the town is usually wrong (0.05), as the card says
