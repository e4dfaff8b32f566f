"""The sandbox driven by the real huggingface_hub client (and raw HTTP for what a client would never send)."""
import hashlib
import os

import httpx
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

from hftour.hub.server import BackgroundServer
from hftour.hub.store import HubStore
from hftour.hub.users import UserDB

# huggingface_hub itself PUTs LFS content with the older httpx `data=` spelling
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A running sandbox with users alice (write + read token), bob (write) and alice's org 'lab'."""
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)
    users = UserDB(tmp_path / "store")
    tokens = {"alice": users.add_user("alice", orgs=("lab",)), "alice-read": users.add_user("alice", read_only=True),
              "bob": users.add_user("bob")}
    with BackgroundServer(tmp_path / "store") as server:
        server.tokens = tokens
        server.cache = str(tmp_path / "cache")
        server.api = {name: HfApi(endpoint=server.url, token=token) for name, token in tokens.items()}
        server.anon = HfApi(endpoint=server.url, token=False)
        yield server


def test_whoami_and_bad_token(hub):
    me = hub.api["alice"].whoami()
    assert me["name"] == "alice" and me["auth"]["accessToken"]["role"] == "write"
    assert [o["name"] for o in me["orgs"]] == ["lab"]
    assert hub.api["alice-read"].whoami()["auth"]["accessToken"]["role"] == "read"
    response = httpx.get(f"{hub.url}/api/whoami-v2", headers={"Authorization": "Bearer hf_forged"})
    assert response.status_code == 401
    bad = HfApi(endpoint=hub.url, token="hf_forged")
    with pytest.raises(HfHubHTTPError) as err:
        bad.model_info("alice/anything")
    assert err.value.response.status_code == 401


def test_create_repo_kinds_visibility_and_exist_ok(hub):
    api = hub.api["alice"]
    url = api.create_repo("demo")
    assert url.repo_id == "alice/demo" and url.endpoint == hub.url
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo("demo")
    assert err.value.response.status_code == 409
    assert api.create_repo("demo", exist_ok=True).repo_id == "alice/demo"
    assert api.create_repo("lab/shared").repo_id == "lab/shared"
    data = api.create_repo("data", repo_type="dataset", private=True)
    assert data.repo_type == "dataset"
    assert api.dataset_info("alice/data").private is True
    with pytest.raises(HfHubHTTPError) as err:
        hub.api["bob"].create_repo("alice/intruder")
    assert err.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError):
        hub.api["alice-read"].create_repo("readonly")


def test_upload_list_download_every_revision(hub, tmp_path):
    api = hub.api["alice"]
    api.create_repo("demo")
    first = api.upload_file(path_or_fileobj=b"v1", path_in_repo="nested/deep/notes.txt", repo_id="alice/demo",
                            commit_message="notes v1", commit_description="the first version")
    assert first.oid and first.commit_url.endswith(first.oid) and first.commit_message == "notes v1"
    folder = tmp_path / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text('{"a": 1}')
    (folder / "sub" / "weights.bin").write_bytes(b"\x00\x01" * 100)
    api.upload_folder(folder_path=folder, repo_id="alice/demo", commit_message="add folder")
    api.create_tag("alice/demo", tag="v1")
    big = os.urandom(12 * 1024 * 1024)
    api.upload_file(path_or_fileobj=big, path_in_repo="big/blob.bin", repo_id="alice/demo", commit_message="12 MiB")
    api.upload_file(path_or_fileobj=b"v2", path_in_repo="nested/deep/notes.txt", repo_id="alice/demo",
                    commit_message="notes v2")
    api.delete_file("config.json", repo_id="alice/demo")

    files = api.list_repo_files("alice/demo")
    assert files == [".gitattributes", "big/blob.bin", "nested/deep/notes.txt", "sub/weights.bin"]
    assert "config.json" in api.list_repo_files("alice/demo", revision="v1")
    tree = {e.path: e for e in api.list_repo_tree("alice/demo", recursive=True)}
    assert tree["big/blob.bin"].size == len(big) and tree["big/blob.bin"].lfs is not None
    assert type(tree["nested"]).__name__ == "RepoFolder"
    top = [e.path for e in api.list_repo_tree("alice/demo")]
    assert top == ["big", "nested", "sub", ".gitattributes"]
    info = api.model_info("alice/demo")
    assert info.sha == api.list_repo_commits("alice/demo")[0].commit_id
    assert sorted(s.rfilename for s in info.siblings) == files

    commits = api.list_repo_commits("alice/demo")
    assert [c.title for c in commits][:3] == ["Delete config.json with huggingface_hub", "notes v2", "12 MiB"]
    assert commits[-1].title == "initial commit" and commits[-2].message == "the first version"
    cache = hub.cache
    dl = api.hf_hub_download
    assert open(dl("alice/demo", "nested/deep/notes.txt", cache_dir=cache)).read() == "v2"
    assert open(dl("alice/demo", "nested/deep/notes.txt", revision="v1", cache_dir=cache)).read() == "v1"
    assert open(dl("alice/demo", "nested/deep/notes.txt", revision=first.oid, cache_dir=cache)).read() == "v1"
    assert open(dl("alice/demo", "big/blob.bin", cache_dir=cache), "rb").read() == big
    snap = api.snapshot_download("alice/demo", revision="v1", cache_dir=cache)
    assert sorted(os.listdir(snap)) == [".gitattributes", "config.json", "nested", "sub"]
    with pytest.raises(RevisionNotFoundError):
        dl("alice/demo", "nested/deep/notes.txt", revision="no-such-branch", cache_dir=cache)


def test_branches_tags_and_create_commit(hub):
    api = hub.api["alice"]
    api.create_repo("demo")
    api.create_branch("alice/demo", branch="experiment")
    api.create_commit("alice/demo", operations=[CommitOperationAdd("x.txt", b"on a branch")],
                      commit_message="try", revision="experiment")
    api.create_tag("alice/demo", tag="exp-1", revision="experiment", tag_message="first try")
    refs = api.list_repo_refs("alice/demo")
    assert sorted(b.name for b in refs.branches) == ["experiment", "main"] and [t.name for t in refs.tags] == ["exp-1"]
    assert "x.txt" not in api.list_repo_files("alice/demo")
    assert "x.txt" in api.list_repo_files("alice/demo", revision="exp-1")
    with pytest.raises(HfHubHTTPError) as err:
        api.create_branch("alice/demo", branch="experiment")
    assert err.value.response.status_code == 409
    api.create_branch("alice/demo", branch="experiment", exist_ok=True)
    api.delete_branch("alice/demo", branch="experiment")
    assert "x.txt" in api.list_repo_files("alice/demo", revision="exp-1")  # the commit outlives its branch


def test_access_rules(hub):
    hub.api["alice"].create_repo("open")
    hub.api["alice"].create_repo("secret", private=True)
    hub.api["alice"].upload_file(path_or_fileobj=b"hi", path_in_repo="a.txt", repo_id="alice/open", commit_message="a")
    assert hub.anon.list_repo_files("alice/open") == [".gitattributes", "a.txt"]
    assert hub.api["alice-read"].list_repo_files("alice/secret") == [".gitattributes"]
    for api in (hub.anon, hub.api["bob"]):
        with pytest.raises(RepositoryNotFoundError):
            api.model_info("alice/secret")
        with pytest.raises(RepositoryNotFoundError):
            api.hf_hub_download("alice/secret", ".gitattributes", cache_dir=hub.cache)
    for api in (hub.anon, hub.api["bob"], hub.api["alice-read"]):
        with pytest.raises(HfHubHTTPError) as err:
            api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/open", commit_message="no")
        assert err.value.response.status_code in (401, 403)
    assert hub.anon.list_repo_files("alice/open") == [".gitattributes", "a.txt"]


def test_gated_repo_files_download_only_for_its_owner(hub):
    alice = hub.api["alice"]
    alice.create_repo("lab/gated-model")
    alice.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id="lab/gated-model", commit_message="a")
    alice.update_repo_settings("lab/gated-model", gated="auto")
    assert hub.anon.model_info("lab/gated-model").gated == "auto"  # the repo page stays public, as on the Hub
    assert alice.hf_hub_download("lab/gated-model", "config.json", cache_dir=hub.cache)  # organisation member
    for name, api in (("anon", hub.anon), ("bob", hub.api["bob"])):  # nobody else: no access requests to approve
        with pytest.raises(GatedRepoError):
            api.hf_hub_download("lab/gated-model", "config.json", cache_dir=f"{hub.cache}-{name}")
    bad = httpx.put(f"{hub.url}/api/models/lab/gated-model/settings", json={"gated": "sometimes"},
                    headers={"Authorization": f"Bearer {hub.tokens['alice']}"})
    assert bad.status_code == 400 and "gated" in bad.text
    alice.update_repo_settings("lab/gated-model", gated=False)
    assert hub.api["bob"].hf_hub_download("lab/gated-model", "config.json", cache_dir=f"{hub.cache}-bob")


def test_stale_parent_commit_is_refused_with_412(hub):
    api = hub.api["alice"]
    api.create_repo("demo")
    base = api.model_info("alice/demo").sha
    api.create_commit("alice/demo", [CommitOperationAdd("a.txt", b"1")], commit_message="one", parent_commit=base)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_commit("alice/demo", [CommitOperationAdd("a.txt", b"2")], commit_message="two", parent_commit=base)
    assert err.value.response.status_code == 412
    assert api.list_repo_commits("alice/demo")[0].title == "one"


def test_traversal_is_refused(hub):
    api = hub.api["alice"]
    api.create_repo("demo")
    auth = {"Authorization": f"Bearer {hub.tokens['alice']}"}
    for raw in ["/alice/demo/resolve/main/..%2F..%2F..%2Fusers.json", "/alice/demo/resolve/main/%2e%2e/users.json",
                "/alice/demo/resolve/main/a%5c..%5c..%5cusers.json", "/api/models/alice/..%2F..%2Fusers.json/tree/main",
                "/..%2Fusers.json/x/resolve/main/a", "/alice/demo/resolve/main/%252e%252e%252fusers.json"]:
        response = httpx.get(hub.url + raw, headers=auth)
        assert response.status_code in (400, 404), raw
        assert b"sha256" not in response.content, raw
    for path in ["../escape.txt", "/abs.txt", "a/../../b.txt", "a%2F..%2Fb"]:
        body = ('{"key": "header", "value": {"summary": "evil"}}\n'
                '{"key": "file", "value": {"path": "%s", "content": "eA==", "encoding": "base64"}}\n' % path)
        response = httpx.post(f"{hub.url}/api/models/alice/demo/commit/main", content=body, headers=auth)
        assert response.status_code == 400, path
    with pytest.raises(HfHubHTTPError):
        api.create_branch("alice/demo", branch="../../refs")
    assert api.list_repo_files("alice/demo") == [".gitattributes"]


def test_malformed_or_interrupted_commits_leave_the_previous_revision(hub, monkeypatch):
    api = hub.api["alice"]
    api.create_repo("demo")
    good = api.upload_file(path_or_fileobj=b"good", path_in_repo="a.txt", repo_id="alice/demo", commit_message="ok")
    auth = {"Authorization": f"Bearer {hub.tokens['alice']}"}
    truncated = ('{"key": "header", "value": {"summary": "cut"}}\n'
                 '{"key": "file", "value": {"path": "a.txt", "content": "YmFk", "enc')
    response = httpx.post(f"{hub.url}/api/models/alice/demo/commit/main", content=truncated, headers=auth)
    assert response.status_code == 400

    def crash(*args, **kwargs):
        raise OSError("power cut while moving the branch")

    monkeypatch.setattr(HubStore, "_write_refs", crash)
    with pytest.raises(HfHubHTTPError) as err:
        api.upload_file(path_or_fileobj=b"lost", path_in_repo="a.txt", repo_id="alice/demo", commit_message="lost")
    assert err.value.response.status_code == 500
    monkeypatch.undo()
    assert api.model_info("alice/demo").sha == good.oid
    path = api.hf_hub_download("alice/demo", "a.txt", cache_dir=hub.cache, force_download=True)
    assert open(path).read() == "good"


def test_everything_persists_across_restarts(hub, tmp_path):
    api = hub.api["alice"]
    api.create_repo("demo", private=True)
    old = api.upload_file(path_or_fileobj=b"old", path_in_repo="f.txt", repo_id="alice/demo", commit_message="old")
    api.create_tag("alice/demo", tag="v0")
    api.upload_file(path_or_fileobj=b"new", path_in_repo="f.txt", repo_id="alice/demo", commit_message="new")
    hub.stop()
    with BackgroundServer(tmp_path / "store") as again:
        api2 = HfApi(endpoint=again.url, token=hub.tokens["alice"])
        assert api2.whoami()["name"] == "alice"
        assert [c.title for c in api2.list_repo_commits("alice/demo")] == ["new", "old", "initial commit"]
        for revision, text in (("main", "new"), ("v0", "old"), (old.oid, "old")):
            path = api2.hf_hub_download("alice/demo", "f.txt", revision=revision, cache_dir=str(tmp_path / "c2"))
            assert open(path).read() == text
        with pytest.raises(RepositoryNotFoundError):
            HfApi(endpoint=again.url, token=False).model_info("alice/demo")


def test_unknown_endpoints_answer_404_and_xet_is_declined(hub):
    hub.api["alice"].create_repo("demo")
    assert httpx.get(f"{hub.url}/api/spaces-of-the-moon").status_code == 404
    response = httpx.get(f"{hub.url}/api/models/alice/demo/xet-write-token/main",
                         headers={"Authorization": f"Bearer {hub.tokens['alice']}"})
    assert response.status_code == 501 and "HF_HUB_DISABLE_XET" in response.json()["error"]


def test_byte_ranges_and_etags(hub):
    api = hub.api["alice"]
    api.create_repo("demo")
    data = bytes(range(256)) * 8192  # 2 MiB, stored as LFS (binary)
    api.upload_file(path_or_fileobj=data, path_in_repo="w.bin", repo_id="alice/demo", commit_message="w")
    api.upload_file(path_or_fileobj=b"plain text", path_in_repo="t.txt", repo_id="alice/demo", commit_message="t")
    url = f"{hub.url}/alice/demo/resolve/main/w.bin"
    part = httpx.get(url, headers={"Range": "bytes=1048570-1048585"})
    assert part.status_code == 206 and part.content == data[1048570:1048586]
    assert httpx.get(url).content == data
    assert httpx.head(url).headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'  # LFS files: sha256
    text = httpx.head(f"{hub.url}/alice/demo/resolve/main/t.txt")
    assert text.headers["etag"] == '"' + hashlib.sha1(b"blob 10\x00plain text").hexdigest() + '"'  # git blob id
    assert text.headers["x-repo-commit"] == api.model_info("alice/demo").sha
