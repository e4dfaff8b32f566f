"""Training over a compact vocabulary is training the full-vocabulary model whose unused rows are equal."""
import math

import torch
from transformers import GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

from hftour.standins.compact_vocab import CompactVocabulary

FULL = 50


def _gpt2(vocab_size):
    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=vocab_size, n_positions=16, n_embd=16, n_layer=1, n_head=2)).eval()


def test_most_frequent_keeps_the_specials_and_the_commonest_ids():
    vocab = CompactVocabulary.most_frequent([3, 3, 3, 7, 7, 9, 11], size=3, full_size=FULL, always=[49])
    assert vocab.kept == [3, 7, 49] and len(vocab) == 4 and vocab.rest_count == FULL - 3
    assert vocab.compact(torch.tensor([3, 49, 9, 0])).tolist() == [0, 2, 3, 3]


def _full_loss(compact_loss, vocab, targets):
    """The full model's mean loss: each rare target costs log(M) more (one of M equally likely rest ids)."""
    rare = (vocab.compact(targets) == vocab.rest).float().mean()
    return compact_loss + rare * math.log(vocab.rest_count)


def test_compact_loss_with_the_rest_offset_is_the_expanded_models_loss():
    vocab = CompactVocabulary([1, 4, 5, 8, 20], FULL)
    model = _gpt2(len(vocab))
    text = torch.tensor([[1, 4, 33, 5, 8, 8, 41, 20]])  # 33 and 41 are not kept
    hook = vocab.add_rest_offset(model)
    with torch.no_grad():
        compact_loss = model(input_ids=vocab.compact(text), labels=vocab.compact(text)).loss
    hook.remove()
    vocab.expand(model)
    assert model.config.vocab_size == FULL and model.lm_head.weight is model.transformer.wte.weight
    with torch.no_grad():
        full = model(input_ids=text, labels=text)
    torch.testing.assert_close(full.loss, _full_loss(compact_loss, vocab, text[:, 1:]))
    probs = full.logits.softmax(-1)[0, -1]
    assert torch.equal(probs[33], probs[41])  # every rest id gets the same share
    mean, largest = vocab.rest_probability(model, [text])
    assert 0 < largest < mean < 1


def test_shrink_undoes_expand():
    vocab = CompactVocabulary([2, 6, 7], FULL)
    model = _gpt2(len(vocab))
    before = model.transformer.wte.weight.detach().clone()
    vocab.expand(model)
    vocab.shrink(model)
    assert torch.equal(model.transformer.wte.weight, before) and model.config.vocab_size == len(vocab)


def test_t5_expands_with_tied_embeddings():
    vocab = CompactVocabulary([0, 1, 2, 10], FULL)
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(T5Config(vocab_size=len(vocab), d_model=16, d_kv=4, d_ff=32, num_layers=1,
                                                num_heads=2, decoder_start_token_id=0)).eval()
    source, target = torch.tensor([[10, 30, 1]]), torch.tensor([[10, 44, 1]])
    hook = vocab.add_rest_offset(model)
    with torch.no_grad():
        compact_loss = model(input_ids=vocab.compact(source), labels=vocab.compact(target)).loss
    hook.remove()
    vocab.expand(model)
    with torch.no_grad():
        full_loss = model(input_ids=source, labels=target).loss
    torch.testing.assert_close(full_loss, _full_loss(compact_loss, vocab, target))
    assert model.lm_head.weight.shape[0] == FULL and model.encoder.embed_tokens.weight is model.shared.weight
