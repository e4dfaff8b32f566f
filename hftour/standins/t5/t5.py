"""The t5-small stand-in: the real T5 tokenizer and a small T5 trained from scratch on English->French translation and
news summarization.

Both tasks are written for the project: data/seq2seq/lexicon.toml (a bilingual lexicon that a small grammar
below turns into parallel sentences) and data/seq2seq/news.toml (event frames and sentence pools that make
short news stories with a one-line summary). Inputs carry T5's task prefixes, as the real model expects.
The tokenizer is T5's own (hftour.realparts); training runs over the tokens these tasks use and the model is then
written with T5's full 32,128-row embedding (hftour.standins.compact_vocab). Without the tokenizer's one download, the
build says so and falls back to a small Unigram tokenizer trained on the task text (the model card says which).
It is undertrained for the task at the build budget it gets (see the model card's held-out figures).
"""
from __future__ import annotations

import json
import random
import re
import tomllib
import warnings
import zlib
from functools import lru_cache
from pathlib import Path

from ...paths import DATA_DIR
from ...realparts import T5_ARCHIVE, MissingPartError, t5_tokenizer_json
from ..compact_vocab import CompactVocabulary
from ..tokenizers_only import _stable_scores, corpus_lines

SEQ2SEQ_DIR = DATA_DIR / "seq2seq"
TRANSLATE_PREFIX = "translate English to French: "
SUMMARIZE_PREFIX = "summarize: "
# Word pairs that must stay in training whatever the held-out rule says (the notebook's demo sentence).
KEEP_IN_TRAINING = {("adj", "house", "wonderful")}

_VOWEL = re.compile(r"^[aeiouyàâéèêëîïôûh]", re.IGNORECASE)
_AVOIR = ["ai", "as", "a", "avons", "avez", "ont"]
_ETRE = {"present": ("est", "sont"), "past": ("était", "étaient")}
_EN_BE = {"present": ("is", "are"), "past": ("was", "were")}
# English determiner -> French (masc. singular, fem. singular, plural); None: not used in the plural.
_DETERMINERS = {
    "the": ("le", "la", "les"), "a": ("un", "une", None), "my": ("mon", "ma", "mes"),
    "this": ("ce", "cette", "ces"), "our": ("notre", "notre", "nos"), "their": ("leur", "leur", "leurs"),
}
_EN_PLURAL_DET = {"this": "these", "a": None}


@lru_cache(maxsize=None)
def lexicon(folder: Path = SEQ2SEQ_DIR) -> dict:
    """The bilingual lexicon (data/seq2seq/lexicon.toml); used by the translation grammar."""
    return tomllib.loads((folder / "lexicon.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def news_frames(folder: Path = SEQ2SEQ_DIR) -> dict:
    """Event frames and sentence pools for the news stories (data/seq2seq/news.toml)."""
    return tomllib.loads((folder / "news.toml").read_text(encoding="utf-8"))


def french_elision(text: str) -> str:
    """Apply French elision and contraction: le/la/je/ne/de + vowel -> l'/j'/n'/d', ce -> cet, ma -> mon."""
    words = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(words):
        word, nxt = words[i], words[i + 1] if i + 1 < len(words) else ""
        if nxt and _VOWEL.match(nxt):
            low = word.lower()
            if low in ("le", "la", "je", "ne", "de"):
                out.append(word[0] + "'" + nxt)
                i += 2
                continue
            if low == "ce":
                word = word + "t"
            elif low == "ma":
                word = word[0] + "on"
        out.append(word)
        i += 1
    return " ".join(out)


def _capitalize(text: str) -> str:
    return text[0].upper() + text[1:]


def _noun_phrase(rng: random.Random, noun: dict, adjectives: list[dict], plural: bool,
                 dets: tuple[str, ...], adj_p: float, avoid: str = "") -> tuple[str, str, list[tuple]]:
    """An English/French noun phrase with an optional agreeing adjective; returns (en, fr, word pairs used)."""
    det = rng.choice([d for d in dets if not plural or _DETERMINERS[d][2]])
    en_det = _EN_PLURAL_DET.get(det, det) if plural else det
    fr_det = _DETERMINERS[det][2 if plural else (0 if noun["g"] == "m" else 1)]
    en_noun, fr_noun = (noun["en_pl"], noun["fr_pl"]) if plural else (noun["en"], noun["fr"])
    pairs = []
    fitting = [a for a in adjectives if noun["class"] in a["for"] and a["en"] != avoid]
    if fitting and rng.random() < adj_p:
        adj = rng.choice(fitting)
        form = adj["fr"][(2 if plural else 0) + (1 if noun["g"] == "f" else 0)]
        fr = f"{fr_det} {form} {fr_noun}" if adj.get("before") else f"{fr_det} {fr_noun} {form}"
        if det == "a" and _VOWEL.match(adj["en"]):
            en_det = "an"
        pairs.append(("adj", noun["en"], adj["en"]))
        return f"{en_det} {adj['en']} {en_noun}", fr, pairs
    if det == "a" and _VOWEL.match(en_noun):
        en_det = "an"
    return f"{en_det} {en_noun}", f"{fr_det} {fr_noun}", pairs


def _subject(rng: random.Random, lex: dict) -> tuple[str, str, int, list[tuple]]:
    """A pronoun or a person noun phrase as subject: (en, fr, French person index 0-5, word pairs)."""
    if rng.random() < 0.55:
        pronoun = rng.choice(lex["pronoun"])
        return pronoun["en"], pronoun["fr"], pronoun["person"], []
    people = [n for n in lex["noun"] if n["class"] == "person"]
    plural = rng.random() < 0.3
    en, fr, pairs = _noun_phrase(rng, rng.choice(people), lex["adjective"], plural, ("the", "my", "our", "a", "this"), 0.15)
    return en, fr, 5 if plural else 2, pairs


def _verb_forms(verb: dict, person: int, tense: str) -> tuple[str, str]:
    """English and French verb forms for a French person index (0-5) and tense ("present" or "past")."""
    if tense == "past":
        return verb["en"][2], f"{_AVOIR[person]} {verb['pp']}"
    return verb["en"][1] if person == 2 else verb["en"][0], verb["fr"][person]


def _adverbials(rng: random.Random, lex: dict, tense: str, need_place: bool) -> tuple[str, str]:
    parts = []
    if need_place or rng.random() < 0.35:
        parts.append(rng.choice(lex["place"]))
    if rng.random() < 0.45:
        parts.append(rng.choice([t for t in lex["time"] if t["tense"] == tense]))
    return "".join(" " + p["en"] for p in parts), "".join(" " + p["fr"] for p in parts)


def translation_sentence(rng: random.Random) -> tuple[str, str, list[tuple]]:
    """One English sentence, its French translation and the word pairs it combines (for the held-out split)."""
    lex = lexicon()
    tense = rng.choice(["present", "past"])
    kind = rng.random()
    if kind < 0.4:  # "The house is wonderful." and friends
        predicate_adj = None
        if rng.random() < 0.25:  # a pronoun subject: he / she / they
            adj = rng.choice([a for a in lex["adjective"] if "person" in a["for"]])
            en_subj, fr_subj, g, plural = rng.choice([("he", "il", "m", False), ("she", "elle", "f", False),
                                                      ("they", "ils", "m", True)])
            pairs: list[tuple] = []
            noun_key = "pronoun"
        else:
            noun = rng.choice(lex["noun"])
            adj = rng.choice([a for a in lex["adjective"] if noun["class"] in a["for"]])
            plural = rng.random() < 0.3
            en_subj, fr_subj, pairs = _noun_phrase(rng, noun, lex["adjective"], plural,
                                                   ("the", "the", "this", "my", "our"), 0.2, avoid=adj["en"])
            g, noun_key = noun["g"], noun["en"]
        predicate_adj = adj
        pairs.append(("adj", noun_key, predicate_adj["en"]))
        en_be, fr_be = _EN_BE[tense][plural], _ETRE[tense][plural]
        negative, very = rng.random() < 0.2, rng.random() < 0.15
        en_pred = ("not " if negative else "") + ("very " if very else "") + adj["en"]
        fr_form = adj["fr"][(2 if plural else 0) + (1 if g == "f" else 0)]
        fr_verb = f"ne {fr_be} pas" if negative else fr_be
        en = f"{en_subj} {en_be} {en_pred}"
        fr = f"{fr_subj} {fr_verb} {'très ' if very else ''}{fr_form}"
        # a time phrase only with the past tense, where it reads naturally ("... was cold yesterday")
        if tense == "past" and rng.random() < 0.3:
            t = rng.choice([t for t in lex["time"] if t["tense"] == "past"])
            en, fr = f"{en} {t['en']}", f"{fr} {t['fr']}"
    elif kind < 0.8:  # subject + verb + object (+ place, time)
        en_subj, fr_subj, person, pairs = _subject(rng, lex)
        verb = rng.choice(lex["verb"])
        noun = rng.choice([n for n in lex["noun"] if n["class"] in verb["objects"]])
        plural = rng.random() < 0.25
        en_obj, fr_obj, obj_pairs = _noun_phrase(rng, noun, lex["adjective"], plural,
                                                 ("the", "a", "a", "my", "this", "our", "their"), 0.3)
        pairs += obj_pairs + [("obj", verb["en"][0], noun["en"])]
        en_verb, fr_verb = _verb_forms(verb, person, tense)
        en_adv, fr_adv = _adverbials(rng, lex, tense, need_place=False)
        en, fr = f"{en_subj} {en_verb} {en_obj}{en_adv}", f"{fr_subj} {fr_verb} {fr_obj}{fr_adv}"
    else:  # subject + intransitive verb + place (+ time)
        en_subj, fr_subj, person, pairs = _subject(rng, lex)
        verb = rng.choice(lex["intransitive"])
        en_verb, fr_verb = _verb_forms(verb, person, tense)
        en_adv, fr_adv = _adverbials(rng, lex, tense, need_place=True)
        pairs.append(("where", verb["en"][0], en_adv))
        en, fr = f"{en_subj} {en_verb}{en_adv}", f"{fr_subj} {fr_verb}{fr_adv}"
    return _capitalize(en) + ".", _capitalize(french_elision(fr)) + ".", pairs


def is_held_out(pair: tuple) -> bool:
    """Whether a word pair is reserved for the held-out set (a fixed fifth of all pairs, by checksum)."""
    return pair not in KEEP_IN_TRAINING and zlib.crc32(repr(pair).encode()) % 5 == 0


def _split_sample(make, n_train: int, n_heldout: int, seed: int) -> tuple[list, list]:
    """Draw examples until both splits are full; an example whose combination is reserved goes to held-out only."""
    rng = random.Random(seed)
    train, heldout, seen = [], [], set()
    for _ in range(50 * (n_train + n_heldout)):
        source, target, keys = make(rng)
        if source in seen:
            continue
        seen.add(source)
        if any(is_held_out(k) for k in keys):
            if len(heldout) < n_heldout:
                heldout.append((source, target))
        elif len(train) < n_train:
            train.append((source, target))
        if len(train) == n_train and len(heldout) == n_heldout:
            break
    return train, heldout


def translation_pairs(n_train: int = 3000, n_heldout: int = 300, seed: int = 1789) -> tuple[list, list]:
    """(train, held-out) English->French sentence pairs; every held-out pair combines words never combined in training."""
    return _split_sample(translation_sentence, n_train, n_heldout, seed)


def news_story(rng: random.Random) -> tuple[str, str, list[tuple]]:
    """A 3-4 sentence local-news story, its one-line summary, and the (event, town, what) combination it uses."""
    frames = news_frames()
    event = rng.choice(frames["event"])
    slots = {"town": rng.choice(frames["towns"]), "day": rng.choice(frames["days"]),
             "name": rng.choice(frames["names"]), "number": rng.choice(frames["numbers"]), "what": rng.choice(event["what"])}
    sentences = [rng.choice(event["leads"])] + rng.sample(event["details"], rng.choice([2, 2, 3]))
    if len(sentences) == 3 and rng.random() < 0.3:
        sentences.append(rng.choice(frames["closers"]))
    story = " ".join(_capitalize(s.format(**slots)) for s in sentences)
    summary = _capitalize(event["summary"].format(**slots))
    return story, summary, [("news", event["key"], slots["what"], slots["town"])]


def news_pairs(n_train: int = 800, n_heldout: int = 100, seed: int = 1851) -> tuple[list, list]:
    """(train, held-out) (story, summary) pairs; held-out stories use event/subject/town combinations unseen in training."""
    return _split_sample(news_story, n_train, n_heldout, seed)


def build_t5_tokenizer(lines: list[str], vocab_size: int):
    """A T5Tokenizer (SentencePiece Unigram, <pad>=0, </s>=1, <unk>=2, 100 <extra_id_N> last) trained on lines."""
    from tokenizers import SentencePieceUnigramTokenizer
    from transformers import T5Tokenizer

    unigram = SentencePieceUnigramTokenizer()
    unigram.train_from_iterator(lines, vocab_size=vocab_size, special_tokens=["<pad>", "</s>", "<unk>"],
                                unk_token="<unk>", show_progress=False)
    trained = json.loads(unigram._tokenizer.to_str())["model"]["vocab"]
    specials, learned = trained[:3], trained[3:]
    learned = sorted(_stable_scores(learned), key=lambda p: (-p[1], p[0]))
    sentinels = [(f"<extra_id_{i}>", 0.0) for i in range(99, -1, -1)]  # as in the real vocabulary: 0 is the last id
    return T5Tokenizer(vocab=[tuple(p) for p in specials] + learned + sentinels, model_max_length=512)


T5_VOCAB_ROWS = 32128  # the real config's vocab_size: 32,100 tokens padded to a multiple of 128


def real_t5_tokenizer():
    """T5's own tokenizer (32,100 tokens: <pad>=0, </s>=1, <unk>=2, <extra_id_0>=32099) from hftour.realparts."""
    from tokenizers import Tokenizer
    from transformers import T5TokenizerFast

    backend = Tokenizer.from_file(str(t5_tokenizer_json()))
    return T5TokenizerFast(tokenizer_object=backend, eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
                           extra_ids=100, model_max_length=512)


def t5_tokenizer(lines: list[str], vocab_size: int) -> tuple[object, int, str]:
    """(tokenizer, embedding rows, what it is): T5's own, or the fallback trained on lines (with a warning)."""
    try:
        return real_t5_tokenizer(), T5_VOCAB_ROWS, (f"T5's own SentencePiece Unigram tokenizer (32,100 tokens, from the "
                                                    f"{T5_ARCHIVE['package']} {T5_ARCHIVE['version']} source archive, "
                                                    f"{T5_ARCHIVE['license']})")
    except MissingPartError as err:
        warnings.warn(f"T5's real tokenizer is not available ({err}); training a small one instead", stacklevel=2)
        tokenizer = build_t5_tokenizer(lines, vocab_size)
        return tokenizer, len(tokenizer), (f"a {len(tokenizer):,}-token Unigram tokenizer trained on the task text "
                                           "(fallback: T5's real tokenizer could not be downloaded)")


def tokenizer_lines(translations: list[tuple[str, str]], stories: list[tuple[str, str]]) -> list[str]:
    """Text the tokenizer learns from: both sides of the sentence pairs, each distinct news sentence once, data/corpus."""
    news = {summary for _, summary in stories}
    for story, _ in stories:
        news.update(re.split(r"(?<=\.) ", story))
    return ([TRANSLATE_PREFIX + en for en, _ in translations] + [fr for _, fr in translations]
            + [SUMMARIZE_PREFIX.strip()] + sorted(news) + corpus_lines())


def _batches(tokenizer, examples: list[tuple[str, str]], batch_size: int, rng: random.Random, vocab: CompactVocabulary):
    """Shuffled batches of similar length (stories with stories, sentences with sentences), in compact ids; labels pad to -100."""
    import torch

    from ..training import length_buckets

    for chunk in length_buckets([len(source) for source, _ in examples], batch_size, rng):
        enc = tokenizer([examples[i][0] for i in chunk], padding=True, return_tensors="pt")
        labels = tokenizer(text_target=[examples[i][1] for i in chunk], padding=True, return_tensors="pt").input_ids
        labels = torch.where(labels == tokenizer.pad_token_id, -100, vocab.compact(labels))
        yield {"input_ids": vocab.compact(enc.input_ids), "attention_mask": enc.attention_mask, "labels": labels}


def _batch_source(tokenizer, examples, batch_size, seed, vocab):
    """A callable for train_loop that gives a fresh, differently shuffled pass over the examples on every call."""
    calls = {"n": 0}

    def batches():
        calls["n"] += 1
        return _batches(tokenizer, examples, batch_size, random.Random(seed + calls["n"]), vocab)
    return batches


def generate_texts(model, tokenizer, texts: list[str], max_new_tokens: int = 40, batch_size: int = 64) -> list[str]:
    """Greedy generate() for a list of prefixed inputs; used by the recipe's checks and the tests."""
    import torch

    outputs = []
    for i in range(0, len(texts), batch_size):
        enc = tokenizer(texts[i:i + batch_size], padding=True, return_tensors="pt")
        with torch.no_grad():
            ids = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False, num_beams=1)
        outputs += tokenizer.batch_decode(ids, skip_special_tokens=True)
    return outputs


def word_overlap(prediction: str, reference: str) -> float:
    """Unigram F1 between two texts (lower-cased words, punctuation stripped); a ROUGE-1-like score."""
    p, r = re.findall(r"[\w']+", prediction.lower()), re.findall(r"[\w']+", reference.lower())
    if not p or not r:
        return 0.0
    common = sum(min(p.count(w), r.count(w)) for w in set(p))
    return 0.0 if common == 0 else 2 * common / (len(p) + len(r))


def t5_small(spec, out: Path, store, progress: bool = True) -> dict:
    """Recipe for google-t5/t5-small: T5 tokenizer + a small T5ForConditionalGeneration trained on both tasks."""
    import torch
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

    from ..training import seed_everything, train_loop

    seed_everything(0)  # a fixed seed, so editing a module this recipe imports rebuilds the same model
    opts = spec.options
    tr_train, tr_held = translation_pairs(opts.get("translation_pairs", 3000))
    sum_train, sum_held = news_pairs(opts.get("news_pairs", 800))
    tokenizer, rows, tokenizer_note = t5_tokenizer(tokenizer_lines(tr_train, sum_train), opts.get("vocab_size", 3000))
    examples = [(TRANSLATE_PREFIX + en, fr) for en, fr in tr_train] + [(SUMMARIZE_PREFIX + s, h) for s, h in sum_train]
    used = tokenizer([text for pair in examples for text in pair])["input_ids"]
    vocab = CompactVocabulary({t for ids in used for t in ids} | {0, 1, 2}, rows)  # every token the tasks use

    d_model = opts.get("d_model", 128)
    config = T5Config(
        vocab_size=len(vocab), d_model=d_model, d_kv=d_model // 4, d_ff=opts.get("d_ff", 512), num_heads=4,
        num_layers=opts.get("layers", 2), num_decoder_layers=opts.get("layers", 2), dropout_rate=0.0,
        feed_forward_proj="relu", relative_attention_num_buckets=16, relative_attention_max_distance=64,
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, tie_word_embeddings=True,
    )
    model = T5ForConditionalGeneration(config)
    batches = _batch_source(tokenizer, examples, opts.get("batch_size", 64), seed=7, vocab=vocab)
    hook = vocab.add_rest_offset(model)
    losses = train_loop(model, batches, epochs=opts.get("epochs", 3), lr=opts.get("lr", 3e-3), desc="t5-small",
                        progress=progress)
    hook.remove()
    vocab.expand(model)
    model.generation_config = GenerationConfig(decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    # like the real config: the prefixes each task expects (only the two tasks this stand-in learned)
    model.config.task_specific_params = {"summarization": {"prefix": SUMMARIZE_PREFIX},
                                         "translation_en_to_fr": {"prefix": TRANSLATE_PREFIX}}

    # held-out checks (greedy), on small slices to keep the build short; the tests check the full sets
    preds = generate_texts(model, tokenizer, [TRANSLATE_PREFIX + en for en, _ in tr_held[:100]], max_new_tokens=40)
    exact = sum(p == fr for p, (_, fr) in zip(preds, tr_held)) / len(preds)
    spreds = generate_texts(model, tokenizer, [SUMMARIZE_PREFIX + s for s, _ in sum_held[:50]], max_new_tokens=24)
    overlap = sum(word_overlap(p, h) for p, (_, h) in zip(spreds, sum_held)) / len(spreds)

    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    n_params = sum(p.numel() for p in model.parameters())
    return {
        "architecture": f"T5ForConditionalGeneration, {config.num_layers}+{config.num_decoder_layers} layers, d_model "
                        f"{d_model}, {n_params / 1e6:.1f} M parameters (the real one: 6+6 layers, d_model 512, 60 M); "
                        f"{tokenizer_note}",
        "base": "none: trained from scratch",
        "trained_on": (f"{len(tr_train)} English->French sentence pairs made from a bilingual lexicon and a small grammar "
                       f"(data/seq2seq/lexicon.toml) and {len(sum_train)} short local-news stories with one-line summaries "
                       "(data/seq2seq/news.toml), with T5's prefixes 'translate English to French: ' and 'summarize: ', "
                       f"over the {len(vocab.kept):,} tokens these texts use (the other {vocab.rest_count:,} rows share "
                       "one embedding that keeps them improbable). "
                       "It knows only that vocabulary and is undertrained for its size of task: it translates sentences "
                       "it has seen, but new word combinations often get a wrong word, and its summaries name the right "
                       "kind of event but usually the wrong town. Other inputs (German, Romanian, other prefixes, "
                       "open-domain text) give nonsense."),
        "metrics": {"final training loss": round(sum(losses[-20:]) / min(20, len(losses)), 3),
                    "held-out translation exact match (100 sentences, greedy)": round(exact, 3),
                    "held-out summary word F1 (50 stories, greedy)": round(overlap, 3)},
    }
