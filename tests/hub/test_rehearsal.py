"""Stand-ins published under their real ids: the real clients download them from the sandbox as from the Hub."""
from pathlib import Path

import pytest

from hftour.hub.rehearsal import GATED_ON_THE_HUB, publish_metrics, publish_standins, publisher
from hftour.metrics import METRICS_DIR
from hftour.hub.sandbox import start_sandbox

# huggingface_hub itself PUTs LFS content with the older httpx `data=` spelling
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

SENTIMENT = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
MISTRAL = "mistralai/Mistral-7B-Instruct-v0.1"


@pytest.fixture
def sandbox(monkeypatch):
    """A sandbox with the clients pointed at it, online, logged in as the learner (as hub mode would be)."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # start_sandbox turns it off and restores it
    session = start_sandbox()
    yield session
    session.stop()


def test_published_standins_load_by_real_id_and_pinned_revision(sandbox):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError
    from transformers import AutoTokenizer, pipeline

    commits = publish_standins(publisher(sandbox.data_dir / "store", sandbox.endpoint), ids=[SENTIMENT, MISTRAL])
    assert set(commits) == {SENTIMENT, MISTRAL} and MISTRAL in GATED_ON_THE_HUB
    api = HfApi()
    assert api.model_info(SENTIMENT).author == "distilbert"
    assert api.model_info(SENTIMENT, revision="714eb0f").sha == commits[SENTIMENT]  # the pipeline default's pin

    classifier = pipeline("sentiment-analysis", model=SENTIMENT, revision="714eb0f")
    assert classifier("I love this, it is wonderful!")[0]["label"] == "POSITIVE"
    downloaded = list((sandbox.data_dir / "client-cache").rglob("model.safetensors"))
    assert downloaded and "models--distilbert--distilbert-base-uncased-finetuned-sst-2-english" in str(downloaded[0])
    assert api.model_info(MISTRAL).gated == "manual"
    with pytest.raises(OSError) as err:  # the learner has not been granted access, as on the Hub
        AutoTokenizer.from_pretrained(MISTRAL)
    assert isinstance(err.value.__cause__, GatedRepoError)


def test_metrics_are_published_where_evaluate_looks(sandbox, tmp_path):
    from huggingface_hub import hf_hub_download

    assert publish_metrics(publisher(sandbox.data_dir / "store", sandbox.endpoint)) == [
        "evaluate-metric/accuracy", "evaluate-metric/f1", "evaluate-metric/squad"]
    script = hf_hub_download("evaluate-metric/squad", "squad.py", repo_type="space", cache_dir=tmp_path)
    assert Path(script).read_bytes() == (METRICS_DIR / "squad" / "squad.py").read_bytes()


def test_published_dataset_standins_load_by_real_id(sandbox, tmp_path):
    from datasets import load_dataset

    publish_standins(publisher(sandbox.data_dir / "store", sandbox.endpoint), ids=["Yelp/yelp_review_full"])
    dataset = load_dataset("Yelp/yelp_review_full", cache_dir=str(tmp_path / "datasets"))
    assert list(dataset) == ["train", "test"]
    assert dataset["train"].features["label"].names[-1] == "5 stars"
    downloaded = list((sandbox.data_dir / "client-cache").rglob("*.parquet"))
    assert downloaded and "datasets--Yelp--yelp_review_full" in str(downloaded[0])
