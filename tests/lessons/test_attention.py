"""The hand-written attention, block and char-level GPT compute what PyTorch's and transformers' GPT-2 compute."""
import pytest
import torch
from torch.nn import functional as F
from transformers import GPT2Config, GPT2LMHeadModel

from hftour.attention import MultiHeadAttention, TransformerBlock, from_gpt2, scaled_dot_product_attention
from hftour.charlm import CharGPT, CharGPTConfig

TOL = 1e-5


@pytest.fixture(scope="module")
def gpt2():
    """A tiny GPT-2 (exact GELU, as our MLP uses, no dropout) with random weights."""
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=50, n_positions=16, n_embd=32, n_layer=2, n_head=4, activation_function="gelu",
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)
    return GPT2LMHeadModel(config).eval()


@pytest.mark.parametrize("causal", [True, False])
def test_scaled_dot_product_attention_matches_pytorch(causal):
    torch.manual_seed(1)
    q, k, v = torch.randn(3, 2, 4, 7, 8).unbind(0)
    ours, weights = scaled_dot_product_attention(q, k, v, causal=causal)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, is_causal=causal), atol=TOL, rtol=0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 4, 7))
    if causal:  # nothing above the diagonal: no position looks at its future
        assert weights.triu(1).abs().max() == 0


def test_attention_block_and_model_match_gpt2(gpt2):
    x = torch.randn(3, 16, 32)
    hf_block = gpt2.transformer.h[0]
    attention = MultiHeadAttention(32, 4).eval()
    attention.load_state_dict(from_gpt2(hf_block.attn.state_dict()))
    torch.testing.assert_close(attention(x)[0], hf_block.attn(x)[0], atol=TOL, rtol=0)
    block = TransformerBlock(32, 4).eval()
    block.load_state_dict(from_gpt2(hf_block.state_dict()))
    torch.testing.assert_close(block(x), hf_block(x), atol=TOL, rtol=0)
    model = CharGPT(CharGPTConfig(vocab_size=50, block_size=16, n_layer=2, n_head=4, n_embd=32)).eval()
    model.load_state_dict(from_gpt2(gpt2.state_dict()))
    ids = torch.randint(0, 50, (3, 16))
    torch.testing.assert_close(model(ids)[0], gpt2(ids).logits, atol=TOL, rtol=0)
    with torch.no_grad():  # a changed weight must show up: the comparison is not vacuous
        model.h[1].mlp.c_fc.bias += 0.1
    assert (model(ids)[0] - gpt2(ids).logits).abs().max() > TOL


def test_attention_weights_shape_and_head_check():
    _, weights = MultiHeadAttention(32, 4)(torch.randn(2, 5, 32))
    assert weights.shape == (2, 4, 5, 5)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(30, 4)
