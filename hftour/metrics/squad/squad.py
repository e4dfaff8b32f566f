"""SQuAD v1.1 exact match and F1, written for hftour: compare answer texts after the official normalisation.

Installed into evaluate's module cache by hftour.setup() in offline mode, so that `evaluate.load("squad")` works
without the Hub; same inputs and output keys as the Hub module evaluate-metric/squad, scores in percent.
"""
import re
import string
from collections import Counter

import datasets
import evaluate

_DESCRIPTION = ("Exact match: the share of predictions equal to one of the reference answers; F1: the word overlap "
                "with the best-matching reference, averaged. Both after lower-casing and removing punctuation, "
                "articles (a, an, the) and extra whitespace; both in percent.")
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of dict): {"id": str, "prediction_text": str} per question.
    references (list of dict): {"id": str, "answers": {"text": [str, ...], "answer_start": [int, ...]}} per question.
Returns:
    {"exact_match": float, "f1": float}, each from 0 to 100
Example:
    >>> evaluate.load("squad").compute(
    ...     predictions=[{"id": "1", "prediction_text": "The Eiffel tower"}],
    ...     references=[{"id": "1", "answers": {"text": ["eiffel tower", "the tower"], "answer_start": [0, 0]}}])
    {'exact_match': 100.0, 'f1': 100.0}
"""
_PUNCTUATION = set(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation and the articles a/an/the, collapse whitespace (the official SQuAD rule)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def exact_match_score(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1_score(prediction: str, truth: str) -> float:
    pred, gold = normalize_answer(prediction).split(), normalize_answer(truth).split()
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Squad(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({
                "predictions": {"id": datasets.Value("string"), "prediction_text": datasets.Value("string")},
                "references": {
                    "id": datasets.Value("string"),
                    "answers": {"text": datasets.List(datasets.Value("string")),
                                "answer_start": datasets.List(datasets.Value("int32"))},
                },
            }),
        )

    def _compute(self, predictions, references):
        truths = {ref["id"]: ref["answers"]["text"] for ref in references}
        exact = f1 = 0.0
        for pred in predictions:
            answers = truths[pred["id"]]
            exact += max(exact_match_score(pred["prediction_text"], a) for a in answers)
            f1 += max(f1_score(pred["prediction_text"], a) for a in answers)
        n = len(predictions)
        return {"exact_match": 100.0 * exact / n, "f1": 100.0 * f1 / n}
