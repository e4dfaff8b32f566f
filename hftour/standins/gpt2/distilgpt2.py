"""The assistant for assisted decoding: a smaller GPT-2 cut from the gpt2 stand-in (kept apart from gpt2.py so that
changing one recipe does not rebuild the other)."""
from __future__ import annotations

from pathlib import Path

from ..corpora import everyday_sentences
from ..training import seed_everything, train_loop
from .gpt2 import (bits_per_character, block_batches, common_tokens, english_documents, fused_gelu, perplexity,
                   token_blocks)

TEACHER = "openai-community/gpt2"


def distilgpt2(spec, out: Path, store, progress: bool = True) -> dict:
    """Half the layers of the gpt2 stand-in (its embeddings and every other layer), then trained briefly on its text."""
    from transformers import AutoTokenizer, GPT2LMHeadModel

    o = spec.options
    teacher_dir = store.snapshot_dir(TEACHER)
    tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
    teacher = GPT2LMHeadModel.from_pretrained(teacher_dir)
    keep = list(range(0, teacher.config.n_layer, 2))  # like DistilGPT2: half the layers of its teacher
    config = teacher.config.__class__(**{**teacher.config.to_dict(), "n_layer": len(keep)})
    seed_everything(0)
    model = GPT2LMHeadModel(config)
    state = {k: v for k, v in teacher.state_dict().items() if not k.startswith("transformer.h.")}
    for new, old in enumerate(keep):
        prefix = f"transformer.h.{old}."
        state |= {f"transformer.h.{new}.{k[len(prefix):]}": v for k, v in teacher.state_dict().items()
                  if k.startswith(prefix)}
    model.load_state_dict(state)
    teacher_options = store.by_id[TEACHER].options
    train, heldout = english_documents(teacher_options)
    block = o.get("block", 128)
    blocks = token_blocks(tokenizer, train, block)
    vocab = common_tokens(tokenizer, blocks, teacher_options["vocab_size"])  # the rows the teacher trained
    vocab.shrink(model)
    hook = vocab.add_rest_offset(model)
    with fused_gelu(model):
        losses = train_loop(model, block_batches(vocab.compact(blocks), o.get("batch_size", 16), seed=1, steps=o["steps"]),
                            epochs=1, lr=o.get("lr", 1e-3), desc="distilgpt2", progress=progress)
    hook.remove()
    vocab.expand(model)
    held = token_blocks(tokenizer, heldout, block)
    ppl, teacher_ppl = perplexity(model, held), perplexity(teacher, held)
    bpc = bits_per_character(model, tokenizer, everyday_sentences())
    model.generation_config = teacher.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"architecture": f"GPT2LMHeadModel, {len(keep)} layers (layers {keep} of the gpt2 stand-in), hidden {config.n_embd}, "
                            f"{model.num_parameters():,} parameters, the gpt2 stand-in's tokenizer "
                            "(the real one: 6 layers, 82 M parameters)",
            "base": "the openai-community/gpt2 stand-in (embeddings and every other layer copied)",
            "trained_on": f"the gpt2 stand-in's English text, {len(losses)} steps of language modelling over the same "
                          f"{len(vocab.kept):,} tokens",
            "metrics": {"held-out everyday English, bits per character": round(bpc, 2),
                        "held-out prose perplexity": round(ppl, 2), "teacher's held-out prose perplexity": round(teacher_ppl, 2)}}
