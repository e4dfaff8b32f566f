"""hftour.charlm: the character tokenizer, batches, schedule, training loop and the command line (tiny configs)."""
import re
import subprocess
import sys

import pytest
import torch

from hftour import charlm
from hftour.charlm import CharGPT, CharGPTConfig, CharTokenizer, TrainConfig, evaluate, learning_rate, random_blocks, train

TEXT = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n" * 40


def test_tokenizer_round_trip_and_source_fixture():
    tokenizer = CharTokenizer("hoje você está focado em aprender.")
    assert len(tokenizer) == 19 and tokenizer.stoi[" "] == 0 and tokenizer.stoi["v"] == 16
    assert tokenizer.encode("vamos") == [16, 2, 9, 11, 14]
    assert tokenizer.decode(tokenizer.encode("vamos aprender")) == "vamos aprender"


def test_random_blocks_targets_are_inputs_shifted():
    data = torch.arange(100)
    x, y = random_blocks(data, batch_size=5, block_size=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y, x + 1)  # data[i] = i, so the next token is always one more


def test_learning_rate_schedule():
    config = TrainConfig(iters=1000, lr=1e-3, warmup=100)
    rates = [learning_rate(s, config) for s in range(1000)]
    assert rates[0] < rates[50] < rates[99] <= 1e-3
    assert all(a >= b for a, b in zip(rates[100:], rates[101:]))  # cosine: never rises after warm-up
    assert rates[-1] == pytest.approx(1e-4, rel=0.01)


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    tokenizer = CharTokenizer(TEXT)
    data = torch.tensor(tokenizer.encode(TEXT))
    model = CharGPT(CharGPTConfig(len(tokenizer), block_size=16, n_layer=1, n_head=2, n_embd=32))
    before = evaluate(model, data, batches=5, batch_size=8)
    result = train(model, data, TrainConfig(iters=80, batch_size=8, lr=3e-3, warmup=10))
    after = evaluate(model, data, batches=5, batch_size=8)
    assert len(result.losses) == 80 and result.tokens == 80 * 8 * 16 and result.tokens_per_second > 0
    assert after < before - 1.0


@pytest.fixture
def corpus(tmp_path):
    (tmp_path / "train.txt").write_text(TEXT)
    (tmp_path / "val.txt").write_text(TEXT[:500])
    return tmp_path


def test_cli_prints_val_loss_and_throughput_last(corpus):
    out = subprocess.run([sys.executable, "-m", "hftour.charlm", "--iters", "5", "--batch-size", "4",
                          "--block-size", "16", "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
                          "--eval-batches", "3", "--corpus", str(corpus)], capture_output=True, text=True, check=True)
    last_two = out.stdout.strip().splitlines()[-2:]
    assert re.fullmatch(r"val loss \d+\.\d{4}", last_two[0]), last_two
    assert re.fullmatch(r"tokens/s \d+", last_two[1]), last_two


def test_cli_dumps_the_corpus_it_trains_on(tmp_path):
    assert charlm.main(["--dump-corpus", str(tmp_path)]) == 0
    train_text, val_text = charlm.corpus_texts()
    assert (tmp_path / "train.txt").read_text() == train_text
    assert (tmp_path / "val.txt").read_text() == val_text


@pytest.mark.parametrize("args, message", [
    (["--n-head", "3"], "divisible"),
    (["--iters", "0"], "greater than 0"),
    (["--lr", "fast"], "not a number"),
    (["--dropout", "1.5"], "dropout"),
    (["--block-size", "4000"], "too short"),
    (["--bogus"], "unrecognized"),
])
def test_cli_bad_input_is_one_line(corpus, capsys, args, message):
    assert charlm.main(["--corpus", str(corpus), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_cli_missing_corpus_folder(tmp_path, capsys):
    assert charlm.main(["--corpus", str(tmp_path / "nowhere")]) == 2
    assert "train.txt" in capsys.readouterr().err
