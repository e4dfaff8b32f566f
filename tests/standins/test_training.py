"""The MiniLM-to-DistilBERT conversion is exact: same hidden states as the BERT it came from."""
import torch
from transformers import BertConfig, BertModel, DistilBertConfig, DistilBertModel

from hftour.standins.training import bert_to_distilbert_state, train_loop


def test_conversion_matches_bert_on_a_tiny_config():
    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                intermediate_size=64, max_position_embeddings=40), add_pooling_layer=False).eval()
    distil = DistilBertModel(DistilBertConfig(vocab_size=50, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                              max_position_embeddings=40)).eval()
    distil.load_state_dict(bert_to_distilbert_state(bert))
    ids = torch.randint(0, 50, (2, 9))
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    with torch.no_grad():
        expected = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        got = distil(input_ids=ids, attention_mask=mask).last_hidden_state
    assert torch.allclose(expected, got, atol=1e-5)


def test_train_loop_with_own_loss_and_parameter_groups():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    inputs, targets = torch.randn(8, 3), torch.randn(8, 1)
    bias_before, weight_before = model.bias.detach().clone(), model.weight.detach().clone()
    seen = []

    def loss_of(model, rows):  # batches are index lists, as the masked-LM recipe passes them
        seen.append(rows)
        return torch.nn.functional.mse_loss(model(inputs[rows]), targets[rows])

    losses = train_loop(model, lambda: iter([[0, 1, 2, 3], [4, 5, 6, 7]]), epochs=3, lr=0.1, desc="tiny",
                        progress=False, loss_of=loss_of,
                        param_groups=[{"params": [model.weight]}, {"params": [model.bias], "lr": 0.0}])
    assert len(losses) == 6 and len(seen) == 6  # counting the batches does not call the loss
    assert torch.equal(model.bias, bias_before)  # its group's learning rate is 0 (weight decay scales with lr)
    assert not torch.equal(model.weight, weight_before)
    assert losses[-1] < losses[0]
    assert not model.training
