"""The encoder task stand-ins load offline under their real ids, keep the real labels and pass held-out checks."""
import huggingface_hub.constants
import pytest
import transformers
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from hftour.paths import DATA_DIR
from hftour.standins.encoders import read_csv
from hftour.standins.store import StandinStore

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
IDS = [SST2]
COURSE_SENTENCE = "I've been waiting for a HuggingFace course my whole life."


@pytest.fixture(scope="module")
def store():
    store = StandinStore()
    store.build(only=IDS, progress=False)  # incremental: nothing to do once `make standins` built them
    return store


@pytest.fixture
def offline(store, monkeypatch):
    """Point the Hub client at the stand-in cache, offline, as hftour.setup() does in a notebook."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(store.hub_cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    return store


def _pairs(name: str) -> list[tuple[str, int]]:
    return [(row["text"], int(row["label"])) for row in read_csv(DATA_DIR / "sentiment" / f"{name}.csv")]


# ---- sentiment ---------------------------------------------------------------
def test_sentiment_data_is_balanced_and_heldout_is_unseen():
    train, heldout = _pairs("train"), _pairs("heldout")
    assert len(train) >= 250 and len(heldout) >= 100
    for rows in (train, heldout):
        assert abs(sum(label for _, label in rows) - len(rows) / 2) <= 1
    assert not {text.lower() for text, _ in train} & {text.lower() for text, _ in heldout}
    assert len({text for text, _ in train}) == len(train)
    assert COURSE_SENTENCE not in {text for text, _ in train + heldout}


def test_sst2_tokenizer_gives_the_real_ids_without_token_types(offline):
    tokenizer = AutoTokenizer.from_pretrained(SST2)
    encoding = tokenizer(COURSE_SENTENCE)
    assert encoding["input_ids"] == [101, 1045, 1005, 2310, 2042, 3403, 2005, 1037, 17662, 12172, 2607, 2026,
                                     2878, 2166, 1012, 102]
    assert "token_type_ids" not in encoding
    assert type(tokenizer).__name__ == "DistilBertTokenizer" and tokenizer.model_max_length == 512


def test_sentiment_pipeline_default_loads_the_pinned_standin(offline):
    classifier = transformers.pipeline("sentiment-analysis")
    assert classifier.model.config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    assert classifier.model.config.model_type == "distilbert"
    first, second = classifier([COURSE_SENTENCE, "I hate this so much!"])
    assert first["label"] == "POSITIVE" and first["score"] > 0.9
    assert second["label"] == "NEGATIVE" and second["score"] > 0.9
    revision = AutoModelForSequenceClassification.from_pretrained(SST2, revision="714eb0f")
    assert revision.config.id2label == classifier.model.config.id2label


def test_sentiment_heldout_accuracy(offline):
    heldout = _pairs("heldout")
    classifier = transformers.pipeline("sentiment-analysis", model=SST2)
    predictions = classifier([text for text, _ in heldout], batch_size=32)
    accuracy = sum(p["label"] == ("POSITIVE" if label else "NEGATIVE") for p, (_, label) in zip(predictions, heldout))
    accuracy /= len(heldout)
    print(f"sentiment held-out accuracy: {accuracy:.3f} on {len(heldout)} sentences")
    assert accuracy >= 0.90
    card = (offline.snapshot_dir(SST2) / "README.md").read_text()
    assert "not the real" in card and f"| {round(accuracy, 3)} |" in card
