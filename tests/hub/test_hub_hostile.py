"""The sandbox against careless and hostile clients: raw HTTP for what the real clients would never send."""
import base64
import hashlib
import json
import socket
import threading
import time
import tracemalloc

import httpx
import pytest

from hftour.hub.fsutil import file_lock
from hftour.hub.server import BackgroundServer
from hftour.hub.store import HubError, HubStore, Operation
from hftour.hub.users import UserDB, UserError


@pytest.fixture
def hub(tmp_path):
    """A running sandbox with users alice and bob (write tokens) and a public repo alice/demo."""
    users = UserDB(tmp_path / "store")
    tokens = {"alice": users.add_user("alice"), "bob": users.add_user("bob")}
    with BackgroundServer(tmp_path / "store") as server:
        server.tokens = tokens
        server.auth = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
        response = httpx.post(f"{server.url}/api/repos/create", json={"name": "demo"}, headers=server.auth["alice"])
        assert response.status_code == 200
        yield server


def commit(hub, lines, user="alice", repo="alice/demo", kind="models", rev="main"):
    """POST an NDJSON commit made of these (key, value) lines."""
    body = "\n".join(json.dumps({"key": key, "value": value}) for key, value in lines)
    return httpx.post(f"{hub.url}/api/{kind}/{repo}/commit/{rev}", content=body, headers=hub.auth[user])


def inline(path, data: bytes):
    return ("file", {"path": path, "content": base64.b64encode(data).decode(), "encoding": "base64"})


def header(summary="test", **extra):
    return ("header", {"summary": summary, **extra})


def head(hub, repo="alice/demo"):
    return httpx.get(f"{hub.url}/api/models/{repo}", headers=hub.auth["alice"]).json()["sha"]


def raw_request(url, head_text: str, body_parts=(), timeout=5.0) -> bytes:
    """Send a hand-written request over a socket and return what the server answers (b'' if it just closes)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head_text.encode())
        try:
            for part in body_parts:
                sock.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed without reading the rest: that is the point
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


# 1 ----------------------------------------------------------------------------------------------------
def alias_bomb(levels=6, width=10):
    lines = ["---", "l0: &l0 [" + ", ".join(['"xxxxxxxx"'] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return ("\n".join(lines) + "\n---\n# bomb\n").encode()


def test_card_metadata_with_aliases_is_not_expanded(hub):
    card = b"---\nlicense: mit\ntags: [demo]\ndate: 2024-01-31\n---\n# A card\n"
    assert commit(hub, [header(), inline("README.md", card)]).status_code == 200
    info = httpx.get(f"{hub.url}/api/models/alice/demo").json()
    assert info["cardData"]["license"] == "mit" and info["tags"] == ["demo"]
    bomb = alias_bomb()
    assert len(bomb) < 600
    assert commit(hub, [header(), inline("README.md", bomb)]).status_code == 200
    response = httpx.get(f"{hub.url}/api/models/alice/demo", timeout=30)
    assert response.status_code == 200
    assert len(response.content) < 10_000 and "cardData" not in response.json()


# 2 ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/api/models/alice/demo/commit/main", "/api/repos/create", "/api/no-such-route",
                                    "/alice/demo.git/info/lfs/objects/batch"])
@pytest.mark.parametrize("chunked", [False, True])
def test_anonymous_bodies_are_refused_before_they_are_read(hub, target, chunked):
    size = "Transfer-Encoding: chunked" if chunked else "Content-Length: 500000000"
    start = time.monotonic()
    answer = raw_request(hub.url, f"POST {target} HTTP/1.1\r\nHost: x\r\n{size}\r\n\r\n", [b"5\r\nhello\r\n"])
    assert answer.split(b" ")[1] in (b"401", b"404", b"501"), answer[:200]
    assert time.monotonic() - start < 4


def test_authorized_bodies_are_capped_while_streaming(hub):
    auth = f"Authorization: Bearer {hub.tokens['alice']}\r\n"
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    answer = raw_request(hub.url, f"POST /api/repos/create HTTP/1.1\r\nHost: x\r\n{auth}"
                         "Transfer-Encoding: chunked\r\n\r\n", [chunk] * 40)
    assert answer.split(b" ")[1] == b"413", answer[:200]
    answer = raw_request(hub.url, f"POST /api/repos/create HTTP/1.1\r\nHost: x\r\n{auth}"
                         "Content-Length: 3000000000\r\n\r\n", [b"{"])
    assert answer.split(b" ")[1] == b"413", answer[:200]


# 3 ----------------------------------------------------------------------------------------------------
def lfs_batch(hub, user, repo, oid, size):
    body = {"operation": "upload", "transfers": ["basic"], "objects": [{"oid": oid, "size": size}]}
    return httpx.post(f"{hub.url}/{repo}.git/info/lfs/objects/batch", json=body, headers=hub.auth[user])


def test_blobs_of_other_repos_cannot_be_claimed_by_hash(hub):
    assert httpx.post(f"{hub.url}/api/repos/create", json={"name": "vault", "private": True},
                      headers=hub.auth["bob"]).status_code == 200
    secret = b"bob's private notes\n"
    oid = hashlib.sha256(secret).hexdigest()
    assert commit(hub, [header(), inline("notes.txt", secret)], user="bob", repo="bob/vault").status_code == 200
    answer = lfs_batch(hub, "alice", "alice/demo", oid, len(secret)).json()["objects"][0]
    assert "upload" in answer["actions"]  # alice must prove she has the content
    claim = commit(hub, [header(), ("lfsFile", {"path": "stolen.txt", "algo": "sha256", "oid": oid})])
    assert claim.status_code == 422
    put = httpx.put(answer["actions"]["upload"]["href"], content=secret)
    assert put.status_code == 200
    again = lfs_batch(hub, "alice", "alice/demo", oid, len(secret)).json()["objects"][0]
    assert "actions" not in again  # now this repo holds it: no second upload
    assert commit(hub, [header(), ("lfsFile", {"path": "mine.txt", "algo": "sha256", "oid": oid})]).status_code == 200


# 4 ----------------------------------------------------------------------------------------------------
def test_regular_files_over_10_mb_are_refused_with_a_pointer_to_lfs(hub):
    response = commit(hub, [header(), inline("big.txt", b"a" * (10 * 1000 * 1000 + 1))])
    assert response.status_code == 413 and "LFS" in response.json()["error"]
    assert commit(hub, [header(), inline("ok.txt", b"a" * (1000 * 1000))]).status_code == 200


def test_committing_an_lfs_blob_streams_it(tmp_path):
    store = HubStore(tmp_path)
    store.create_repo("model", "alice/demo", private=False, owner="alice")
    piece = bytes(range(256)) * 4096  # 1 MiB
    digest = hashlib.sha256(piece * 40).hexdigest()
    upload = store.begin_upload(digest, 40 * len(piece))
    for _ in range(40):
        upload.write(piece)
    upload.finish()
    store.grant_lfs("model", "alice/demo", digest)
    tracemalloc.start()
    try:
        sha = store.commit("model", "alice/demo", "main", [Operation("add_blob", "w.bin", sha256=digest)], "w")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    entry = store.get_commit("model", "alice/demo", sha)["files"]["w.bin"]
    assert entry["oid"] == hashlib.sha1(b"blob %d\x00" % (40 * len(piece)) + piece * 40).hexdigest()
    assert peak < 8 * 1024 * 1024, peak


# 5 ----------------------------------------------------------------------------------------------------
def test_a_path_cannot_be_both_a_file_and_a_folder(hub):
    assert commit(hub, [header(), inline("a.txt", b"file")]).status_code == 200
    assert commit(hub, [header(), inline("a.txt/x", b"inside")]).status_code == 400
    assert commit(hub, [header(), inline("d/e/f.txt", b"deep")]).status_code == 200
    assert commit(hub, [header(), inline("d/e", b"clash")]).status_code == 400
    assert commit(hub, [header(), inline("n/m", b"1"), inline("n", b"2")]).status_code == 400
    assert commit(hub, [header(), ("deletedFile", {"path": "a.txt"}), inline("a.txt/x", b"ok")]).status_code == 200


# 6 ----------------------------------------------------------------------------------------------------
def test_names_with_a_trailing_newline_are_refused(hub, tmp_path):
    created = httpx.post(f"{hub.url}/api/repos/create", json={"name": "demo\n"}, headers=hub.auth["alice"])
    assert created.status_code == 400
    tagged = httpx.post(f"{hub.url}/api/models/alice/demo/tag/main", json={"tag": "v1\n"}, headers=hub.auth["alice"])
    assert tagged.status_code == 400
    with pytest.raises(UserError):
        UserDB(tmp_path / "users").add_user("carol\n")


@pytest.mark.parametrize("path", ["a\nb.txt", "a\rb", "tab\there", "del\x7f", "esc\x1b[31m", "nl/\n"])
def test_control_characters_in_paths_are_refused(hub, path):
    assert commit(hub, [header(), inline(path, b"x")]).status_code == 400


@pytest.mark.parametrize("url", ["/alice/demo/resolve/main/a%0Ab", "/api/models/alice/demo%0A",
                                 "/api/models/alice/demo/tree/main/x%0D%0Ay", "/alice/de%7Fmo/resolve/main/x",
                                 "/api/models/alice/demo/commits/ma%0Ain"])
def test_control_characters_in_urls_get_an_answer(hub, url):
    answer = raw_request(hub.url, f"GET {url} HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.split(b" ")[1] == b"400", answer[:200]


# 7 ----------------------------------------------------------------------------------------------------
BAD_BODIES = [b"not json", b"[1, 2]", b'"text"', b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe"]
JSON_ROUTES = [("POST", "/api/repos/create"), ("DELETE", "/api/repos/delete"), ("PUT", "/api/models/alice/demo/settings"),
               ("POST", "/api/models/alice/demo/branch/dev"), ("POST", "/api/models/alice/demo/tag/main"),
               ("POST", "/api/models/alice/demo/preupload/main"), ("POST", "/alice/demo.git/info/lfs/objects/batch"),
               ("POST", "/api/models/alice/demo/paths-info/main")]


@pytest.mark.parametrize("method,route", JSON_ROUTES)
def test_malformed_json_bodies_get_400(hub, method, route):
    for body in BAD_BODIES:
        response = httpx.request(method, hub.url + route, content=body,
                                 headers={**hub.auth["alice"], "Content-Type": "application/json"})
        assert response.status_code == 400, (body[:20], response.text[:200])


@pytest.mark.parametrize("payload", [{"name": "s", "private": "false"}, {"name": "s", "private": 1},
                                     {"name": "s", "visibility": "secret"}, {"name": "s", "type": "planet"},
                                     {"name": "s", "type": 3}, {"name": "s", "organization": ["x"]},
                                     {}, {"name": None}, {"name": 7}])
def test_create_repo_takes_strict_types(hub, payload):
    response = httpx.post(f"{hub.url}/api/repos/create", json=payload, headers=hub.auth["alice"])
    assert response.status_code == 400, response.text


def test_settings_take_strict_booleans(hub):
    response = httpx.put(f"{hub.url}/api/models/alice/demo/settings", json={"private": "false"},
                         headers=hub.auth["alice"])
    assert response.status_code == 400
    assert httpx.get(f"{hub.url}/api/models/alice/demo").status_code == 200  # still public


@pytest.mark.parametrize("lines", [
    [("header", {"summary": 5})], [("header", {"summary": "s", "description": 3})],
    [("header", "text")], [header(parentCommit=123)], [header(), ("file", {"path": 5, "content": "eA=="})],
    [header(), ("file", {"path": "a.txt", "content": 5})], [header(), ("lfsFile", {"path": "a.bin", "oid": 5})],
    [header(), ("deletedFile", {"path": ["a"]})], [header(), ("file", "text")], [header(), ["list"]],
])
def test_malformed_commit_lines_get_400(hub, lines):
    body = "\n".join(json.dumps(line if isinstance(line, list) else {"key": line[0], "value": line[1]})
                     for line in lines)
    response = httpx.post(f"{hub.url}/api/models/alice/demo/commit/main", content=body, headers=hub.auth["alice"])
    assert response.status_code == 400, response.text


def test_deep_json_in_a_commit_line_gets_400(hub):
    body = '{"key": "header", "value": {"summary": "x"}}\n' + "[" * 100_000 + "]" * 100_000
    response = httpx.post(f"{hub.url}/api/models/alice/demo/commit/main", content=body, headers=hub.auth["alice"])
    assert response.status_code == 400


def test_parent_commit_must_be_a_full_id(hub):
    sha = head(hub)
    for parent in ("", sha[:7], sha[:39], sha.upper()):
        response = commit(hub, [header(parentCommit=parent), inline("a.txt", b"x")])
        assert response.status_code == 400, parent
    assert commit(hub, [header(parentCommit=sha), inline("a.txt", b"x")]).status_code == 200


def upload_href(hub, data):
    oid = hashlib.sha256(data).hexdigest()
    answer = lfs_batch(hub, "alice", "alice/demo", oid, len(data)).json()["objects"][0]
    return oid, answer["actions"]["upload"]["href"]


def test_upload_urls_with_bad_numbers_or_for_deleted_repos(hub, tmp_path):
    oid, href = upload_href(hub, b"payload")
    for bad in (href.replace("size=7", "size=abc"), href.replace("expires=", "expires=x")):
        assert httpx.put(bad, content=b"payload").status_code in (400, 403)
    deleted = httpx.request("DELETE", f"{hub.url}/api/repos/delete", json={"name": "demo"}, headers=hub.auth["alice"])
    assert deleted.status_code == 200
    response = httpx.put(href, content=b"payload")
    assert response.status_code == 404
    assert not HubStore(tmp_path / "store").has_blob(oid)


# 8 ----------------------------------------------------------------------------------------------------
def test_repo_delete_waits_for_the_repo_lock(tmp_path):
    store = HubStore(tmp_path)
    store.create_repo("model", "alice/demo", private=False, owner="alice")
    folder = store.repo_dir("model", "alice/demo")
    with file_lock(folder / "lock"):
        deleter = threading.Thread(target=store.delete_repo, args=("model", "alice/demo"))
        deleter.start()
        deleter.join(timeout=0.5)
        assert deleter.is_alive()  # a commit or a visibility change holding the lock finishes first
    deleter.join(timeout=5)
    assert store.repo_meta("model", "alice/demo") is None
    with pytest.raises(HubError):
        store.update_settings("model", "alice/demo", private=True)
    assert not folder.exists()


def test_leftovers_of_a_crash_are_cleaned_at_start(tmp_path):
    store = HubStore(tmp_path)
    store.create_repo("model", "alice/demo", private=False, owner="alice")
    folder = store.repo_dir("model", "alice/demo")
    leftovers = [tmp_path / "blobs" / "incoming" / "tmpabc123", folder / ".refs.json.x1y2.tmp",
                 tmp_path / "blobs" / "ab" / ".ab12.q9.tmp", tmp_path / "repos" / "model" / "alice" / ".deleted-old-1" / "x"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half")
    with BackgroundServer(tmp_path):
        assert not any(path.exists() for path in leftovers)
        assert not (tmp_path / "repos" / "model" / "alice" / ".deleted-old-1").exists()
        assert store.repo_meta("model", "alice/demo") is not None


def test_slow_senders_are_cut_off(tmp_path):
    token = UserDB(tmp_path).add_user("alice")
    with BackgroundServer(tmp_path, header_timeout=1.0, body_timeout=1.0) as server:
        stalled_body = (f"POST /api/repos/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                        "Content-Length: 100\r\n\r\n{").encode()
        for opening, status in ((b"GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\n", b""),  # headers never finish
                                (stalled_body, b"HTTP/1.1 408")):  # the body never finishes
            with socket.create_connection((server.host, server.port), timeout=6) as sock:
                start = time.monotonic()
                sock.sendall(opening)
                answer = b""
                while chunk := sock.recv(4096):  # until the server closes the connection
                    answer += chunk
                assert answer.startswith(status) and time.monotonic() - start < 4, answer[:100]


def test_unsupported_endpoints_say_so(hub):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    api = HfApi(endpoint=hub.url, token=hub.tokens["alice"])
    with pytest.raises(HfHubHTTPError) as err:
        list(api.get_repo_discussions("alice/demo"))
    assert not isinstance(err.value, RepositoryNotFoundError)
    assert "not supported by the sandbox" in str(err.value)
    response = httpx.get(f"{hub.url}/api/models/alice/demo/discussions")
    assert "not supported by the sandbox" in response.json()["error"]


def test_commits_store_changes_not_the_whole_file_list(hub, tmp_path):
    files = [inline(f"data/f{i:04d}.txt", b"x%d" % i) for i in range(500)]
    assert commit(hub, [header(), *files]).status_code == 200
    sizes = []
    commits = tmp_path / "store" / "repos" / "model" / "alice" / "demo" / "commits"
    for i in range(5):
        response = commit(hub, [header(f"edit {i}"), inline("data/f0001.txt", b"edit %d" % i)])
        sizes.append((commits / f"{response.json()['commitOid']}.json").stat().st_size)
    assert max(sizes) < 2000, sizes
    tree = httpx.get(f"{hub.url}/api/models/alice/demo/tree/main/data").json()
    assert len(tree) == 500
    assert httpx.get(f"{hub.url}/alice/demo/resolve/main/data/f0001.txt").content == b"edit 4"


@pytest.mark.parametrize("path", ["/api/validate-yaml", "/api/models/alice/demo/discussions"])
def test_answers_to_unread_bodies_arrive_intact(hub, path):
    # push_to_hub POSTs the README to validate-yaml. Answered over an unread body, the connection was closed
    # with bytes pending, and the resulting reset could destroy the answer before the client read it.
    body = json.dumps({"content": "---\nlicense: mit\n---\n" + "x" * 200_000, "repoType": "model"}).encode()
    head_text = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n")
    answer = raw_request(hub.url, head_text, [body])
    assert answer.startswith((b"HTTP/1.1 200", b"HTTP/1.1 404")), answer[:80]
    assert b"connection: close" not in answer.lower(), answer[:300]
