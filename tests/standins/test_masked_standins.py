"""The masked-LM stand-ins (bert-base-uncased, distilbert-base-uncased): held-out check, fill-mask sanity, exact conversion."""
import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoTokenizer, pipeline

from hftour.standins import StandinStore
from hftour.standins.bert.masked import masked_token_accuracy, unigram_bias
from hftour.standins.corpora import general_paragraphs

BERT, DISTILBERT = "google-bert/bert-base-uncased", "distilbert/distilbert-base-uncased"


def _load(repo_id):
    store = StandinStore()
    spec = store.by_id[repo_id]
    if not store.is_current(spec):
        pytest.skip(f"{repo_id} stand-in not built; run `hftour standins build`")
    folder = store.snapshot_dir(repo_id)
    return AutoModelForMaskedLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def test_general_corpus_and_heldout_are_disjoint():
    train, heldout = general_paragraphs(), general_paragraphs(heldout=True)
    assert len(train) >= 150 and len(heldout) >= 10
    assert not set(train) & set(heldout)


def test_unigram_bias_ranks_frequent_tokens_first():
    bias = unigram_bias([[5, 5, 5, 7], [5, 7, 9]], vocab_size=12, special=[0, 1])
    assert bias[5] > bias[7] > bias[9] > bias[3]
    assert bias[0] == bias[1] == -20.0
    # counts + 0.1 smoothing: token 5 seen 4 times, token 7 twice, token 3 never
    assert torch.isclose(bias[5] - bias[7], torch.log(torch.tensor(4.1 / 2.1)))
    assert torch.isclose(bias[3], torch.log(torch.tensor(0.1 / (7 + 12 * 0.1))))


def test_heldout_masked_token_accuracy():
    model, tokenizer = _load(DISTILBERT)
    scores = masked_token_accuracy(model, tokenizer, general_paragraphs(heldout=True))
    print(f"held-out masked tokens: {scores}")  # shown with pytest -s
    assert scores["masked"] > 50
    # on 61 masked tokens: 60-step builds measured 0.328 and 0.361, 100 steps 0.426, 200 steps 0.475
    assert scores["top5"] >= 0.30, scores


def test_fill_mask_predicts_words_not_punctuation():
    model, tokenizer = _load(DISTILBERT)
    fill = pipeline("fill-mask", model=model, tokenizer=tokenizer)
    great = [p["token_str"] for p in fill("This is a great [MASK].")]
    assert sum(word.isalpha() for word in great) >= 4, great
    capital = [p["token_str"] for p in fill("Lisbon is the [MASK] of Portugal.")]  # a held-out sentence
    assert "capital" in capital, capital


def test_distilbert_is_the_bert_standin_converted_exactly():
    bert, bert_tok = _load(BERT)
    distil, distil_tok = _load(DISTILBERT)
    text = "The old bridge over the river was [MASK] in the spring."
    bert_inputs, distil_inputs = bert_tok(text, return_tensors="pt"), distil_tok(text, return_tensors="pt")
    assert "token_type_ids" in bert_inputs and "token_type_ids" not in distil_inputs
    assert torch.equal(bert_inputs["input_ids"], distil_inputs["input_ids"])
    with torch.no_grad():
        torch.testing.assert_close(distil(**distil_inputs).logits, bert(**bert_inputs).logits, atol=2e-4, rtol=1e-4)
    assert type(distil).__name__ == "DistilBertForMaskedLM" and type(bert).__name__ == "BertForMaskedLM"
