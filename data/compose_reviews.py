"""Compose the review datasets in data/ from the hand-written sentence pools next to them.

    python data/compose_reviews.py

movie_reviews/ (stands in for IMDb): train.csv and test.csv (text,label with 0 negative, 1 positive)
and unsupervised.jsonl (text only). star_reviews/ (stands in for Yelp reviews): train.jsonl and
test.jsonl (text, label 0-4 for 1-5 stars). Deterministic (seeded); standard library only.
"""
from __future__ import annotations

import csv
import json
import random
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_pool(path: Path) -> dict[str, list[str]]:
    """Sections of a pool file: '@name' starts a section, '#' lines are comments."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            current = sections.setdefault(line[1:], [])
        else:
            current.append(line)
    return sections


def fill(sentence: str, slots: dict[str, str]) -> str:
    """Replace {slot} markers; a slot at the start of a sentence is capitalised."""
    text = re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)], sentence)
    return text[0].upper() + text[1:]


def pick(rng: random.Random, pool: list[str], k: int) -> list[str]:
    return rng.sample(pool, k)


# ---- movie reviews ---------------------------------------------------------------
def movie_review(rng: random.Random, pools: dict, positive: bool) -> str:
    """One review: opening, premise, a few remarks on story/acting/craft, maybe a reservation, a closing line."""
    own = pools["pos"] if positive else pools["neg"]
    neutral = pools["neutral"]
    slots = {
        "lead": rng.choice(neutral["lead"]), "support": rng.choice(neutral["support"]),
        "director": rng.choice(neutral["director"]), "hero": rng.choice(neutral["hero"]),
        "place": rng.choice(neutral["place"]), "job": rng.choice(neutral["job"]),
        "year": str(rng.choice(range(1920, 2000, 10))), "hours": rng.choice(["two", "two and a half", "three"]),
    }
    while slots["support"] == slots["lead"]:
        slots["support"] = rng.choice(neutral["support"])
    intro = []
    if rng.random() < 0.85:
        intro.append(rng.choice(own["open"]))
    if rng.random() < 0.8:
        intro.append(rng.choice(neutral["premise"]))
    if rng.random() < 0.3:
        intro.insert(rng.randint(0, len(intro)), rng.choice(neutral["context"]))
    remarks = []
    for section, chance in (("story", 0.8), ("acting", 0.75), ("craft", 0.65)):
        if rng.random() < chance:
            remarks += pick(rng, own[section], rng.choice([1, 1, 2]))
    if not remarks:
        remarks = pick(rng, own["story"], 2)
    rng.shuffle(remarks)
    if rng.random() < 0.3:
        remarks.insert(rng.randint(0, len(remarks)), rng.choice(neutral["mixed"]))
    ending = [rng.choice(own["close"])] if rng.random() < 0.8 else []
    sentences = intro + remarks + ending
    return " ".join(fill(s, slots) for s in sentences)


def write_movies(rng: random.Random) -> None:
    base = HERE / "movie_reviews"
    pools = {"pos": read_pool(base / "pool_positive.txt"), "neg": read_pool(base / "pool_negative.txt"),
             "neutral": read_pool(base / "pool_neutral.txt")}
    seen: set[str] = set()

    def unique(positive: bool) -> str:
        while True:
            text = movie_review(rng, pools, positive)
            if text not in seen:
                seen.add(text)
                return text

    for split, n in (("train", 1000), ("test", 500)):
        rows = [(unique(label == 1), label) for label in [0, 1] * (n // 2)]
        rng.shuffle(rows)
        with open(base / f"{split}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    with open(base / "unsupervised.jsonl", "w") as f:
        for _ in range(3000):
            f.write(json.dumps({"text": unique(rng.random() < 0.5)}) + "\n")


# ---- 1-5 star reviews ---------------------------------------------------------------
def star_review(rng: random.Random, pool: dict, stars: int) -> str:
    """One review for a rating: opening, a few remarks (now and then one from a neighbouring rating), a closing line."""
    slots = {"dish": rng.choice(pool["dish"]), "drink": rng.choice(pool["drink"]), "person": rng.choice(pool["person"]),
             "kind": rng.choice(pool["kind"]), "minutes": str(rng.choice([15, 20, 25, 30, 40, 45, 50, 60]))}
    parts = []
    if rng.random() < 0.8:
        parts.append(rng.choice(pool[f"{stars}.open"]))
    if rng.random() < 0.3:
        parts.append(rng.choice(pool["context"]))
    remarks = pick(rng, pool[f"{stars}.body"], rng.choice([1, 2, 2, 3]))
    if rng.random() < 0.35:
        neighbour = min(5, max(1, stars + rng.choice([-1, 1])))
        remarks.insert(rng.randint(0, len(remarks)), rng.choice(pool[f"{neighbour}.body"]))
    parts += remarks
    if rng.random() < 0.7:
        parts.append(rng.choice(pool[f"{stars}.close"]))
    return " ".join(fill(s, slots) for s in parts)


def write_stars(rng: random.Random) -> None:
    base = HERE / "star_reviews"
    pool = read_pool(base / "pool.txt")
    seen: set[str] = set()
    for split, per_class in (("train", 400), ("test", 100)):
        rows = []
        for stars in range(1, 6):
            made = 0
            while made < per_class:
                text = star_review(rng, pool, stars)
                if text not in seen:
                    seen.add(text)
                    rows.append({"label": stars - 1, "text": text})
                    made += 1
        rng.shuffle(rows)
        with open(base / f"{split}.jsonl", "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    write_movies(random.Random(1234))
    write_stars(random.Random(5678))
