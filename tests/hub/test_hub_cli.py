"""`hftour hub user add` and `hftour hub serve` through the real command line."""
import socket
import subprocess
import sys
import time

import httpx
import pytest

from hftour.cli import main


def test_user_add_prints_the_token_last(tmp_path, capsys):
    assert main(["hub", "user", "add", "alice", "--data", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(["hub", "user", "add", "alice", "--data", str(tmp_path), "--read-only"]) == 0
    read_token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("hf_") and read_token.startswith("hf_") and token != read_token
    assert main(["hub", "user", "add", "../evil", "--data", str(tmp_path)]) == 2
    assert "not a valid user name" in capsys.readouterr().err


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_binds_loopback_prints_endpoint_and_persists(tmp_path, capsys):
    main(["hub", "user", "add", "alice", "--data", str(tmp_path)])
    token = capsys.readouterr().out.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "hftour", "hub", "serve", "--port", str(port),
                               "--data", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = [server.stdout.readline() for _ in range(2)]
        assert f"endpoint http://127.0.0.1:{port}" in lines[1]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/whoami-v2", headers=headers)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response.json()["name"] == "alice"
        created = httpx.post(f"http://127.0.0.1:{port}/api/repos/create", headers=headers, json={"name": "kept"})
        assert created.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
    assert (tmp_path / "repos" / "model" / "alice" / "kept" / "repo.json").exists()


def test_serve_refuses_bad_input_in_one_line(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    (tmp_path / "a-file").write_text("not a folder")
    cases = [["--port", "99999"], ["--port", "abc"], ["--port", "-1"], ["--port", str(taken.getsockname()[1])],
             ["--host", "no-such-host.invalid"], ["--data", str(tmp_path / "a-file")]]
    try:
        for extra in cases:
            run = subprocess.run([sys.executable, "-m", "hftour", "hub", "serve", "--data", str(tmp_path / "d"), *extra],
                                 capture_output=True, text=True, timeout=60)
            lines = run.stderr.strip().splitlines()
            assert run.returncode != 0 and len(lines) == 1 and "Traceback" not in run.stderr, (extra, run.stderr)
            assert lines[0].startswith("error: ") and ("use" in lines[0] or "choose" in lines[0]), lines
    finally:
        taken.close()


@pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")  # huggingface_hub's own LFS PUT
def test_publish_standins_to_a_running_sandbox(tmp_path, capsys):
    from huggingface_hub import HfApi

    from hftour.hub.server import BackgroundServer

    repo = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"
    with BackgroundServer(tmp_path / "store") as server:
        args = ["hub", "publish-standins", "--endpoint", server.url, "--data", str(tmp_path / "store")]
        assert main(args + ["--only", repo]) == 0
        out = capsys.readouterr().out
        assert repo in out and "1 stand-ins and 0 evaluate metrics published" in out
        files = HfApi(endpoint=server.url, token=False).list_repo_files(repo, revision="714eb0f")
        assert "model.safetensors" in files and "README.md" in files  # the weights and the stand-in's card
        assert main(args + ["--only", "no/such-id"]) == 2
        assert capsys.readouterr().err.count("\n") == 1  # one line, no traceback
    assert main(args + ["--only", repo]) == 2  # the sandbox is gone
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start it first" in err
