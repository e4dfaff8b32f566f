"""hftour.mlm: group_texts, the whole-word-masking collator and insert_random_mask behave as notebook 06 says."""
import numpy as np
import pytest
import torch
from transformers import DataCollatorForLanguageModeling

from hftour.mlm import WholeWordMaskCollator, group_texts, insert_random_mask, word_groups
from hftour.standins.training import uncased_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return uncased_tokenizer()


def test_group_texts_chunks_across_documents_and_drops_the_remainder():
    batch = {"input_ids": [[1, 2, 3], [4, 5, 6, 7, 8], [9, 10, 11, 12]],
             "word_ids": [[None, 0, None], [None, 0, 0, 1, None], [None, 0, 1, None]]}
    out = group_texts(batch, chunk_size=5)
    assert out["input_ids"] == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]  # 12 tokens -> 2 chunks, 11 and 12 dropped
    assert out["word_ids"] == [[None, 0, None, None, 0], [0, 1, None, None, 0]]
    assert out["labels"] == out["input_ids"]
    out["labels"][0][0] = -100
    assert out["input_ids"][0][0] == 1, "labels must be a copy, not the same lists"


def test_group_texts_shorter_than_one_chunk_gives_nothing():
    assert group_texts({"input_ids": [[1, 2, 3]]}, chunk_size=5) == {"input_ids": [], "labels": []}


def test_word_groups_by_hand():
    assert word_groups([None, 0, 1, 1, 2, None, 0, 0, None]) == [[1], [2, 3], [4], [6, 7]]
    assert word_groups([None, None]) == []


def test_word_groups_match_the_library_whole_word_grouping(tokenizer):
    # Words separated by single spaces: the library's offset-based grouping and word_ids must agree.
    text = "the unbelievably talented cinematographer photographed snowstorms over reykjavik"
    enc = tokenizer(text, return_offsets_mapping=True, return_special_tokens_mask=True)
    assert len(enc["input_ids"]) > len(text.split()) + 2, "the text should contain words split into several tokens"
    library_ids, _ = DataCollatorForLanguageModeling._calc_word_ids_and_prob_mask(
        np.array([enc["offset_mapping"]]), np.array([enc["special_tokens_mask"]]))
    library_groups = {}
    for position, word in enumerate(library_ids[0]):
        if word != -1:
            library_groups.setdefault(int(word), []).append(position)
    assert word_groups(enc.word_ids()) == list(library_groups.values())


def _features(tokenizer, texts):
    enc = tokenizer(texts)
    return [{"input_ids": enc["input_ids"][i], "attention_mask": enc["attention_mask"][i],
             "labels": list(enc["input_ids"][i]), "word_ids": enc.word_ids(i)} for i in range(len(texts))]


TEXTS = ["Cinematographers photographed breathtaking snowstorms yesterday.",
         "An unforgettable, heartwarming performance by everyone involved."]


def test_whole_word_masking_masks_all_or_none_of_each_word(tokenizer):
    features = _features(tokenizer, TEXTS * 20)
    before = [dict(f, input_ids=list(f["input_ids"]), labels=list(f["labels"])) for f in features]
    batch = WholeWordMaskCollator(tokenizer, wwm_probability=0.5, seed=0)(features)
    assert features == before, "the collator must not modify its input"
    assert set(batch) == {"input_ids", "attention_mask", "labels"} and batch["input_ids"].dtype == torch.long
    words_masked = words = 0
    for row, feature in enumerate(features):
        n = len(feature["input_ids"])
        masked = batch["input_ids"][row, :n] == tokenizer.mask_token_id
        labels = batch["labels"][row, :n]
        assert (batch["labels"][row, n:] == -100).all() and (batch["attention_mask"][row, n:] == 0).all()
        assert torch.equal(labels[masked], torch.tensor(feature["input_ids"])[masked])
        assert (labels[~masked] == -100).all()
        for group in word_groups(feature["word_ids"]):
            states = masked[group]
            assert states.all() or not states.any(), "a word was masked only in part"
            words += 1
            words_masked += int(states.all())
        special = [i for i, w in enumerate(feature["word_ids"]) if w is None]
        assert not masked[special].any(), "special tokens are never masked"
    assert abs(words_masked / words - 0.5) < 0.07


def test_whole_word_masking_extremes_and_seed(tokenizer):
    features = _features(tokenizer, TEXTS)
    none = WholeWordMaskCollator(tokenizer, wwm_probability=0.0, seed=0)(features)
    assert (none["labels"] == -100).all()
    every = WholeWordMaskCollator(tokenizer, wwm_probability=1.0, seed=0)(features)
    for row, feature in enumerate(features):
        inside = [i for i, w in enumerate(feature["word_ids"]) if w is not None]
        assert (every["input_ids"][row, inside] == tokenizer.mask_token_id).all()
    a = WholeWordMaskCollator(tokenizer, wwm_probability=0.3, seed=7)(features)
    b = WholeWordMaskCollator(tokenizer, wwm_probability=0.3, seed=7)(features)
    assert torch.equal(a["input_ids"], b["input_ids"]) and torch.equal(a["labels"], b["labels"])


def test_insert_random_mask_fixes_the_masks_once(tokenizer):
    from datasets import Dataset

    enc = tokenizer(TEXTS * 4, padding="max_length", max_length=24)
    dataset = Dataset.from_dict({"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]})

    def masked_copy():
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.3, seed=0)
        return dataset.map(lambda b: insert_random_mask(b, collator), batched=True, remove_columns=dataset.column_names)

    first, second = masked_copy(), masked_copy()
    assert first.column_names == ["masked_input_ids", "masked_attention_mask", "masked_labels"]
    assert first["masked_input_ids"] == second["masked_input_ids"]
    labels = np.array(first["masked_labels"])
    inputs = np.array(first["masked_input_ids"])
    assert (labels != -100).any()
    assert ((labels == -100) | (labels == np.array(enc["input_ids"]))).all()
    changed = inputs != np.array(enc["input_ids"])
    assert (labels[changed] != -100).all(), "every changed token has a label"
