"""F1, written for hftour: the harmonic mean of precision and recall, per class or averaged.

Installed into evaluate's module cache by hftour.setup() in offline mode, so that `evaluate.load("f1")` works
without the Hub; same arguments and output key as the Hub module evaluate-metric/f1 (single-label).
"""
import datasets
import evaluate
import numpy as np

_DESCRIPTION = "F1 = 2 * precision * recall / (precision + recall); a class with no predictions and no references scores 0."
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of int): predicted labels.
    references (list of int): true labels.
    labels (list of int): the classes to score (default: every class seen in predictions or references).
    pos_label (int): the positive class when average="binary" (default 1).
    average (str or None): "binary" (default), "micro", "macro", "weighted", or None for one score per class.
    sample_weight (list of float): optional weight per example.
Returns:
    {"f1": float} (or a numpy array of per-class scores when average is None)
Example:
    >>> evaluate.load("f1").compute(predictions=[0, 1, 1], references=[0, 1, 0])
    {'f1': 0.6666666666666666}
"""


def _ratio(num, den):
    return np.divide(num, den, out=np.zeros_like(num, dtype=float), where=den > 0)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class F1(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("int32"), "references": datasets.Value("int32")}),
        )

    def _compute(self, predictions, references, labels=None, pos_label=1, average="binary", sample_weight=None):
        pred, ref = np.asarray(predictions), np.asarray(references)
        weights = np.ones(len(pred)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if average == "binary":
            classes = np.array([pos_label])
        elif labels is not None:
            classes = np.asarray(labels)
        else:
            classes = np.unique(np.concatenate([pred, ref]))
        tp = np.array([weights[(pred == c) & (ref == c)].sum() for c in classes])
        predicted = np.array([weights[pred == c].sum() for c in classes])
        actual = np.array([weights[ref == c].sum() for c in classes])
        if average == "micro":
            return {"f1": float(_ratio(2 * tp.sum(), predicted.sum() + actual.sum()))}
        per_class = _ratio(2 * tp, predicted + actual)
        if average is None:
            return {"f1": per_class}
        if average == "weighted":
            return {"f1": float((per_class * actual).sum() / actual.sum()) if actual.sum() else 0.0}
        if average in ("binary", "macro"):
            return {"f1": float(per_class.mean())}
        raise ValueError(f"average={average!r}; use 'binary', 'micro', 'macro', 'weighted' or None")
