"""Tokenizer-only stand-ins of chat models, for notebook 05: each carries its real model's chat template.

The templates are the Jinja strings the real checkpoints ship in tokenizer_config.json (what `apply_chat_template`
renders); the vocabularies are small SentencePiece-style BPEs trained on data/prose, with the real special tokens.
"""
from __future__ import annotations

import json
from pathlib import Path

from .corpora import prose_paragraphs

# HuggingFaceH4/zephyr-7b-beta: roles as plain-text markers, every turn closed by eos (</s>).
ZEPHYR = (
    "{% for message in messages %}\n"
    "{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n"
    "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n"
    "{% endif %}\n"
    "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n"
    "{% endfor %}"
)

# mistralai/Mistral-7B-Instruct-v0.1: [INST] ... [/INST] around user turns, no system role, strict alternation.
MISTRAL = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token + ' ' }}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}"
)

TEMPLATES = {"zephyr": ZEPHYR, "mistral": MISTRAL}


def template_tokenizer(spec, out: Path, store, progress: bool = True) -> dict:
    """A Llama/Mistral-style tokenizer (<unk>=0, <s>=1, </s>=2, ▁ for spaces) carrying one real chat template."""
    from tokenizers import SentencePieceBPETokenizer
    from transformers import LlamaTokenizer, MistralConfig

    o = spec.options
    bpe = SentencePieceBPETokenizer()
    bpe.train_from_iterator(prose_paragraphs(2000, seed=7), vocab_size=o.get("vocab_size", 1000), min_frequency=2,
                            special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    model = json.loads(bpe._tokenizer.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = LlamaTokenizer(vocab=dict(model["vocab"]), merges=merges, model_max_length=o.get("max_length", 32768))
    tokenizer.chat_template = TEMPLATES[o["template"]]
    tokenizer.save_pretrained(out)
    MistralConfig(vocab_size=len(tokenizer), hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=8, bos_token_id=1, eos_token_id=2).save_pretrained(out)
    return {"base": "none: trained from scratch",
            "architecture": f"tokenizer only (config.json, no weights): BPE with ▁ for spaces, {len(tokenizer)} tokens "
                            "(the real one: 32,000), and the real model's chat template",
            "trained_on": "generated prose from data/prose (ids differ from the real vocabulary; special-token ids match)"}
