"""LineByLineTextDataset (removed from transformers 5): one example per non-empty line, special tokens, truncation."""
from tokenizers import ByteLevelBPETokenizer
from transformers import RobertaTokenizerFast

from hftour.linedataset import LineByLineTextDataset


def test_line_by_line(tmp_path):
    lines = ["Now is the winter of our discontent", "", "   ", "Made glorious summer by this sun of York;"]
    text = tmp_path / "lines.txt"
    text.write_text("\n".join(lines) + "\n")
    bpe = ByteLevelBPETokenizer()
    bpe.train([str(text)], vocab_size=300, min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(tmp_path))
    tokenizer = RobertaTokenizerFast(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"))
    dataset = LineByLineTextDataset(tokenizer=tokenizer, file_path=text, block_size=128)
    assert len(dataset) == 2  # the empty and the blank line are skipped
    first = dataset[0]["input_ids"]
    assert first[0] == tokenizer.bos_token_id == 0 and first[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(first, skip_special_tokens=True) == lines[0]
    short = LineByLineTextDataset(tokenizer=tokenizer, file_path=text, block_size=5, max_lines=1)
    assert len(short) == 1 and len(short[0]["input_ids"]) == 5
