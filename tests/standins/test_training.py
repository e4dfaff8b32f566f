"""The MiniLM-to-DistilBERT conversion is exact: same hidden states as the BERT it came from."""
import torch
from transformers import BertConfig, BertModel, DistilBertConfig, DistilBertModel

from hftour.standins.training import bert_to_distilbert_state


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
