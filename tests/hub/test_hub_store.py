"""The sandbox's store and user database without HTTP: paths, commits, refs, atomicity, concurrency, persistence."""
import hashlib
import json
import threading

import pytest

from hftour.hub.store import HubError, HubStore, Operation, check_path, check_repo_id, git_blob_oid
from hftour.hub.users import UserDB, UserError


@pytest.fixture
def store(tmp_path):
    hub = HubStore(tmp_path)
    hub.create_repo("model", "alice/demo", private=False, owner="alice")
    return hub


def add(path, text):
    return Operation("add", path, data=text.encode())


def test_git_blob_oid_matches_git():
    # `printf 'hello\n' | git hash-object --stdin` prints ce013625030ba8dba906f756967f9e9ca394464a
    assert git_blob_oid(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\..\\b", "./a", "a/.", "",
                                  "a/%2e%2e/b", "..%2Fusers.json", "a%5cb", ".git/config", "a\x00b"])
def test_paths_that_leave_the_repo_are_refused(path):
    with pytest.raises(HubError) as err:
        check_path(path)
    assert err.value.status == 400


@pytest.mark.parametrize("path", ["config.json", "a/b/c.txt", "data/train-00000-of-00001.parquet", "ünï code.md"])
def test_normal_paths_pass(path):
    assert check_path(path) == path


@pytest.mark.parametrize("repo_id", ["alice", "alice/..", "../alice/demo", "alice/demo/x", "al ice/demo", "a/.x",
                                     "alice/de..mo", "/alice/demo", "alice/", "alice/demo%2F.."])
def test_bad_repo_ids_are_refused(repo_id):
    with pytest.raises(HubError):
        check_repo_id(repo_id)


def test_new_repo_has_an_initial_commit_and_conflicts_on_second_create(store):
    sha = store.resolve("model", "alice/demo", "main")
    assert list(store.get_commit("model", "alice/demo", sha)["files"]) == [".gitattributes"]
    with pytest.raises(HubError) as err:
        store.create_repo("model", "alice/demo", private=False, owner="alice")
    assert err.value.status == 409


def test_commits_chain_and_old_revisions_keep_their_files(store):
    first = store.commit("model", "alice/demo", "main", [add("a.txt", "one"), add("d/b.txt", "two")], "first")
    second = store.commit("model", "alice/demo", "main", [Operation("delete_folder", "d/"), add("a.txt", "1")], "second")
    history = store.history("model", "alice/demo", second)
    assert [c["message"] for c in history] == ["second", "first", "initial commit"]
    assert history[0]["parents"] == [first]
    old = store.get_commit("model", "alice/demo", first)["files"]
    new = store.get_commit("model", "alice/demo", second)["files"]
    assert set(old) == {".gitattributes", "a.txt", "d/b.txt"} and set(new) == {".gitattributes", "a.txt"}
    assert store.blob_path(old["a.txt"]["sha256"]).read_bytes() == b"one"
    assert store.resolve("model", "alice/demo", first[:7]) == first


def test_a_failing_operation_changes_nothing(store):
    head = store.resolve("model", "alice/demo", "main")
    with pytest.raises(HubError) as err:
        store.commit("model", "alice/demo", "main", [add("new.txt", "x"), Operation("delete", "missing.txt")], "bad")
    assert err.value.code == "EntryNotFound"
    assert store.resolve("model", "alice/demo", "main") == head


def test_interrupted_ref_update_keeps_previous_revision(store, monkeypatch):
    good = store.commit("model", "alice/demo", "main", [add("a.txt", "good")], "good")

    def crash(*args, **kwargs):
        raise OSError("disk unplugged")

    monkeypatch.setattr(store, "_write_refs", crash)
    with pytest.raises(OSError):
        store.commit("model", "alice/demo", "main", [add("a.txt", "lost")], "interrupted")
    monkeypatch.undo()
    reopened = HubStore(store.root)
    assert reopened.resolve("model", "alice/demo", "main") == good
    files = reopened.get_commit("model", "alice/demo", good)["files"]
    assert reopened.blob_path(files["a.txt"]["sha256"]).read_bytes() == b"good"
    assert reopened.commit("model", "alice/demo", "main", [add("b.txt", "after")], "after")


def test_stale_parent_commit_gets_412(store):
    base = store.resolve("model", "alice/demo", "main")
    store.commit("model", "alice/demo", "main", [add("a.txt", "1")], "one", parent_commit=base)
    with pytest.raises(HubError) as err:
        store.commit("model", "alice/demo", "main", [add("a.txt", "2")], "two", parent_commit=base)
    assert err.value.status == 412


def test_concurrent_commits_lose_nothing(store):
    def worker(n):
        for i in range(5):
            store.commit("model", "alice/demo", "main", [add(f"w{n}/f{i}.txt", f"{n}-{i}")], f"w{n} f{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    head = store.resolve("model", "alice/demo", "main")
    files = store.get_commit("model", "alice/demo", head)["files"]
    assert {f"w{n}/f{i}.txt" for n in range(6) for i in range(5)} <= set(files)
    assert len(store.history("model", "alice/demo", head)) == 1 + 30


def test_branches_tags_and_names(store):
    sha = store.commit("model", "alice/demo", "main", [add("a.txt", "1")], "one")
    store.create_ref("model", "alice/demo", "tag", "v1.0", "main")
    store.create_ref("model", "alice/demo", "branch", "dev", sha)
    store.commit("model", "alice/demo", "dev", [add("a.txt", "dev")], "on dev")
    assert store.resolve("model", "alice/demo", "v1.0") == sha == store.resolve("model", "alice/demo", "main")
    with pytest.raises(HubError):
        store.create_ref("model", "alice/demo", "branch", "v1.0", "main")  # taken by the tag
    for bad in ("../x", "a/b", "", "x" * 200):
        with pytest.raises(HubError):
            store.create_ref("model", "alice/demo", "branch", bad, "main")
    with pytest.raises(HubError):
        store.commit("model", "alice/demo", "v1.0", [add("a.txt", "2")], "to a tag")


def test_lfs_upload_checks_hash_and_needs_a_grant(store):
    data = b"\x00binary" * 1000
    sha = hashlib.sha256(data).hexdigest()
    bad = store.begin_upload(sha, len(data))
    bad.write(data[:-1] + b"!")
    with pytest.raises(HubError):
        bad.finish()
    bad.abort()
    assert not store.has_blob(sha)
    upload = store.begin_upload(sha, len(data))
    upload.write(data)
    upload.finish()
    with pytest.raises(HubError):  # stored, but not uploaded to this repo
        store.commit("model", "alice/demo", "main", [Operation("add_blob", "w.bin", sha256=sha)], "w")
    store.grant_lfs("model", "alice/demo", sha)
    head = store.commit("model", "alice/demo", "main", [Operation("add_blob", "w.bin", sha256=sha)], "w")
    assert store.get_commit("model", "alice/demo", head)["files"]["w.bin"]["lfs"] is True


def test_users_tokens_roles_and_orgs(tmp_path):
    users = UserDB(tmp_path)
    write = users.add_user("alice", orgs=("lab",))
    read = users.add_user("alice", read_only=True)
    assert write != read and write.startswith("hf_")
    assert write not in (tmp_path / "users.json").read_text()  # only hashes are stored
    alice = UserDB(tmp_path).authenticate(write)
    assert (alice.name, alice.role, alice.orgs) == ("alice", "write", ("lab",))
    assert alice.can_write("alice") and alice.can_write("lab") and not alice.can_write("bob")
    assert not users.authenticate(read).can_write("alice")
    assert users.authenticate("hf_nobody") is None
    assert users.authenticate(None).name is None
    with pytest.raises(UserError):
        users.add_user("../root")
    with pytest.raises(UserError):
        users.add_user("lab")
    assert json.loads((tmp_path / "users.json").read_text())["orgs"] == {"lab": ["alice"]}
