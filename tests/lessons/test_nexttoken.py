"""hftour.nexttoken: reshaped distributions match what sampling keeps, computed independently here."""
import torch

from hftour import nexttoken

LOGITS = torch.tensor([3.0, 2.5, 1.0, 0.5, 0.0, -1.0])


def test_plain_and_temperature():
    assert torch.allclose(nexttoken.reshape(LOGITS), LOGITS.softmax(-1))
    assert torch.allclose(nexttoken.reshape(LOGITS, temperature=0.5), (LOGITS / 0.5).softmax(-1))
    # a low temperature sharpens: the top token gains probability
    assert nexttoken.reshape(LOGITS, temperature=0.7)[0] > nexttoken.reshape(LOGITS)[0]
    assert nexttoken.reshape(LOGITS, temperature=1.3)[0] < nexttoken.reshape(LOGITS)[0]


def test_top_k_keeps_k_tokens_renormalised():
    probs = nexttoken.reshape(LOGITS, top_k=2)
    assert (probs > 0).sum() == 2
    assert torch.allclose(probs[:2], LOGITS[:2].softmax(-1))


def test_top_p_keeps_the_smallest_set_reaching_p():
    p = LOGITS.softmax(-1)
    cumulative = p.cumsum(-1)  # LOGITS is sorted, so this is the nucleus order
    needed = int((cumulative < 0.9).sum()) + 1  # tokens until the mass reaches 0.9
    probs = nexttoken.reshape(LOGITS, top_p=0.9)
    assert (probs > 0).sum() == needed
    assert torch.allclose(probs[:needed], p[:needed] / p[:needed].sum())


def test_plot_has_one_panel_per_setting():
    import matplotlib
    matplotlib.use("Agg")

    class Tok:
        def decode(self, ids):
            return f"t{ids[0]}"

    fig = nexttoken.plot_next_token_distribution(LOGITS, Tok(), {"plain": {}, "top-k 2": {"top_k": 2}}, shown=4)
    assert len(fig.axes) == 2
    assert "2 tokens possible" in fig.axes[1].get_title()
