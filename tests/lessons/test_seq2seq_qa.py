"""Notebook 08's pieces: the generative QA data (data/qa_generative) and hftour.seq2seq_qa.quiet_lightning."""
import csv
import importlib.util
from pathlib import Path

import pytest

from hftour.paths import DATA_DIR

QA_DIR = DATA_DIR / "qa_generative"


def _compose_module():
    spec = importlib.util.spec_from_file_location("qa_compose", QA_DIR / "compose.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rows():
    with open(QA_DIR / "qa.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_csv_is_what_compose_writes(rows):
    composed = _compose_module().compose()
    assert [{k: str(v) for k, v in row.items()} for row in composed] == rows


def test_every_answer_is_a_span_of_its_context(rows):
    assert len(rows) >= 1500 and len({r["context"] for r in rows}) >= 500
    for row in rows:
        start = int(row["answer_start"])
        assert row["text"] and row["context"][start:start + len(row["text"])] == row["text"], row["id"]


def test_the_data_is_varied_not_one_template(rows):
    # distinct question wordings once names are taken out, and distinct first sentences' shapes
    shapes = {" ".join(w for w in r["question"].split() if w.islower()) for r in rows}
    assert len(shapes) >= 80
    assert len({r["text"].lower() for r in rows}) >= 0.4 * len(rows)  # mostly invented: read, not recalled


def test_some_contexts_need_whitespace_normalising(rows):
    messy = {r["context"] for r in rows if "  " in r["context"] or "\n" in r["context"]}
    assert 20 <= len(messy) <= 0.2 * len({r["context"] for r in rows})


def test_quiet_lightning_keeps_a_small_fit_silent(tmp_path, capfd):
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import ModelCheckpoint
    from torch.utils.data import DataLoader, TensorDataset

    from hftour.seq2seq_qa import quiet_lightning

    class Tiny(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.layer = torch.nn.Linear(2, 1)

        def training_step(self, batch, batch_idx):
            return self.layer(batch[0]).pow(2).mean()

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", self.layer(batch[0]).pow(2).mean())

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    quiet_lightning()
    capfd.readouterr()
    L.seed_everything(100)
    loader = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    checkpoint = ModelCheckpoint(dirpath=tmp_path, monitor="val_loss", save_top_k=2, mode="min")
    trainer = L.Trainer(max_epochs=3, accelerator="cpu", devices=1, callbacks=[checkpoint], logger=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Tiny(), loader, loader)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert len(list(Path(tmp_path).glob("*.ckpt"))) == 2 and Path(checkpoint.best_model_path).is_file()
