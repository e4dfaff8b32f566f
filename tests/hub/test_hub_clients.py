"""transformers and datasets against the sandbox through the notebook's connector (HF_ENDPOINT and friends)."""

import importlib
import os

import pytest
import torch

from hftour.hub.sandbox import SANDBOX_ORG, SANDBOX_USER, start_for_notebook

hsetup = importlib.import_module("hftour.setup")  # the module (the package re-exports a function of that name)

# huggingface_hub itself PUTs LFS content with the older httpx `data=` spelling
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
def session(monkeypatch, capsys):
    """The notebook path: offline mode -> sandbox started, user logged in via HF_TOKEN, clients re-pointed."""
    from huggingface_hub import constants

    monkeypatch.setitem(hsetup._state, "mode", "offline")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # as setup() leaves it offline
    before = (constants.ENDPOINT, constants.HF_HUB_CACHE, os.environ.get("HF_TOKEN"))
    hub = start_for_notebook()
    assert "SANDBOX" in capsys.readouterr().out
    yield hub
    hub.stop()
    assert (constants.ENDPOINT, constants.HF_HUB_CACHE, os.environ.get("HF_TOKEN")) == before
    assert constants.HF_HUB_OFFLINE is True


def tiny_model_and_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "good", "bad", "film", "very"]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]",
                                        cls_token="[CLS]", sep_token="[SEP]")
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=32, id2label={0: "NEG", 1: "POS"},
                        label2id={"NEG": 0, "POS": 1})
    return BertForSequenceClassification(config), tokenizer


def test_push_to_hub_and_from_pretrained_round_trip(session):
    from huggingface_hub import CommitInfo, HfApi, whoami
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    assert whoami()["name"] == SANDBOX_USER
    model, tokenizer = tiny_model_and_tokenizer()
    repo = f"{SANDBOX_USER}/tiny-sentiment"
    info = model.push_to_hub(repo, commit_message="Add model", commit_description="a tiny test model")
    assert isinstance(info, CommitInfo) and info.commit_message == "Add model"
    tokenizer.push_to_hub(repo, commit_message="Add tokenizer")
    HfApi().create_tag(repo, tag="v1")
    model.config.id2label = {0: "neg", 1: "pos"}
    model.push_to_hub(repo, commit_message="Rename labels")
    loaded = AutoModelForSequenceClassification.from_pretrained(repo)
    pinned = AutoModelForSequenceClassification.from_pretrained(repo, revision="v1")
    assert loaded.config.id2label == {0: "neg", 1: "pos"} and pinned.config.id2label == {0: "NEG", 1: "POS"}
    for (name, a), (_, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), name
    again = AutoTokenizer.from_pretrained(repo)
    assert again("very good film")["input_ids"] == tokenizer("very good film")["input_ids"]
    assert [c.title for c in HfApi().list_repo_commits(repo)][:3] == ["Rename labels", "Add tokenizer", "Add model"]


def test_model_card_and_trainer_push_to_an_org(session, tmp_path):
    from datasets import Dataset
    from huggingface_hub import HfApi, ModelCard, ModelCardData
    from transformers import Trainer, TrainingArguments

    model, tokenizer = tiny_model_and_tokenizer()
    train = Dataset.from_dict({"input_ids": [[2, 4, 6, 3], [2, 5, 6, 3]] * 8, "labels": [1, 0] * 8})
    repo = f"{SANDBOX_ORG}/tiny-trainer"
    args = TrainingArguments(str(tmp_path / "out"), push_to_hub=True, hub_model_id=repo, max_steps=3,
                             per_device_train_batch_size=4, save_strategy="no", report_to="none",
                             disable_tqdm=True, logging_strategy="no", dataloader_pin_memory=False)
    trainer = Trainer(model=model, args=args, train_dataset=train, processing_class=tokenizer)
    trainer.train()
    info = trainer.push_to_hub(commit_message="End of training")
    assert info.oid == HfApi().model_info(repo).sha
    files = HfApi().list_repo_files(repo)
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(files)
    card = ModelCard.from_template(ModelCardData(license="mit", datasets=["toy"], metrics=["accuracy"]),
                                   model_id="tiny-trainer", model_description="A toy model.")
    card.push_to_hub(repo, commit_message="Fill in the model card")
    assert HfApi().model_info(repo).card_data.license == "mit"
    assert ModelCard.load(repo).data.datasets == ["toy"]


def test_dataset_push_and_load(session):
    from datasets import Dataset, DatasetDict, load_dataset

    data = DatasetDict({"train": Dataset.from_dict({"text": ["good film", "bad film", "very good"], "label": [1, 0, 1]}),
                        "test": Dataset.from_dict({"text": ["very bad"], "label": [0]})})
    repo = f"{SANDBOX_USER}/tiny-reviews"
    data.push_to_hub(repo, commit_message="Add reviews")
    loaded = load_dataset(repo)
    assert sorted(loaded) == ["test", "train"]
    assert loaded["train"][:] == data["train"][:] and loaded["test"][:] == data["test"][:]
    private = Dataset.from_dict({"x": [1, 2]})
    private.push_to_hub(f"{SANDBOX_USER}/private-bits", private=True)
    assert load_dataset(f"{SANDBOX_USER}/private-bits", split="train")["x"] == [1, 2]


def test_hub_mode_needs_a_token(monkeypatch):
    monkeypatch.setitem(hsetup._state, "mode", "hub")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.get_token", lambda: None)
    with pytest.raises(RuntimeError, match="hf auth login"):
        start_for_notebook()


def test_class_sandbox_from_the_environment(tmp_path, monkeypatch, capsys):
    from huggingface_hub import HfApi, constants

    from hftour.hub.server import BackgroundServer
    from hftour.hub.users import UserDB

    monkeypatch.setitem(hsetup._state, "mode", "offline")
    token = UserDB(tmp_path).add_user("ada")
    with BackgroundServer(tmp_path) as server:
        monkeypatch.setenv("HFTOUR_HUB_ENDPOINT", server.url)
        monkeypatch.setenv("HFTOUR_HUB_TOKEN", token)
        hub = start_for_notebook()
        try:
            assert hub.user == "ada" and constants.ENDPOINT == server.url
            assert f"class sandbox at {server.url}" in capsys.readouterr().out
            assert HfApi().create_repo("shared").repo_id == "ada/shared"
        finally:
            hub.stop()
        assert constants.ENDPOINT != server.url


def test_a_gated_repo_falls_back_to_its_open_copy_with_a_message(session, capsys):
    """Notebook 05 online without access to Mistral's gated repo: a clear message, then the ungated copy over HTTP."""
    from hftour.gated import tokenizer_or_open_copy
    from hftour.hub.rehearsal import publish_standins, publisher

    gated, open_copy = "mistralai/Mistral-7B-Instruct-v0.1", "Xenova/mistral-tokenizer-v1"
    publish_standins(publisher(session.data_dir / "store", session.endpoint), [gated, open_copy])

    tokenizer = tokenizer_or_open_copy(gated, open_copy)  # the learner's token has not been granted access
    out = capsys.readouterr().out
    assert "gated on the Hub" in out and open_copy in out
    assert tokenizer.name_or_path == open_copy
    chat = [{"role": "user", "content": "Hi"}]
    assert tokenizer.apply_chat_template(chat, tokenize=False).startswith("<s>[INST]")
