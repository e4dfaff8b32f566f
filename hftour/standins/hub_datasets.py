"""Dataset stand-ins: the project's own data/ files published under the real Hub dataset ids (notebooks 06-08).

Each recipe writes the real dataset's layout (its config name, split names, column names and features, one
Parquet file per split) into the stand-in snapshot, which `make test-hub` serves over HTTP, and prepares the
same splits in the stand-in HF_HOME's datasets cache, where `load_dataset("stanfordnlp/imdb")` finds them offline.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from ..paths import DATA_DIR
from .bert.encoders import read_csv


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _publish(spec, staging: Path, store, config: str, splits: dict[str, list[dict]], features) -> dict:
    """Write each split as {config}/{split}-00000-of-00001.parquet and prepare it for offline load_dataset."""
    from datasets import Dataset, disable_progress_bars
    from datasets.packaged_modules.parquet.parquet import Parquet

    disable_progress_bars()  # the build's own bar says what is being built; per-split bars would only add noise
    files = {}
    for split, rows in splits.items():
        files[split] = staging / config / f"{split}-00000-of-00001.parquet"
        files[split].parent.mkdir(parents=True, exist_ok=True)
        columns = {name: [row[name] for row in rows] for name in features}
        Dataset.from_dict(columns, features=features).to_parquet(str(files[split]))
    digest = hashlib.sha1(b"".join(files[split].read_bytes() for split in files)).hexdigest()[:16]

    # The datasets cache keys a Hub dataset as <namespace>___<name>/<config>/<version>/<hash>. The Parquet builder
    # has no namespace without reading from the Hub, so it builds under <name>/ and the folder moves into place.
    name = spec.id.split("/")[1]
    cache = store.datasets_cache
    shutil.rmtree(cache / name, ignore_errors=True)
    builder = Parquet(cache_dir=str(cache), dataset_name=name, config_name=config, config_id=config, hash=digest,
                      data_files={split: str(path) for split, path in files.items()}, features=features)
    builder.download_and_prepare()
    target = store.prepared_dataset_dir(spec.id)
    shutil.rmtree(target, ignore_errors=True)  # an older build would otherwise be a second candidate
    target.mkdir(parents=True)
    (cache / name / config).rename(target / config)
    shutil.rmtree(cache / name)
    return {"config": config, "splits": {split: len(rows) for split, rows in splits.items()},
            "columns": list(features)}


def imdb(spec, staging: Path, store, progress: bool = True) -> dict:
    """stanfordnlp/imdb: data/movie_reviews as train / test / unsupervised (label -1, as in IMDb)."""
    from datasets import ClassLabel, Features, Value

    folder = DATA_DIR / "movie_reviews"
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    splits = {split: [{"text": row["text"], "label": int(row["label"])} for row in read_csv(folder / f"{split}.csv")]
              for split in ("train", "test")}
    splits["unsupervised"] = [{"text": row["text"], "label": -1} for row in _read_jsonl(folder / "unsupervised.jsonl")]
    facts = _publish(spec, staging, store, "plain_text", splits, features)
    return {**facts, "trained_on": "movie reviews written for hftour (data/movie_reviews)"}


def yelp_review_full(spec, staging: Path, store, progress: bool = True) -> dict:
    """Yelp/yelp_review_full: data/star_reviews as train / test with the five star labels."""
    from datasets import ClassLabel, Features, Value

    folder = DATA_DIR / "star_reviews"
    features = Features({"label": ClassLabel(names=["1 star", "2 star", "3 stars", "4 stars", "5 stars"]),
                         "text": Value("string")})
    splits = {split: _read_jsonl(folder / f"{split}.jsonl") for split in ("train", "test")}
    facts = _publish(spec, staging, store, "yelp_review_full", splits, features)
    return {**facts, "trained_on": "restaurant reviews written for hftour (data/star_reviews)"}


def squad(spec, staging: Path, store, progress: bool = True) -> dict:
    """rajpurkar/squad: data/qa_generative as train and data/qa's held-out questions as validation."""
    from datasets import Features, List, Value

    features = Features({
        "id": Value("string"), "title": Value("string"), "context": Value("string"), "question": Value("string"),
        "answers": {"text": List(Value("string")), "answer_start": List(Value("int32"))},
    })
    train = [{"id": row["id"], "title": "hftour_qa_generative", "context": row["context"],
              "question": row["question"], "answers": {"text": [row["text"]], "answer_start": [int(row["answer_start"])]}}
             for row in read_csv(DATA_DIR / "qa_generative" / "qa.csv")]
    validation = [{"id": f"v{i:04d}", "title": "hftour_qa", "context": row["context"], "question": row["question"],
                   "answers": {"text": [row["answer"]], "answer_start": [row["answer_start"]]}}
                  for i, row in enumerate(_read_jsonl(DATA_DIR / "qa" / "heldout.jsonl"))]
    facts = _publish(spec, staging, store, "plain_text", {"train": train, "validation": validation}, features)
    return {**facts, "trained_on": "questions about short contexts written for hftour (data/qa_generative, data/qa)"}
