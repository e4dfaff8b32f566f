"""hftour's offline metric modules: evaluate.load("accuracy" / "f1" / "squad") find them; they agree with scikit-learn
and with the SQuAD v1.1 rules."""
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from hftour.metrics import install_metric_modules


@pytest.fixture
def offline_evaluate(tmp_path, monkeypatch):
    import evaluate.config

    monkeypatch.delenv("HF_MODULES_CACHE", raising=False)
    monkeypatch.setattr(evaluate.config, "HF_EVALUATE_OFFLINE", True)
    monkeypatch.setattr(evaluate.config, "HF_MODULES_CACHE", evaluate.config.HF_MODULES_CACHE)
    monkeypatch.setattr(evaluate.config, "HF_METRICS_CACHE", tmp_path / "metrics")
    paths = install_metric_modules(tmp_path)
    import evaluate

    return evaluate, paths


def test_install_puts_the_modules_where_evaluate_looks_and_is_idempotent(tmp_path, offline_evaluate):
    _, paths = offline_evaluate
    assert [p.name for p in paths] == ["accuracy.py", "f1.py", "squad.py"]
    for path in paths:
        assert path.is_relative_to(tmp_path / "modules" / "evaluate_modules" / "metrics")
        assert len(path.parent.name) == 64
    mtimes = [p.stat().st_mtime_ns for p in paths]
    assert install_metric_modules(tmp_path) == paths
    assert [p.stat().st_mtime_ns for p in paths] == mtimes


def test_accuracy_loads_offline_and_matches_sklearn(offline_evaluate):
    evaluate, _ = offline_evaluate
    metric = evaluate.load("accuracy")
    rng = np.random.default_rng(0)
    pred, ref = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    weights = rng.random(200)
    assert metric.compute(predictions=pred, references=ref)["accuracy"] == pytest.approx(accuracy_score(ref, pred))
    assert metric.compute(predictions=pred, references=ref, sample_weight=weights)["accuracy"] == pytest.approx(
        accuracy_score(ref, pred, sample_weight=weights))
    assert metric.compute(predictions=[1, 1, 0], references=[1, 0, 0], normalize=False) == {"accuracy": 2.0}


@pytest.mark.parametrize("average", ["binary", "micro", "macro", "weighted", None])
def test_f1_matches_sklearn(offline_evaluate, average):
    evaluate, _ = offline_evaluate
    metric = evaluate.load("f1")
    rng = np.random.default_rng(1)
    classes = 2 if average == "binary" else 5
    pred, ref = rng.integers(0, classes, 300), rng.integers(0, classes, 300)
    ours = metric.compute(predictions=pred, references=ref, average=average)["f1"]
    np.testing.assert_allclose(ours, f1_score(ref, pred, average=average))


def test_f1_with_a_class_never_seen_scores_it_zero(offline_evaluate):
    evaluate, _ = offline_evaluate
    metric = evaluate.load("f1")
    result = metric.compute(predictions=[0, 0, 1], references=[0, 1, 1], labels=[0, 1, 2], average=None)["f1"]
    np.testing.assert_allclose(result, [2 / 3, 2 / 3, 0.0])  # class 0: tp 1 of 2 predicted, 1 true


def _squad(evaluate, pairs):
    """Score (prediction, [answers]) pairs with evaluate.load("squad")."""
    preds = [{"id": str(i), "prediction_text": p} for i, (p, _) in enumerate(pairs)]
    refs = [{"id": str(i), "answers": {"text": a, "answer_start": [0] * len(a)}} for i, (_, a) in enumerate(pairs)]
    return evaluate.load("squad").compute(predictions=preds, references=refs)


def test_squad_normalises_case_punctuation_and_articles(offline_evaluate):
    evaluate, _ = offline_evaluate
    assert _squad(evaluate, [("The Eiffel Tower!", ["eiffel  tower"])]) == {"exact_match": 100.0, "f1": 100.0}
    assert _squad(evaluate, [("an apple", ["apple"]), ("pear", ["apple"])]) == {"exact_match": 50.0, "f1": 50.0}


def test_squad_f1_is_word_overlap_with_the_best_reference(offline_evaluate):
    evaluate, _ = offline_evaluate
    # "in the 13th century" vs "13th century": 2 common words, precision 2/3 ("the" is dropped), recall 1
    result = _squad(evaluate, [("in the 13th century", ["13th century", "roman times"])])
    assert result["exact_match"] == 0.0
    assert result["f1"] == pytest.approx(100 * 2 * (2 / 3) / (2 / 3 + 1))
    assert _squad(evaluate, [("two", ["three", "two"])]) == {"exact_match": 100.0, "f1": 100.0}
    assert _squad(evaluate, [("", ["two"])]) == {"exact_match": 0.0, "f1": 0.0}
