"""The assistant for assisted decoding: a smaller GPT-2 cut from the gpt2 stand-in (kept apart from causal.py so that
changing one recipe does not rebuild the other)."""
from __future__ import annotations

from pathlib import Path

from .causal import block_batches, fused_gelu, perplexity, token_blocks, training_texts
from .training import seed_everything, train_loop


def distilgpt2(spec, out: Path, store, progress: bool = True) -> dict:
    """A 2-layer GPT-2 cut from the gpt2 stand-in (its embeddings and every other layer), then trained briefly on data/prose."""
    from transformers import AutoTokenizer, GPT2LMHeadModel

    o = spec.options
    teacher_dir = store.snapshot_dir("openai-community/gpt2")
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
    train, heldout = training_texts({"paragraphs": o.get("paragraphs", 2000)})
    block = o.get("block", 128)
    blocks = token_blocks(tokenizer, train, block)
    steps_source = block_batches(blocks, o.get("batch_size", 16), seed=1)
    with fused_gelu(model):
        losses = train_loop(model, steps_source, epochs=1, lr=o.get("lr", 1e-3), desc="distilgpt2", progress=progress)
    held = token_blocks(tokenizer, heldout, block)
    ppl, teacher_ppl = perplexity(model, held), perplexity(teacher, held)
    model.generation_config = teacher.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"architecture": f"GPT2LMHeadModel, {len(keep)} layers (layers {keep} of the gpt2 stand-in), hidden {config.n_embd}, "
                            f"{model.num_parameters():,} parameters, the gpt2 stand-in's tokenizer "
                            "(the real one: 6 layers, 82 M parameters)",
            "base": "the openai-community/gpt2 stand-in (embeddings and every other layer copied)",
            "trained_on": f"{len(train):,} documents of prose from data/prose, {len(losses)} steps of language modelling",
            "metrics": {"heldout_perplexity": round(ppl, 2), "teacher_heldout_perplexity": round(teacher_ppl, 2)}}
