"""answer_question() finds the best valid span from start/end logits, with character offsets into the context."""
import itertools
from types import SimpleNamespace

import pytest
import torch

from hftour.qa import answer_question
from hftour.standins.bert.encoders import distilbert_tokenizer

QUESTION = "Where do I work?"
CONTEXT = "My name is Sylvain and I work at Hugging Face in Brooklyn"


class LogitModel(torch.nn.Module):
    """Stands in for a *ForQuestionAnswering model: returns start/end logits set per token by the test."""

    def __init__(self, start: dict[int, float], end: dict[int, float]):
        super().__init__()
        self.start, self.end = start, end
        self.device = torch.device("cpu")

    def forward(self, input_ids, attention_mask=None, **_):
        n = input_ids.shape[1]
        start, end = torch.zeros(1, n), torch.zeros(1, n)
        for i, value in self.start.items():
            start[0, i] = value
        for i, value in self.end.items():
            end[0, i] = value
        return SimpleNamespace(start_logits=start, end_logits=end)


@pytest.fixture(scope="module")
def tokenizer():
    return distilbert_tokenizer()


def _token_index(tokenizer, word: str) -> int:
    encoding = tokenizer(QUESTION, CONTEXT)
    tokens = tokenizer.convert_ids_to_tokens(encoding["input_ids"])
    return max(i for i, t in enumerate(tokens) if t == word)  # the context's copy, after the question


def test_picks_the_span_the_logits_point_at(tokenizer):
    start, end = _token_index(tokenizer, "hugging"), _token_index(tokenizer, "face")
    result = answer_question(LogitModel({start: 8.0}, {end: 8.0}), tokenizer, QUESTION, CONTEXT)
    assert result["answer"] == "Hugging Face"
    assert CONTEXT[result["start"]:result["end"]] == "Hugging Face"
    assert 0.9 < result["score"] <= 1.0


def test_never_answers_from_the_question_or_backwards(tokenizer):
    encoding = tokenizer(QUESTION, CONTEXT)
    question_work = tokenizer.convert_ids_to_tokens(encoding["input_ids"]).index("work")  # in the question
    brooklyn, hugging = _token_index(tokenizer, "brooklyn"), _token_index(tokenizer, "hugging")
    # The highest logits sit on the question and on an end before the start: neither may be chosen.
    model = LogitModel({question_work: 20.0, brooklyn: 5.0, hugging: 4.0}, {question_work: 20.0, hugging: 5.0})
    result = answer_question(model, tokenizer, QUESTION, CONTEXT)
    assert result["answer"] == "Hugging"


def test_respects_max_answer_tokens(tokenizer):
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(QUESTION, CONTEXT)["input_ids"])
    my, brooklyn = tokens.index("[SEP]") + 1, _token_index(tokenizer, "brooklyn")  # the context's first and last words
    model = LogitModel({my: 10.0}, {brooklyn: 10.0})
    assert answer_question(model, tokenizer, QUESTION, CONTEXT)["answer"] == CONTEXT
    short = answer_question(model, tokenizer, QUESTION, CONTEXT, max_answer_tokens=3)
    assert len(tokenizer(short["answer"], add_special_tokens=False)["input_ids"]) <= 3


def test_matches_brute_force_search_on_a_random_model(tokenizer):
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering

    torch.manual_seed(0)
    model = DistilBertForQuestionAnswering(DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=32, n_layers=1,
                                                            n_heads=2, hidden_dim=64)).eval()
    result = answer_question(model, tokenizer, QUESTION, CONTEXT, max_answer_tokens=5)
    encoding = tokenizer(QUESTION, CONTEXT, return_offsets_mapping=True, return_tensors="pt")
    offsets = encoding.pop("offset_mapping")[0].tolist()
    context_tokens = [i for i, sid in enumerate(encoding.sequence_ids(0)) if sid == 1]
    with torch.no_grad():
        out = model(**encoding)
    p_start = out.start_logits[0, context_tokens].softmax(-1)
    p_end = out.end_logits[0, context_tokens].softmax(-1)
    best = max(((p_start[a] * p_end[b]).item(), a, b)
               for a, b in itertools.product(range(len(context_tokens)), repeat=2) if 0 <= b - a < 5)
    score, a, b = best
    assert result["start"] == offsets[context_tokens[a]][0] and result["end"] == offsets[context_tokens[b]][1]
    assert result["score"] == pytest.approx(score, rel=1e-5)
