"""Attention written out in plain PyTorch (notebook 10, and the char-level GPT of hftour.charlm).

Three pieces, each small enough to read in one go:
- scaled_dot_product_attention: softmax(Q Kᵀ / √d) · V, with an optional causal mask;
- MultiHeadAttention: project to queries, keys and values, split into heads, attend, merge, project back;
- TransformerBlock: GPT-2's pre-norm block, x + attention(norm(x)), then x + MLP(norm(x)).

The parameter names follow GPT-2's (c_attn, c_proj, c_fc, ln_1, ln_2), so `from_gpt2` can load the weights of
transformers' GPT-2 modules into these and the tests (and the notebook) can check both compute the same thing.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 causal: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(Q Kᵀ / √d) · V over the last two dimensions; returns (output, attention weights). Notebook 10.

    q: (..., T, d), k and v: (..., S, d). With causal=True query i sees keys 0..i only (its past, never its future).
    """
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., T, S): how well each query matches each key
    if causal:
        t, s = scores.shape[-2:]
        future = torch.ones(t, s, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))  # exp(-inf) = 0: no weight on future positions
    weights = scores.softmax(dim=-1)  # each row sums to 1
    return weights @ v, weights


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention: n_head heads of size n_embd / n_head, side by side. Notebook 10, charlm."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)  # queries, keys and values of every head in one product
        self.c_proj = nn.Linear(n_embd, n_embd)  # mixes the heads' outputs back into one vector per token
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, T, C) -> (output (B, T, C), attention weights (B, n_head, T, T))."""
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=-1)
        # (B, T, C) -> (B, n_head, T, head size): each head attends on its own slice of the channels
        q, k, v = (z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2) for z in (q, k, v))
        y, weights = scaled_dot_product_attention(q, k, v, causal=True)
        y = y.transpose(1, 2).reshape(b, t, c)  # heads side by side again
        return self.dropout(self.c_proj(y)), weights


class MLP(nn.Module):
    """The feed-forward half of a block: widen 4x, GELU, narrow back (applied to each position alone)."""

    def __init__(self, n_embd: int, dropout: float = 0.0):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.act = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.dropout(self.c_proj(self.act(self.c_fc(x))))


class TransformerBlock(nn.Module):
    """GPT-2's block: attention lets tokens look at each other, the MLP thinks about each one; both are residual."""

    def __init__(self, n_embd: int, n_head: int, dropout: float = 0.0):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = MultiHeadAttention(n_embd, n_head, dropout)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = MLP(n_embd, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, C)."""
        x = x + self.attn(self.ln_1(x))[0]
        return x + self.mlp(self.ln_2(x))


# transformers' GPT-2 stores these as Conv1D weights of shape (in, out); nn.Linear wants (out, in).
_CONV1D_WEIGHTS = ("c_attn.weight", "c_proj.weight", "c_fc.weight")


def from_gpt2(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state dict of transformers' GPT-2 (model, block or attention) renamed and transposed for these modules."""
    return {name.removeprefix("transformer."): (w.t() if name.endswith(_CONV1D_WEIGHTS) else w)
            for name, w in state_dict.items()}
