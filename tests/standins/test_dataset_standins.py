"""Dataset stand-ins load offline by their real ids, with the real splits, columns and label names."""
import pytest

from hftour.standins import StandinStore

EXPECTED = {  # id: (splits, columns, label names or None)
    "stanfordnlp/imdb": (["train", "test", "unsupervised"], ["text", "label"], ["neg", "pos"]),
    "Yelp/yelp_review_full": (["train", "test"], ["label", "text"], ["1 star", "2 star", "3 stars", "4 stars", "5 stars"]),
    "rajpurkar/squad": (["train", "validation"], ["id", "title", "context", "question", "answers"], None),
}


@pytest.mark.parametrize("repo_id", sorted(EXPECTED))
def test_dataset_standin_loads_by_real_id_offline(repo_id, offline_setup):
    from datasets import load_dataset

    store = StandinStore()
    if not store.is_current(store.by_id[repo_id]):
        pytest.skip(f"{repo_id} stand-in not built; run `hftour standins build`")
    splits, columns, names = EXPECTED[repo_id]
    dataset = load_dataset(repo_id)
    assert list(dataset) == splits
    assert dataset[splits[0]].column_names == columns
    if names:
        assert dataset["train"].features["label"].names == names
    card = (store.snapshot_dir(repo_id) / "README.md").read_text()
    assert "configs:" in card and f"`{repo_id}`" in card


def test_squad_answers_are_spans_of_their_context(offline_setup):
    from datasets import load_dataset

    for row in load_dataset("rajpurkar/squad", split="validation"):
        (text,), (start,) = row["answers"]["text"], row["answers"]["answer_start"]
        assert row["context"][start:start + len(text)] == text
