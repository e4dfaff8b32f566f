"""The encoder task stand-ins load offline under their real ids, keep the real labels and pass held-out checks."""
import pytest
import transformers
from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification, AutoTokenizer

from hftour.paths import DATA_DIR
from hftour.qa import answer_question
from hftour.standins.bert.encoders import read_csv
from hftour.standins.bert.ner import NER_LABELS, entity_f1, ner_examples, predicted_entities, read_frames
from hftour.standins.bert.nli import candidate_sets, topic_rows, zero_shot_accuracy
from hftour.standins.bert.qa import normalize_answer, read_qa
from hftour.standins.store import StandinStore

SST2 = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
CONLL = "dbmdz/bert-large-cased-finetuned-conll03-english"
MNLI = "facebook/bart-large-mnli"
SQUAD = "distilbert/distilbert-base-uncased-distilled-squad"
IDS = [SST2, CONLL, MNLI, SQUAD]
# Held-out floors: each sits a few points under the figure measured when the stand-in was built (see the model cards).
NER_F1_FLOOR, ZERO_SHOT_FLOOR, QA_EM_FLOOR = 0.85, 0.80, 0.60
COURSE_SENTENCE = "I've been waiting for a HuggingFace course my whole life."


@pytest.fixture(scope="module")
def store():
    store = StandinStore()
    store.build(only=IDS, progress=False)  # incremental: nothing to do once `make standins` built them
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


# ---- NER -----------------------------------------------------------------------
def test_ner_heldout_names_and_frames_are_unseen():
    import json

    lexicon = json.loads((DATA_DIR / "ner" / "lexicon.json").read_text())
    for kind, names in lexicon["heldout"].items():
        assert not {n.lower() for n in names} & {n.lower() for n in lexicon["train"][kind]}, kind
    assert not set(read_frames(DATA_DIR / "ner" / "frames_heldout.txt")) & set(read_frames(DATA_DIR / "ner" / "frames_train.txt"))
    for text, spans in ner_examples("heldout", 5, seed=1):
        assert all(text[s:e] and kind in ("PER", "ORG", "LOC", "MISC") for s, e, kind in spans)


def test_entity_f1_counts_exact_spans_only():
    gold = [{("PER", 0, 5), ("LOC", 10, 15)}]
    assert entity_f1(gold, gold) == 1.0
    assert entity_f1([{("PER", 0, 5), ("LOC", 10, 14)}], gold) == 0.5
    assert entity_f1([set()], gold) == 0.0


def test_ner_pipeline_default_tags_the_course_sentence(offline):
    tagger = transformers.pipeline("ner", aggregation_strategy="simple")
    assert tagger.model.config.id2label == dict(enumerate(NER_LABELS))
    entities = tagger("My name is Sylvain and I work at Hugging Face in Brooklyn.")
    assert [(e["entity_group"], e["word"], e["start"], e["end"]) for e in entities] == [
        ("PER", "sylvain", 11, 18), ("ORG", "hugging face", 33, 45), ("LOC", "brooklyn", 49, 57)]


def test_ner_heldout_entity_f1(offline):
    heldout = ner_examples("heldout", 5, seed=1)
    tagger = transformers.pipeline("token-classification", model=CONLL, aggregation_strategy="simple")
    f1 = entity_f1(predicted_entities(tagger, [text for text, _ in heldout]),
                   [{(kind, s, e) for s, e, kind in spans} for _, spans in heldout])
    print(f"NER held-out entity F1: {f1:.3f} on {len(heldout)} sentences")
    assert f1 >= NER_F1_FLOOR


# ---- zero-shot -------------------------------------------------------------------
def test_nli_heldout_sentences_are_unseen():
    train, heldout = topic_rows("train"), topic_rows("heldout")
    assert not {t for t, _ in train} & {t for t, _ in heldout}
    assert {topic for _, topic in heldout} == {topic for _, topic in train}


def test_zero_shot_pipeline_default_on_the_course_example(offline):
    classifier = transformers.pipeline("zero-shot-classification")
    assert classifier.model.config.id2label == {0: "contradiction", 1: "neutral", 2: "entailment"}
    result = classifier("This is a course about the Transformers library",
                        candidate_labels=["education", "politics", "business"])
    assert result["labels"][0] == "education"
    assert sum(result["scores"]) == pytest.approx(1.0, abs=1e-4)
    multi = classifier("The striker scored in the final minute.", candidate_labels=["sports", "weather"],
                       multi_label=True)
    assert multi["labels"][0] == "sports" and multi["scores"][0] > 0.5 > multi["scores"][1]


def test_zero_shot_heldout_accuracy(offline):
    heldout = topic_rows("heldout")
    classifier = transformers.pipeline("zero-shot-classification", model=MNLI)
    accuracy = zero_shot_accuracy(classifier, heldout, candidate_sets(heldout, 4, seed=1))
    course = [(t, topic) for t, topic in heldout if topic in ("education", "politics", "business")]
    course_accuracy = zero_shot_accuracy(classifier, course, [["education", "politics", "business"]] * len(course))
    print(f"zero-shot held-out accuracy: {accuracy:.3f} (4 labels), {course_accuracy:.3f} (course labels)")
    assert accuracy >= ZERO_SHOT_FLOOR and course_accuracy >= ZERO_SHOT_FLOOR


# ---- extractive QA -----------------------------------------------------------------
def test_qa_data_spans_point_at_the_answers():
    train, heldout = read_qa("train"), read_qa("heldout")
    for row in train + heldout:
        assert row["context"][row["answer_start"]:row["answer_start"] + len(row["answer"])] == row["answer"]
    assert not {r["context"] for r in train} & {r["context"] for r in heldout}
    assert normalize_answer("The  Hugging Face!") == "hugging face"


def test_qa_course_example(offline):
    tokenizer = AutoTokenizer.from_pretrained(SQUAD)
    model = AutoModelForQuestionAnswering.from_pretrained(SQUAD)
    context = "My name is Sylvain and I work at Hugging Face in Brooklyn"
    result = answer_question(model, tokenizer, "Where do I work?", context)
    assert result["answer"].lower() == "hugging face"
    assert context[result["start"]:result["end"]] == result["answer"] and 0 < result["score"] <= 1


def test_qa_heldout_exact_match(offline):
    heldout = read_qa("heldout")
    tokenizer = AutoTokenizer.from_pretrained(SQUAD)
    model = AutoModelForQuestionAnswering.from_pretrained(SQUAD)
    em = sum(normalize_answer(answer_question(model, tokenizer, r["question"], r["context"])["answer"])
             == normalize_answer(r["answer"]) for r in heldout) / len(heldout)
    print(f"QA held-out exact match: {em:.3f} on {len(heldout)} questions")
    assert em >= QA_EM_FLOOR
