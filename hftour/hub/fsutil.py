"""Small file helpers for the Hub sandbox: atomic writes and inter-process locks."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half of it (store and users)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, value: Any) -> None:
    """atomic_write_bytes for a JSON document, pretty-printed so the store stays readable by hand."""
    atomic_write_bytes(path, (json.dumps(value, indent=1, sort_keys=True) + "\n").encode())


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON document at `path`, or `default` when the file does not exist."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default


@contextlib.contextmanager
def file_lock(path: Path, make_parent: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed); works across threads and processes.

    If the file is moved away while we wait (a repo folder deleted under us), the lock is taken again on
    what now lives at `path`; with make_parent=False a vanished folder raises FileNotFoundError instead.
    """
    if make_parent:
        path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        with open(path, "a+b") as handle:  # each holder opens its own description, so flock also excludes threads
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                if _same_file(handle, path):
                    yield
                    return
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _same_file(handle: Any, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def remove_leftovers(root: Path) -> int:
    """Delete the temp files an interrupted atomic write leaves (`.NAME.XXXX.tmp`) under `root`; returns how many."""
    count = 0
    for path in root.rglob(".*.tmp"):
        if path.is_file():
            path.unlink(missing_ok=True)
            count += 1
    return count
