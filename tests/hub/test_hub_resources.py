"""Server memory under hostile input, measured on a real `hftour hub serve` process (loopback, Linux /proc).

Peak resident memory (VmHWM, reset through /proc/PID/clear_refs) is read around each attack, so the figures
are the server's own cost; they are printed, and bounded loosely enough to hold on any machine.
"""
import base64
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hftour.hub.users import UserDB

pytestmark = pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
MIB = 1024 * 1024


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def memory(pid):
    """(current, peak) resident memory of a process in MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def growth(pid, attack):
    """MiB the server's peak memory rose above its resident memory while `attack()` ran."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak to the current resident size
    before, _ = memory(pid)
    attack()
    time.sleep(0.2)
    return memory(pid)[1] - before


def stream(url, path, headers, total, chunk=MIB):
    """POST `total` bytes of chunked zeros over a raw socket; returns the status line the server answers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\n{extra}Transfer-Encoding: chunked\r\n\r\n".encode())
        piece = b"%x\r\n%s\r\n" % (chunk, b"0" * chunk)
        try:
            for _ in range(total // chunk):
                sock.sendall(piece)
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return sock.recv(200).split(b"\r\n")[0].decode()
        except ConnectionResetError:
            return "reset"


def alias_bomb(levels):
    lines = ["---", "l0: &l0 [" + ", ".join(['"xxxxxxxx"'] * 10) + "]"]
    lines += [f"l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]" for n in range(1, levels + 1)]
    return ("\n".join(lines) + "\n---\n").encode()


@pytest.fixture
def served(tmp_path):
    token = UserDB(tmp_path).add_user("alice")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "hftour", "hub", "serve", "--port", str(port),
                                "--data", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(200):
            try:
                httpx.get(url + "/api/whoami-v2", headers=auth)
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert httpx.post(url + "/api/repos/create", json={"name": "demo"}, headers=auth).status_code == 200
        yield process.pid, url, auth
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_server_memory_under_large_bodies_and_an_alias_bomb(served, capsys):
    pid, url, auth = served
    commit_url = "/api/models/alice/demo/commit/main"
    figures = {}

    readme = base64.b64encode(b"---\nlicense: mit\n---\n").decode()
    warm = {"key": "file", "value": {"path": "README.md", "content": readme, "encoding": "base64"}}
    body = json.dumps({"key": "header", "value": {"summary": "warm up"}}) + "\n" + json.dumps(warm)
    assert httpx.post(url + commit_url, content=body, headers=auth).status_code == 200
    assert httpx.get(url + "/api/models/alice/demo").json()["cardData"] == {"license": "mit"}

    answers = {}
    figures["300 MiB anonymous chunked commit body"] = growth(
        pid, lambda: answers.setdefault("anonymous", stream(url, commit_url, {}, 300 * MIB)))
    assert " 401 " in answers["anonymous"] + " "
    figures["300 MiB chunked body to an unknown route"] = growth(
        pid, lambda: answers.setdefault("unknown", stream(url, "/api/nothing-here", {}, 300 * MIB)))
    figures["200 MiB chunked JSON body with a write token"] = growth(
        pid, lambda: answers.setdefault("create", stream(url, "/api/repos/create", auth, 200 * MIB)))
    assert " 413 " in answers["create"] + " "

    bomb = base64.b64encode(alias_bomb(levels=6)).decode()  # 10 million strings once expanded
    line = {"key": "file", "value": {"path": "README.md", "content": bomb, "encoding": "base64"}}
    body = json.dumps({"key": "header", "value": {"summary": "bomb"}}) + "\n" + json.dumps(line)
    assert httpx.post(url + commit_url, content=body, headers=auth).status_code == 200
    sizes = []
    figures["anonymous repo info of an alias-bomb card"] = growth(
        pid, lambda: sizes.append(len(httpx.get(url + "/api/models/alice/demo", timeout=60).content)))

    with capsys.disabled():
        print("\nhub sandbox server memory (peak growth, MiB):",
              "; ".join(f"{name}: {mib:.1f}" for name, mib in figures.items()),
              f"; alias-bomb answer {sizes[0]} bytes")
    assert sizes[0] < 10_000
    assert max(figures.values()) < 64, figures
