"""hftour.decoding: contrastive search and diverse beam search against transformers' own decoding and plain loops."""
import pytest
import torch
import torch.nn.functional as F

from hftour import decoding

EOS = 13  # a token this random model does produce, so some beams finish early


@pytest.fixture(scope="module")
def model():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    config = GPT2Config(vocab_size=40, n_positions=64, n_embd=32, n_layer=2, n_head=2, bos_token_id=EOS,
                        eos_token_id=EOS, tie_word_embeddings=False)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():  # an untied, larger output layer: a random model that does not just copy its input
        model.lm_head.weight.normal_(0, 1.0)
    return model


PROMPTS = [torch.tensor([[1, 2, 3, 4]]), torch.tensor([[5, 9, 11]]), torch.tensor([[20, 21, 22, 23, 24, 25]])]


def gen(model, ids, **kwargs):
    return model.generate(ids, attention_mask=torch.ones_like(ids), pad_token_id=EOS, **kwargs)


@pytest.mark.parametrize("prompt", PROMPTS)
def test_contrastive_with_alpha_zero_is_greedy(model, prompt):
    greedy = gen(model, prompt, max_new_tokens=12, do_sample=False)
    contrastive = gen(model, prompt, max_new_tokens=12, penalty_alpha=0.0, top_k=4,
                      custom_generate=decoding.contrastive_search)
    assert torch.equal(greedy, contrastive)


def reference_contrastive(model, ids: list[int], alpha: float, k: int, new_tokens: int) -> list[int]:
    """Contrastive search one candidate at a time, straight from the paper's formula."""
    for _ in range(new_tokens):
        with torch.no_grad():
            probs = F.softmax(model(torch.tensor([ids])).logits[0, -1], dim=-1)
        best, best_score = None, None
        for p, v in zip(*probs.topk(k)):
            with torch.no_grad():
                h = model(torch.tensor([ids + [int(v)]]), output_hidden_states=True).hidden_states[-1][0]
            penalty = max(F.cosine_similarity(h[-1], h[j], dim=0).item() for j in range(len(ids)))
            score = (1 - alpha) * p.item() - alpha * penalty
            if best_score is None or score > best_score:
                best, best_score = int(v), score
        ids = ids + [best]
        if best == EOS:
            break
    return ids


@pytest.mark.parametrize("prompt", PROMPTS)
def test_contrastive_matches_reference_loop(model, prompt):
    out = gen(model, prompt, max_new_tokens=10, penalty_alpha=0.6, top_k=4, custom_generate=decoding.contrastive_search)
    assert out[0].tolist() == reference_contrastive(model, prompt[0].tolist(), 0.6, 4, 10)


def test_contrastive_penalty_changes_the_output(model):
    prompt = PROMPTS[0]
    greedy = gen(model, prompt, max_new_tokens=12)
    contrastive = gen(model, prompt, max_new_tokens=12, penalty_alpha=0.9, top_k=6,
                      custom_generate=decoding.contrastive_search)
    assert not torch.equal(greedy, contrastive)


def test_contrastive_left_padded_batch_matches_single_rows(model):
    a, b = [1, 2, 3, 4, 5], [9, 8]
    ids = torch.tensor([a, [EOS] * 3 + b])
    mask = torch.tensor([[1] * 5, [0, 0, 0, 1, 1]])
    batch = model.generate(ids, attention_mask=mask, pad_token_id=EOS, max_new_tokens=8, penalty_alpha=0.6, top_k=4,
                           custom_generate=decoding.contrastive_search)
    for row, prompt in zip(batch, (a, b)):
        single = gen(model, torch.tensor([prompt]), max_new_tokens=8, penalty_alpha=0.6, top_k=4,
                     custom_generate=decoding.contrastive_search)[0].tolist()
        new = single[len(prompt):]
        assert row.tolist()[ids.shape[1]:ids.shape[1] + len(new)] == new


def test_the_tiny_model_finishes_some_beams_early(model):
    out = gen(model, PROMPTS[0], max_new_tokens=15, num_beams=4, num_return_sequences=4)
    assert any(EOS in row[PROMPTS[0].shape[1]:-1].tolist() for row in out)


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("options", [
    dict(num_beams=4),
    dict(num_beams=3, early_stopping=True),
    dict(num_beams=4, length_penalty=0.0, num_return_sequences=3),
    dict(num_beams=2, length_penalty=2.0, early_stopping="never"),
    dict(num_beams=4, no_repeat_ngram_size=2, num_return_sequences=2),
])
def test_one_group_is_beam_search(model, prompt, options):
    library = gen(model, prompt, max_new_tokens=15, **options)
    ours = gen(model, prompt, max_new_tokens=15, num_beam_groups=1, custom_generate=decoding.group_beam_search,
               **options)
    assert torch.equal(library, ours)


def test_one_group_is_beam_search_on_a_batch(model):
    ids = torch.tensor([[1, 2, 3, 4], [20, 21, 22, 23]])
    kwargs = dict(attention_mask=torch.ones_like(ids), pad_token_id=EOS, max_new_tokens=12, num_beams=3,
                  num_return_sequences=2)
    assert torch.equal(model.generate(ids, **kwargs),
                       model.generate(ids, custom_generate=decoding.group_beam_search, **kwargs))


def test_groups_without_penalty_all_follow_greedy(model):
    prompt = PROMPTS[1]
    greedy = gen(model, prompt, max_new_tokens=10)
    groups = gen(model, prompt, max_new_tokens=10, num_beams=3, num_beam_groups=3, diversity_penalty=0.0,
                 num_return_sequences=3, custom_generate=decoding.group_beam_search)
    for row in groups:
        assert row[:greedy.shape[1]].tolist() == greedy[0].tolist()


def test_diversity_penalty_makes_groups_start_differently(model):
    prompt = PROMPTS[0]
    out = gen(model, prompt, max_new_tokens=10, num_beams=4, num_beam_groups=4, diversity_penalty=100.0,
              num_return_sequences=4, custom_generate=decoding.group_beam_search)
    first_tokens = out[:, prompt.shape[1]].tolist()
    assert len(set(first_tokens)) == 4


def test_beams_must_split_into_groups(model):
    with pytest.raises(ValueError, match="divisible"):
        gen(model, PROMPTS[0], max_new_tokens=3, num_beams=5, num_beam_groups=2, diversity_penalty=1.0,
            custom_generate=decoding.group_beam_search)
