"""A bounded load test of the Hub sandbox: concurrent uploads and downloads through huggingface_hub, nothing lost.

Used by tests/hub/test_hub_load.py; `python -m hftour.hub.loadtest` runs it on a fresh sandbox and prints throughput.
"""
from __future__ import annotations

import hashlib
import random
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class LoadReport:
    """What a load run did: counts, bytes, seconds, and the files it expects on main (path -> sha256)."""

    uploads: int = 0
    downloads: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    seconds: float = 0.0
    expected: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line with the throughput figures."""
        mib = 1024 * 1024
        return (f"{self.uploads} commits ({self.bytes_up / mib:.1f} MiB up) and {self.downloads} downloads "
                f"({self.bytes_down / mib:.1f} MiB down) in {self.seconds:.1f} s: "
                f"{self.uploads / self.seconds:.1f} commits/s, {self.bytes_up / mib / self.seconds:.1f} MiB/s up, "
                f"{self.bytes_down / mib / self.seconds:.1f} MiB/s down")


def run_load(endpoint: str, token: str, repo_id: str, workers: int = 6, rounds: int = 6,
             max_seconds: float = 12.0, seed: int = 0) -> LoadReport:
    """Each worker commits `rounds` files (16 KiB to 3 MiB, some as LFS) to one branch and downloads others' files.

    No parent_commit is sent, so the server must serialise the commits itself; the run stops early at
    `max_seconds`. Downloads check content against sha256; the caller then checks main holds every file.
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    report = LoadReport()
    lock = threading.Lock()
    committed: list[tuple[str, str, str]] = []  # (path, commit id, sha256)
    deadline = time.monotonic() + max_seconds
    cache = Path(tempfile.mkdtemp(prefix="hftour-load-"))

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        api = HfApi(endpoint=endpoint, token=token)
        for round_ in range(rounds):
            if time.monotonic() > deadline:
                return
            size = rng.choice([16 * 1024, 200 * 1024, 1024 * 1024, 3 * 1024 * 1024])
            data = rng.randbytes(size)
            path = f"worker-{index}/file-{round_}" + (".bin" if round_ % 2 else ".txt")
            info = api.create_commit(repo_id, [CommitOperationAdd(path, data)], commit_message=f"w{index} r{round_}")
            digest = hashlib.sha256(data).hexdigest()
            with lock:
                report.uploads += 1
                report.bytes_up += size
                report.expected[path] = digest
                committed.append((path, info.oid, digest))
                pick = rng.choice(committed)
            local = api.hf_hub_download(repo_id, pick[0], revision=pick[1], cache_dir=str(cache / str(index)),
                                        force_download=True)
            content = Path(local).read_bytes()
            with lock:
                report.downloads += 1
                report.bytes_down += len(content)
                if hashlib.sha256(content).hexdigest() != pick[2]:
                    report.errors.append(f"{pick[0]}@{pick[1][:7]} came back different")

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(worker, i) for i in range(workers)]:
            try:
                future.result()
            except Exception as err:  # counted, so the caller sees every failure
                report.errors.append(f"{type(err).__name__}: {err}")
    report.seconds = time.perf_counter() - start
    return report


def main() -> None:
    """Run the load test on a fresh sandbox in a temp folder and print the summary."""
    from huggingface_hub import HfApi, constants

    from .server import BackgroundServer
    from .users import UserDB

    constants.HF_HUB_OFFLINE, constants.HF_HUB_DISABLE_XET = False, True
    with tempfile.TemporaryDirectory() as data, BackgroundServer(data) as server:
        token = UserDB(data).add_user("load")
        HfApi(endpoint=server.url, token=token).create_repo("load/test")
        report = run_load(server.url, token, "load/test")
        print(report.summary())
        if report.errors:
            print("errors:", *report.errors, sep="\n  ")


if __name__ == "__main__":
    main()
