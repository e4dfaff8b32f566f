"""The Hub sandbox's HTTP API (Starlette) and a runner that serves it in the foreground or a background thread.

It answers the subset of the Hub API that huggingface_hub, transformers and datasets call: whoami, repo
create/delete/settings, repo info, tree, paths-info, refs, commits, preupload, commit (NDJSON), branches,
tags and file resolution (HEAD/GET with ETag and X-Repo-Commit, byte ranges). Every file is uploaded as a
regular (inline base64) file, so no LFS or Xet transfer service is needed.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import logging
import secrets
import socket
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .store import HubError, HubStore, Operation, check_path, check_repo_id, repo_not_found
from .users import Caller, UserDB

log = logging.getLogger("hftour.hub")
KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
BAD_TOKEN = "Invalid credentials in Authorization header"
MAX_BODY = 2 * 1024 ** 3
REGULAR_LIMIT = 5 * 1024 ** 2  # the clients expect regular (inline) files to stay under 5 MB
LFS_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".h5", ".onnx", ".msgpack", ".parquet",
                ".arrow", ".npy", ".npz", ".pkl", ".zip", ".gz", ".tar", ".png", ".jpg", ".jpeg", ".wav", ".mp3")
CHUNK = 1024 * 1024  # bytes per disk read or write hand-off to a worker thread
NO_XET = ("The hftour sandbox stores large files with the classic git-LFS protocol, not Xet: "
          "set HF_HUB_DISABLE_XET=1 in the client's environment")


def _error(err: HubError) -> Response:
    headers = {"X-Error-Message": err.message.encode("ascii", "replace").decode()}
    if err.code:
        headers["X-Error-Code"] = err.code
    return JSONResponse({"error": err.message, **err.extra}, status_code=err.status, headers=headers)


class BlobResponse(FileResponse):
    """FileResponse reading 1 MiB at a time (the default 64 KiB costs a thread hop per chunk)."""

    chunk_size = CHUNK


def upload_mode(path: str, size: int, sample: bytes) -> str:
    """'lfs' for big or binary files and the usual model/data formats, as the Hub decides; 'regular' otherwise."""
    if size >= REGULAR_LIMIT or b"\x00" in sample or path.lower().endswith(LFS_SUFFIXES):
        return "lfs"
    return "regular"


def _card_data(readme: bytes) -> dict | None:
    """The YAML metadata block at the top of a README.md, as the Hub reports it in cardData."""
    import yaml

    text = readme.decode("utf-8", "replace")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        data = yaml.safe_load(text[3:end])
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


class HubApp:
    """The sandbox as an ASGI app over one data folder (`.app` is what uvicorn serves)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.store = HubStore(data_dir)
        self.users = UserDB(data_dir)
        self._secret = secrets.token_bytes(32)  # signs LFS upload URLs (they carry no Authorization header)
        repo = "/api/{kind}/{ns}/{name}"
        routes = [
            Route("/api/whoami-v2", self._wrap(self.whoami)),
            Route("/api/agent-harnesses", self._wrap(self.agent_harnesses)),
            Route("/api/validate-yaml", self._wrap(self.validate_yaml), methods=["POST"]),
            Route("/api/repos/create", self._wrap(self.create_repo), methods=["POST"]),
            Route("/api/repos/delete", self._wrap(self.delete_repo), methods=["DELETE", "POST"]),
            Route(repo, self._wrap(self.repo_info)),
            Route(repo + "/revision/{rev}", self._wrap(self.repo_info)),
            Route(repo + "/tree/{rev}", self._wrap(self.tree)),
            Route(repo + "/tree/{rev}/{path:path}", self._wrap(self.tree)),
            Route(repo + "/paths-info/{rev}", self._wrap(self.paths_info), methods=["POST"]),
            Route(repo + "/refs", self._wrap(self.list_refs)),
            Route(repo + "/commits/{rev}", self._wrap(self.list_commits)),
            Route(repo + "/preupload/{rev}", self._wrap(self.preupload), methods=["POST"]),
            Route(repo + "/commit/{rev}", self._wrap(self.commit), methods=["POST"]),
            Route(repo + "/branch/{ref}", self._wrap(self.create_branch), methods=["POST"]),
            Route(repo + "/branch/{ref}", self._wrap(self.delete_branch), methods=["DELETE"]),
            Route(repo + "/tag/{ref}", self._wrap(self.create_tag), methods=["POST"]),
            Route(repo + "/tag/{ref}", self._wrap(self.delete_tag), methods=["DELETE"]),
            Route(repo + "/settings", self._wrap(self.settings), methods=["PUT"]),
            Route(repo + "/xet-write-token/{rev}", self._wrap(self.no_xet)),
            Route(repo + "/xet-read-token/{rev}", self._wrap(self.no_xet)),
            Route("/datasets/{ns}/{name}.git/info/lfs/objects/batch", self._wrap(self.lfs_batch, "dataset"),
                  methods=["POST"]),
            Route("/spaces/{ns}/{name}.git/info/lfs/objects/batch", self._wrap(self.lfs_batch, "space"),
                  methods=["POST"]),
            Route("/{ns}/{name}.git/info/lfs/objects/batch", self._wrap(self.lfs_batch, "model"), methods=["POST"]),
            Route("/lfs-upload/{kind}/{ns}/{name}/{oid}", self.lfs_put, methods=["PUT"]),
            Route("/datasets/{ns}/{name}/resolve/{rev}/{path:path}", self._wrap(self.resolve, "dataset"),
                  methods=["GET", "HEAD"]),
            Route("/spaces/{ns}/{name}/resolve/{rev}/{path:path}", self._wrap(self.resolve, "space"),
                  methods=["GET", "HEAD"]),
            Route("/{ns}/{name}/resolve/{rev}/{path:path}", self._wrap(self.resolve, "model"),
                  methods=["GET", "HEAD"]),
            Route("/{rest:path}", self._wrap(self.unknown),
                  methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        ]
        self.app = Starlette(routes=routes)

    # ---- plumbing ------------------------------------------------------------------------------------
    def _wrap(self, handler: Callable, repo_type: str | None = None) -> Callable:
        """Turn a sync handler(request, caller, body[, repo_type]) into an async endpoint run in a worker thread."""
        async def endpoint(request: Request) -> Response:
            try:
                caller = self._caller(request)
                body = b""
                if request.method in ("POST", "PUT", "DELETE", "PATCH"):
                    length = int(request.headers.get("content-length") or 0)
                    if length > MAX_BODY:
                        raise HubError(413, "Request body too large for the sandbox")
                    body = await request.body()
                args = (request, caller, body) + ((repo_type,) if repo_type else ())
                return await run_in_threadpool(handler, *args)
            except HubError as err:
                return _error(err)
            except Exception as err:  # answer 500 ourselves: an escaped error makes the server drop the connection
                log.exception("unhandled error in %s %s", request.method, request.url.path)
                return _error(HubError(500, f"Internal error in the hftour sandbox: {type(err).__name__}: {err}"))
        return endpoint

    def _caller(self, request: Request) -> Caller:
        header = request.headers.get("authorization")
        if not header:
            return Caller()
        scheme, _, token = header.partition(" ")
        caller = self.users.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None or caller.name is None:
            raise HubError(401, BAD_TOKEN)
        return caller

    def _repo(self, request: Request, repo_type: str | None = None) -> tuple[str, str]:
        params = request.path_params
        if repo_type is None:
            repo_type = KINDS.get(params["kind"])
            if repo_type is None:
                raise HubError(404, f"Unknown repo kind {params['kind']!r}")
        repo_id = f"{params['ns']}/{params['name']}"
        try:
            check_repo_id(repo_id)
        except HubError:
            raise repo_not_found(repo_id) from None
        return repo_type, repo_id

    def _readable(self, repo_type: str, repo_id: str, caller: Caller) -> dict:
        """repo.json if the caller may see the repo; private repos of others do not exist for them."""
        meta = self.store.repo_meta(repo_type, repo_id)
        if meta is None or (meta["private"] and not caller.can_read_private(repo_id.split("/")[0])):
            raise repo_not_found(repo_id)
        return meta

    def _writable(self, repo_type: str, repo_id: str, caller: Caller) -> dict:
        """repo.json if the caller holds a write token of the repo's owner; 401/403 otherwise."""
        meta = self._readable(repo_type, repo_id, caller)
        namespace = repo_id.split("/")[0]
        if caller.name is None:
            raise HubError(401, "You must be authenticated with a write token to change a repo")
        if not caller.can_write(namespace):
            why = "this token is read-only" if caller.role != "write" else f"{caller.name} does not own {namespace}"
            raise HubError(403, f"You don't have the rights to write to {repo_id}: {why}")
        return meta

    @staticmethod
    def _base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _files(self, repo_type: str, repo_id: str, revision: str) -> tuple[str, dict]:
        sha = self.store.resolve(repo_type, repo_id, revision)
        return sha, self.store.get_commit(repo_type, repo_id, sha)["files"]

    # ---- account -------------------------------------------------------------------------------------
    def whoami(self, request: Request, caller: Caller, body: bytes) -> Response:
        if caller.name is None:
            raise HubError(401, "You must be authenticated to call whoami")
        orgs = [{"type": "org", "name": org, "fullname": org, "roleInOrg": "write"} for org in caller.orgs]
        return JSONResponse({
            "type": "user", "id": caller.name, "name": caller.name, "fullname": caller.name, "email": None,
            "emailVerified": False, "isPro": False, "canPay": False, "orgs": orgs,
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": caller.token_name, "role": caller.role}},
        })

    def agent_harnesses(self, request: Request, caller: Caller, body: bytes) -> Response:
        return JSONResponse({"standardEnvVars": [], "harnesses": {}})

    def validate_yaml(self, request: Request, caller: Caller, body: bytes) -> Response:
        return JSONResponse({"errors": [], "warnings": []})

    # ---- repos ---------------------------------------------------------------------------------------
    def create_repo(self, request: Request, caller: Caller, body: bytes) -> Response:
        payload = json.loads(body or b"{}")
        repo_type = payload.get("type") or "model"
        namespace = payload.get("organization") or caller.name
        if caller.name is None:
            raise HubError(401, "You must be authenticated with a write token to create a repo")
        repo_id = f"{namespace}/{payload.get('name')}"
        check_repo_id(repo_id)
        if not caller.can_write(namespace):
            raise HubError(403, f"You don't have the rights to create a repo under the namespace {namespace!r}")
        private = payload.get("visibility", "private" if payload.get("private") else "public") == "private"
        url = f"{self._base(request)}/{URL_PREFIX[repo_type]}{repo_id}"
        try:
            self.store.create_repo(repo_type, repo_id, private=private, owner=caller.name)
        except HubError as err:
            err.extra["url"] = url  # the Hub names the existing repo; create_repo(exist_ok=True) reads it
            raise
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    def delete_repo(self, request: Request, caller: Caller, body: bytes) -> Response:
        payload = json.loads(body or b"{}")
        repo_type = payload.get("type") or "model"
        repo_id = f"{payload.get('organization') or caller.name}/{payload.get('name')}"
        check_repo_id(repo_id)
        self._writable(repo_type, repo_id, caller)
        self.store.delete_repo(repo_type, repo_id)
        return JSONResponse({})

    def settings(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        payload = json.loads(body or b"{}")
        if "private" in payload or "visibility" in payload:
            private = payload.get("private", payload.get("visibility") == "private")
            self.store.set_private(repo_type, repo_id, bool(private))
        return JSONResponse({})

    def repo_info(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        meta = self._readable(repo_type, repo_id, caller)
        sha = self.store.resolve(repo_type, repo_id, request.path_params.get("rev", "main"))
        commit = self.store.get_commit(repo_type, repo_id, sha)
        files = commit["files"]
        card = None
        if "README.md" in files:
            card = _card_data(self.store.blob_path(files["README.md"]["sha256"]).read_bytes())
        info = {
            "_id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24],
            "id": repo_id, "author": repo_id.split("/")[0], "sha": sha, "private": meta["private"],
            "gated": False, "disabled": False, "downloads": 0, "likes": 0,
            "lastModified": commit["date"], "createdAt": meta["createdAt"],
            "tags": list((card or {}).get("tags") or []) if isinstance((card or {}).get("tags"), list) else [],
            "siblings": [{"rfilename": p, "size": e["size"], "blobId": e["oid"]} for p, e in sorted(files.items())],
            "usedStorage": sum(e["size"] for e in files.values()),
        }
        if card is not None:
            info["cardData"] = card
            for key in ("library_name", "pipeline_tag"):
                if key in card:
                    info[key] = card[key]
        return JSONResponse(info)

    # ---- listing -------------------------------------------------------------------------------------
    @staticmethod
    def _tree_oid(files: dict, folder: str) -> str:
        inside = sorted((p, e["oid"]) for p, e in files.items() if p.startswith(folder + "/"))
        return hashlib.sha1(json.dumps(inside).encode()).hexdigest()

    def _entries(self, repo_type: str, repo_id: str, sha: str, files: dict, paths: list[str],
                 expand: bool) -> list[dict]:
        folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
        last = self.store.last_commits(repo_type, repo_id, sha, paths) if expand else {}
        out = []
        for path in paths:
            if path in files:
                entry = {"type": "file", "oid": files[path]["oid"], "size": files[path]["size"], "path": path}
                if files[path].get("lfs"):
                    entry["lfs"] = {"oid": files[path]["sha256"], "size": files[path]["size"], "pointerSize": 134}
            elif path in folders:
                entry = {"type": "directory", "oid": self._tree_oid(files, path), "size": 0, "path": path}
            else:
                continue
            if path in last:
                commit = last[path]
                entry["lastCommit"] = {"id": commit["id"], "title": commit["message"], "date": commit["date"]}
            out.append(entry)
        return out

    def tree(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._readable(repo_type, repo_id, caller)
        sha, files = self._files(repo_type, repo_id, request.path_params["rev"])
        base = request.path_params.get("path", "").strip("/")
        if base:
            check_path(base)
        recursive = request.query_params.get("recursive", "false").lower() in ("1", "true")
        expand = request.query_params.get("expand", "false").lower() in ("1", "true")
        prefix = base + "/" if base else ""
        below = [p for p in files if p.startswith(prefix)]
        if base and not below:
            raise HubError(404, f"{base} does not exist on {request.path_params['rev']}", "EntryNotFound")
        names: set[str] = set()
        for path in below:
            parts = path[len(prefix):].split("/")
            depth = len(parts) if recursive else 1
            for i in range(1, depth + 1):
                names.add(prefix + "/".join(parts[:i]))
        listing = self._entries(repo_type, repo_id, sha, files, sorted(names), expand)
        listing.sort(key=lambda e: (e["type"] != "directory", e["path"]))
        return JSONResponse(listing)

    def paths_info(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._readable(repo_type, repo_id, caller)
        sha, files = self._files(repo_type, repo_id, request.path_params["rev"])
        if request.headers.get("content-type", "").startswith("application/json"):
            form = json.loads(body or b"{}")
            paths, expand = form.get("paths", []), bool(form.get("expand"))
        else:
            form = parse_qs(body.decode())
            paths = form.get("paths", [])
            expand = (form.get("expand") or ["false"])[0].lower() in ("1", "true")
        paths = [check_path(p.strip("/")) for p in paths if p.strip("/")]
        return JSONResponse(self._entries(repo_type, repo_id, sha, files, paths, expand))

    def list_refs(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._readable(repo_type, repo_id, caller)
        refs = self.store.refs(repo_type, repo_id)
        return JSONResponse({
            "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in refs["branches"].items()],
            "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": s} for n, s in refs["tags"].items()],
            "converts": [], "pullRequests": [],
        })

    def list_commits(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._readable(repo_type, repo_id, caller)
        sha = self.store.resolve(repo_type, repo_id, request.path_params["rev"])
        return JSONResponse([
            {"id": c["id"], "title": c["message"], "message": c["description"], "date": c["date"],
             "authors": [{"user": c["author"], "avatar": None}]}
            for c in self.store.history(repo_type, repo_id, sha)
        ])

    # ---- writing -------------------------------------------------------------------------------------
    def preupload(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        if request.query_params.get("create_pr"):
            raise HubError(400, "Pull requests are not available in the hftour sandbox")
        _, files = self._files(repo_type, repo_id, request.path_params["rev"])
        answer = []
        for item in json.loads(body or b"{}").get("files", []):
            path = check_path(item["path"])
            mode = upload_mode(path, int(item.get("size") or 0), base64.b64decode(item.get("sample") or ""))
            old = files.get(path)
            oid = None if old is None else old["sha256"] if mode == "lfs" else old["oid"]
            answer.append({"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        return JSONResponse({"files": answer, "commitOid": None})

    def commit(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        if request.query_params.get("create_pr"):
            raise HubError(400, "Pull requests are not available in the hftour sandbox")
        header, operations = None, []
        try:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "header":
                    header = value
                elif key == "file":
                    content = value["content"]
                    data = (base64.b64decode(content, validate=True) if value.get("encoding") == "base64"
                            else content.encode())
                    operations.append(Operation("add", value["path"], data=data))
                elif key == "lfsFile":
                    operations.append(Operation("add_blob", value["path"], sha256=value.get("oid")))
                elif key == "deletedFile":
                    operations.append(Operation("delete", value["path"]))
                elif key == "deletedFolder":
                    operations.append(Operation("delete_folder", value["path"]))
                else:
                    raise HubError(400, f"Unknown commit operation {key!r}")
        except (ValueError, KeyError, TypeError, binascii.Error) as err:
            if isinstance(err, HubError):
                raise
            raise HubError(400, f"Malformed commit payload: {err}") from None
        if not header or not header.get("summary"):
            raise HubError(400, "The commit needs a header line with a summary")
        sha = self.store.commit(repo_type, repo_id, request.path_params["rev"], operations,
                                message=header["summary"], description=header.get("description") or "",
                                author=caller.name or "", parent_commit=header.get("parentCommit"))
        url = f"{self._base(request)}/{URL_PREFIX[repo_type]}{repo_id}/commit/{sha}"
        return JSONResponse({"success": True, "commitOid": sha, "commitUrl": url, "pullRequestUrl": None})

    def create_branch(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        start = json.loads(body or b"{}").get("startingPoint") or "main"
        self.store.create_ref(repo_type, repo_id, "branch", request.path_params["ref"], start)
        return JSONResponse({})

    def delete_branch(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        self.store.delete_ref(repo_type, repo_id, "branch", request.path_params["ref"])
        return JSONResponse({})

    def create_tag(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        tag = json.loads(body or b"{}").get("tag") or ""
        self.store.create_ref(repo_type, repo_id, "tag", tag, request.path_params["ref"])
        return JSONResponse({})

    def delete_tag(self, request: Request, caller: Caller, body: bytes) -> Response:
        repo_type, repo_id = self._repo(request)
        self._writable(repo_type, repo_id, caller)
        self.store.delete_ref(repo_type, repo_id, "tag", request.path_params["ref"])
        return JSONResponse({})

    # ---- large files (git-LFS basic transfer) ---------------------------------------------------------
    def no_xet(self, request: Request, caller: Caller, body: bytes) -> Response:
        raise HubError(501, NO_XET)

    def _signature(self, kind: str, repo_id: str, oid: str, size: int, expires: int) -> str:
        message = f"{kind}|{repo_id}|{oid}|{size}|{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def lfs_batch(self, request: Request, caller: Caller, body: bytes, repo_type: str) -> Response:
        params = dict(request.path_params)
        _, repo_id = self._repo(request, repo_type)
        self._writable(repo_type, repo_id, caller)
        payload = json.loads(body or b"{}")
        if payload.get("operation") != "upload" or "basic" not in payload.get("transfers", ["basic"]):
            raise HubError(400, "The sandbox supports LFS uploads with the basic transfer only")
        kind = {"model": "models", "dataset": "datasets", "space": "spaces"}[repo_type]
        expires = int(time.time()) + 3600
        objects = []
        for obj in payload.get("objects", []):
            oid, size = str(obj.get("oid", "")), int(obj.get("size", -1))
            if not re.fullmatch(r"[0-9a-f]{64}", oid) or size < 0:
                objects.append({"oid": oid, "size": max(size, 0), "error": {"code": 422, "message": "bad object"}})
                continue
            answer = {"oid": oid, "size": size, "authenticated": True}
            if self.store.has_blob(oid):
                self.store.grant_lfs(repo_type, repo_id, oid)  # already stored: no upload needed
            else:
                sig = self._signature(kind, repo_id, oid, size, expires)
                href = (f"{self._base(request)}/lfs-upload/{kind}/{params['ns']}/{params['name']}/{oid}"
                        f"?size={size}&expires={expires}&sig={sig}")
                answer["actions"] = {"upload": {"href": href, "expires_in": 3600}}
            objects.append(answer)
        return JSONResponse({"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                            media_type="application/vnd.git-lfs+json")

    async def lfs_put(self, request: Request) -> Response:
        """The upload URL handed out by lfs_batch: signed, so it needs no token; the body is streamed to disk."""
        try:
            params, query = request.path_params, request.query_params
            repo_type = KINDS.get(params["kind"])
            repo_id = f"{params['ns']}/{params['name']}"
            oid, size, expires = params["oid"], int(query.get("size", -1)), int(query.get("expires", 0))
            good = hmac.compare_digest(self._signature(params["kind"], repo_id, oid, size, expires),
                                       query.get("sig", ""))
            if repo_type is None or not good or expires < time.time():
                raise HubError(403, "Invalid or expired upload URL")
            check_repo_id(repo_id)
            upload = await run_in_threadpool(self.store.begin_upload, oid, size)
            try:
                pending, held = [], 0
                async for chunk in request.stream():  # gather ~1 MiB per hand-off to the worker thread
                    pending.append(chunk)
                    held += len(chunk)
                    if held >= CHUNK:
                        await run_in_threadpool(upload.write, b"".join(pending))
                        pending, held = [], 0
                if pending:
                    await run_in_threadpool(upload.write, b"".join(pending))
                await run_in_threadpool(upload.finish)
            finally:
                upload.abort()  # no-op after finish(); removes the temp file otherwise
            await run_in_threadpool(self.store.grant_lfs, repo_type, repo_id, oid)
            return Response(status_code=200)
        except HubError as err:
            return _error(err)

    # ---- files ---------------------------------------------------------------------------------------
    def resolve(self, request: Request, caller: Caller, body: bytes, repo_type: str) -> Response:
        _, repo_id = self._repo(request, repo_type)
        self._readable(repo_type, repo_id, caller)
        path = check_path(request.path_params["path"])
        sha, files = self._files(repo_type, repo_id, request.path_params["rev"])
        if path not in files:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        entry = files[path]
        etag = entry["sha256"] if entry.get("lfs") else entry["oid"]
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": sha, "Cache-Control": "no-cache"}
        return BlobResponse(self.store.blob_path(entry["sha256"]), headers=headers,
                            media_type="application/octet-stream")

    def unknown(self, request: Request, caller: Caller, body: bytes) -> Response:
        log.info("not supported by the sandbox: %s %s", request.method, request.url.path)
        parts = request.url.path.strip("/").split("/")
        looks_like_repo = (parts[:1] == ["api"] and len(parts) > 1 and parts[1] in KINDS) or "resolve" in parts
        raise HubError(404, f"The hftour sandbox does not serve {request.method} {request.url.path}",
                       "RepoNotFound" if looks_like_repo else None)


class BackgroundServer:
    """The sandbox served by uvicorn in a daemon thread on a loopback port; used by tests and notebooks."""

    def __init__(self, data_dir: Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host, self.port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint to give HF_ENDPOINT / HfApi(endpoint=...)."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "BackgroundServer":
        """Bind, start serving and wait until the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(HubApp(self.data_dir).app, log_level="warning", access_log=False,
                                lifespan="off", loop="asyncio", timeout_keep_alive=30)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="hftour-hub", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the hub sandbox did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Ask uvicorn to finish and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(data_dir: Path | str, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the sandbox in the foreground until Ctrl-C (`hftour hub serve`)."""
    uvicorn.run(HubApp(data_dir).app, host=host, port=port, log_level="info")
