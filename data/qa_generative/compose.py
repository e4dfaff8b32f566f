"""Compose data/qa_generative/qa.csv, the question-answering data of notebook 08, from frames.toml next to it.

    python data/qa_generative/compose.py

Columns as in a SQuAD-style CSV: id, context, question, text (the answer, a span of the context) and
answer_start (its character offset). A context is 2-4 sentences about one subject (a person, someone speaking
about themselves, a town, a structure, a company, or a concept with its definition); each sentence brings the
questions it can answer. Some contexts keep stray spaces and line breaks, as scraped text does.
Deterministic (seeded); standard library only.
"""
from __future__ import annotations

import csv
import random
import re
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTEXTS_PER_KIND = {"person": 130, "speaker": 80, "town": 110, "structure": 100, "company": 90}
QUESTIONS_PER_CONTEXT = 3
PRONOUNS = {"f": {"he": "she", "his": "her", "him": "her"}, "m": {"he": "he", "his": "his", "him": "him"}}


def fill(template: str, slots: dict[str, str], sentence: bool = True) -> str:
    """Replace {slot} markers; {Slot} gives the value capitalised, and a sentence starts with a capital."""
    def value(match: re.Match) -> str:
        key = match.group(1)
        text = slots[key.lower()] if key[0].isupper() else slots[key]
        return text[0].upper() + text[1:] if key[0].isupper() else text
    text = re.sub(r"\{(\w+)\}", value, template)
    return text[0].upper() + text[1:] if sentence else text


ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "ch", "br", "tr", "kl", "j", "h"]
VOWELS = ["a", "e", "i", "o", "u", "a", "e", "ai", "ei", "ou"]
CODAS = ["", "", "", "n", "r", "l", "s", "m"]


def invent_word(rng: random.Random, syllables: tuple[int, ...] = (2, 2, 3)) -> str:
    """A pronounceable invented name such as 'Torevan' or 'Shimal'."""
    word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.choice(syllables) - 1))
    return (word + rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)).capitalize()


def invent_number(rng: random.Random, low: int, high: int, step: int = 1) -> str:
    """A number between low and high, a multiple of step, with thousands separators."""
    return f"{rng.randrange(low, high, step):,}"


def invented_slots(rng: random.Random, kind: str, frames: dict) -> dict[str, str]:
    """The names, years and amounts of one context, made up for it (they never repeat from a pool)."""
    person = lambda: f"{invent_word(rng)} {invent_word(rng, (2, 3))}"  # noqa: E731
    pool = frames[kind]
    if kind in ("person", "speaker"):
        born = rng.randrange(1930, 2004)
        return {"first": invent_word(rng), "last": invent_word(rng, (2, 3)), "year": str(born),
                "year2": str(rng.randrange(born + 18, 2025)), "pet": invent_word(rng, (1, 2))}
    if kind == "town":
        return {"name": invent_word(rng) + rng.choice(pool["suffix"]),
                "population": invent_number(rng, 2000, 300000, 100)}
    if kind == "structure":
        return {"name": invent_word(rng), "designer": person(), "year": str(rng.randrange(1850, 2024)),
                "length": f"{rng.randrange(40, 1000)} metres",
                "cost": f"{rng.randrange(2, 400)} million {rng.choice(['euros', 'pounds', 'dollars'])}",
                "workers": invent_number(rng, 50, 5000, 10)}
    return {"name": f"{invent_word(rng)} {rng.choice(pool['suffix'])}", "founder": person(),
            "year": str(rng.randrange(1880, 2022)), "employees": invent_number(rng, 12, 40000),
            "revenue": f"{rng.randrange(2, 900)} million {rng.choice(['euros', 'pounds', 'dollars'])}"}


def draw_slots(rng: random.Random, kind: str, frames: dict) -> dict[str, str]:
    """One value per pool ('X2': a second, different one), pronouns, and the invented names and numbers."""
    pools = frames[frames[kind].get("pools_from", kind)]
    slots = {}
    for key, pool in pools.items():
        if isinstance(pool, list) and key not in ("sentence", "suffix"):
            slots[key], slots[key + "2"] = rng.sample(pool, 2)
    slots.update(PRONOUNS[rng.choice("fm")])
    slots.update(invented_slots(rng, kind, frames))
    return slots


def messy(rng: random.Random, text: str) -> str:
    """Stray double spaces, a line break or a trailing space, as in text copied from web pages."""
    text = text.replace(". ", rng.choice([".  ", ".\n", ". \n"]), 1)
    return text + rng.choice(["", " ", "  "])


def questions(rng: random.Random, sentences: list[dict], slots: dict, context: str) -> list[tuple[str, str]]:
    """Up to QUESTIONS_PER_CONTEXT (question, answer) pairs from the sentences used, one wording each."""
    items = [qa for sentence in sentences for qa in sentence["qa"]]
    pairs = []
    for qa in rng.sample(items, min(QUESTIONS_PER_CONTEXT, len(items))):
        answer = fill(qa["a"], slots, sentence=False)
        start = context.lower().index(answer.lower())  # as a span: "About 9,800" where a sentence starts with it
        pairs.append((fill(rng.choice(qa["q"]), slots), context[start:start + len(answer)]))
    return pairs


def compose(seed: int = 8) -> list[dict]:
    """Every row of qa.csv: contexts of each kind in turn, then one context per concept."""
    frames = tomllib.loads((HERE / "frames.toml").read_text(encoding="utf-8"))
    rng = random.Random(seed)
    contexts: list[tuple[str, list[tuple[str, str]]]] = []
    seen = set()
    for kind, n in CONTEXTS_PER_KIND.items():
        made = 0
        while made < n:
            slots = draw_slots(rng, kind, frames)
            intro, *rest = frames[kind]["sentence"]
            used = [intro] + rng.sample(rest, rng.choice([1, 2, 2, 3]))
            context = " ".join(fill(s["text"], slots) for s in used)
            if context in seen:
                continue
            seen.add(context)
            contexts.append((context, questions(rng, used, slots, context)))
            made += 1
    definition, example, field, instance = frames["concepts"]["sentence"]
    for concept in frames["concept"]:
        used = [definition, rng.choice([example, instance])] + ([field] if rng.random() < 0.6 else [])
        context = " ".join(fill(s["text"], concept) for s in used)
        contexts.append((context, questions(rng, used, concept, context)))
    rows = []
    for context, pairs in contexts:
        if rng.random() < 0.1:
            context = messy(rng, context)
        for question, answer in pairs:
            rows.append({"id": f"q{len(rows):04d}", "context": context, "question": question, "text": answer,
                         "answer_start": context.index(answer)})
    return rows


def main() -> None:
    rows = compose()
    with open(HERE / "qa.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "context", "question", "text", "answer_start"])
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} questions about {len({r['context'] for r in rows})} contexts -> {HERE / 'qa.csv'}")


if __name__ == "__main__":
    main()
