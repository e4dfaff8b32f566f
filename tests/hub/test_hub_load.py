"""Load test: concurrent commits and downloads against the sandbox lose nothing (throughput is printed, not asserted)."""
import hashlib

import pytest
from huggingface_hub import HfApi, constants

from hftour.hub.loadtest import run_load
from hftour.hub.server import BackgroundServer
from hftour.hub.users import UserDB

# huggingface_hub itself PUTs LFS content with the older httpx `data=` spelling
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


def test_concurrent_uploads_and_downloads_lose_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    with BackgroundServer(tmp_path / "store") as server:
        token = UserDB(tmp_path / "store").add_user("load")
        api = HfApi(endpoint=server.url, token=token)
        api.create_repo("load/test")
        report = run_load(server.url, token, "load/test", workers=6, rounds=6, max_seconds=12)
        with capsys.disabled():
            print("\nhub sandbox load test:", report.summary())
        assert not report.errors, report.errors
        assert report.uploads >= 6 and report.downloads == report.uploads
        commits = api.list_repo_commits("load/test")
        assert len(commits) == report.uploads + 1  # every commit is on main, none was overwritten
        tree = {f.path: f for f in api.list_repo_tree("load/test", recursive=True) if f.path in report.expected}
        assert set(tree) == set(report.expected)
        for path, digest in report.expected.items():
            stored = (tmp_path / "store" / "blobs" / digest[:2] / digest)
            assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
            assert tree[path].size == stored.stat().st_size
