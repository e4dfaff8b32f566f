"""hftour.textstats: repetition measures on texts whose counts are worked out by hand."""
from hftour import textstats


def test_distinct_2():
    # "a b a b a": bigrams (a b) (b a) (a b) (b a) -> 2 unique of 4
    assert textstats.distinct_n("a b a b a", 2) == 0.5
    assert textstats.distinct_n("the cat sat on the mat", 2) == 1.0
    assert textstats.distinct_n("alone", 2) == 0.0


def test_repeated_ngram_share():
    # 4-grams of "x y z w x y z w": 5 of them; the last one (x y z w) repeats the first -> 1/5
    assert textstats.repeated_ngram_share("x y z w x y z w", 4) == 0.2
    assert textstats.repeated_ngram_share("one two three four five", 4) == 0.0
    # "a a a a a a": 3 four-grams, all identical -> the 2nd and 3rd repeat
    assert abs(textstats.repeated_ngram_share("a a a a a a", 4) - 2 / 3) < 1e-12


def test_compare_strategies_table():
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    class WordTokenizer:  # one token per character code, enough for generate and decode
        eos_token_id = 0

        def __call__(self, text, return_tensors=None):
            from transformers import BatchEncoding
            return BatchEncoding({"input_ids": torch.tensor([[ord(c) % 49 + 1 for c in text]])})

        def decode(self, ids, skip_special_tokens=False):
            return " ".join(str(int(i)) for i in ids)

    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=50, n_positions=64, n_embd=16, n_layer=1, n_head=2)).eval()
    table = textstats.compare_strategies(model, WordTokenizer(), ["abc", "hello"],
                                         {"greedy": {}, "beam": {"num_beams": 3}}, max_new_tokens=6)
    assert list(table.index) == ["greedy", "beam"]
    assert list(table.columns) == ["new tokens", "distinct-2", "repeated 4-grams", "seconds"]
    assert (table["new tokens"] <= 6).all()
    assert ((table["distinct-2"] >= 0) & (table["distinct-2"] <= 1)).all()
