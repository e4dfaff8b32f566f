"""Small matplotlib helpers the training notebooks share (06 and 07): the loss curve of a Trainer run."""
from __future__ import annotations


def loss_curve(log_history: list[dict], title: str = "Training loss"):
    """Plot training loss (and eval loss, if logged) per step from trainer.state.log_history; returns the figure (06, 07)."""
    import matplotlib.pyplot as plt

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    if train:
        ax.plot(*zip(*train), marker=".", label="training loss")
    if evals:
        ax.plot(*zip(*evals), marker="o", linestyle="--", label="eval loss")
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig
