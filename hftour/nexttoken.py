"""The next-token distribution of a causal LM, and how temperature, top-k and top-p reshape it (notebook 04)."""
from __future__ import annotations

import torch


@torch.no_grad()
def next_token_logits(model, tokenizer, prompt: str) -> torch.Tensor:
    """The model's logits for the token after `prompt` (1-D, vocabulary size); used in notebook 04."""
    inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
    return model(**inputs).logits[0, -1].float().cpu()


def reshape(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Probabilities after the same warpers `generate(do_sample=True, ...)` applies (temperature, then top-k, then top-p)."""
    from transformers import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    scores = logits[None].clone()
    if temperature != 1.0:
        scores = TemperatureLogitsWarper(temperature)(None, scores)
    if top_k:
        scores = TopKLogitsWarper(top_k)(None, scores)
    if top_p < 1.0:
        scores = TopPLogitsWarper(top_p)(None, scores)
    return scores.softmax(-1)[0]


def plot_next_token_distribution(logits: torch.Tensor, tokenizer, settings: dict[str, dict], shown: int = 15):
    """Bar charts of the most probable next tokens, one panel per setting ({title: reshape kwargs}); returns the figure."""
    import matplotlib.pyplot as plt

    base = reshape(logits)
    order = base.argsort(descending=True)[:shown]
    labels = [repr(tokenizer.decode([int(i)])) for i in order]
    fig, axes = plt.subplots(1, len(settings), figsize=(3.2 * len(settings), 3.6), sharey=True)
    axes = [axes] if len(settings) == 1 else list(axes)
    for ax, (title, kwargs) in zip(axes, settings.items()):
        reshaped = reshape(logits, **kwargs)
        probs = reshaped[order].tolist()
        ax.barh(range(shown), probs, color=["tab:blue" if p > 0 else "lightgrey" for p in probs])
        ax.set_title(f"{title}\n{int((reshaped > 0).sum())} tokens possible", fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_yticks(range(shown), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("probability")
    fig.tight_layout()
    return fig
