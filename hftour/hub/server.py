"""The Hub sandbox's HTTP API (Starlette) and a runner that serves it in the foreground or a background thread.

It answers the subset of the Hub API that huggingface_hub, transformers and datasets call: whoami, repo
create/delete/settings, repo info, tree, paths-info, refs, commits, preupload, commit (NDJSON), branches,
tags, git-LFS uploads (basic transfer) and file resolution (HEAD/GET with ETag and X-Repo-Commit, byte ranges).

Hostile input is refused early: the caller is authorized before a body is read, bodies are streamed with a
cap (chunked ones included), JSON must be an object of the expected types, and on a non-loopback host slow
senders are cut off (see the limits below).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import re
import secrets
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, AsyncIterator, Callable, Iterator
from urllib.parse import parse_qs

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from .store import REPO_TYPES, HubError, HubStore, Operation, check_path, check_repo_id, repo_not_found
from .users import Caller, UserDB

log = logging.getLogger("hftour.hub")
KINDS = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
BAD_TOKEN = "Invalid credentials in Authorization header"
MIB = 1024 ** 2

# ---- limits --------------------------------------------------------------------------------------------
MAX_JSON_BODY = 8 * MIB  # create/delete/settings/branch/tag/preupload/paths-info/LFS batch
MAX_COMMIT_BODY = 2 * 1024 ** 3  # one NDJSON commit, spooled to disk and read line by line
MAX_INLINE_FILE = 10 * 1000 ** 2  # the Hub refuses regular (inline) files over 10 MB: they go through LFS
MAX_COMMIT_LINE = MAX_INLINE_FILE * 4 // 3 + 64 * 1024  # one base64-encoded file plus its JSON wrapping
MAX_LFS_OBJECT = 50 * 1000 ** 3  # the Hub's per-file limit
MAX_CARD_BYTES = 256 * 1024  # README bytes read to find the model card's YAML metadata
HEADER_TIMEOUT = 30.0  # seconds a client may take to send a request's headers (non-loopback hosts)
BODY_TIMEOUT = 60.0  # seconds a client may pause while sending a body (non-loopback hosts)
MAX_DISCARDED_BODY = 1 * MIB  # an unread body up to this size is read and dropped before an error answer
LOOPBACK = ("127.0.0.1", "localhost", "::1")

REGULAR_LIMIT = 5 * 1024 ** 2  # what preupload sends inline; the clients expect regular files to stay under 5 MB
LFS_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".h5", ".onnx", ".msgpack", ".parquet",
                ".arrow", ".npy", ".npz", ".pkl", ".zip", ".gz", ".tar", ".png", ".jpg", ".jpeg", ".wav", ".mp3")
CHUNK = 1024 * 1024  # bytes per disk read or write hand-off to a worker thread
NO_XET = ("The hftour sandbox stores large files with the classic git-LFS protocol, not Xet: "
          "set HF_HUB_DISABLE_XET=1 in the client's environment")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _error(err: HubError) -> Response:
    headers = {"X-Error-Message": _header_safe(err.message)}
    if err.code:
        headers["X-Error-Code"] = err.code
    return JSONResponse({"error": err.message, **err.extra}, status_code=err.status, headers=headers)


def _header_safe(text: str) -> str:
    """`text` as a header value: printable ASCII only (the HTTP layer drops a connection over a newline)."""
    return "".join(c if " " <= c <= "~" else "?" for c in text)


class BlobResponse(FileResponse):
    """FileResponse reading 1 MiB at a time (the default 64 KiB costs a thread hop per chunk)."""

    chunk_size = CHUNK


def upload_mode(path: str, size: int, sample: bytes) -> str:
    """'lfs' for big or binary files and the usual model/data formats, as the Hub decides; 'regular' otherwise."""
    if size >= REGULAR_LIMIT or b"\x00" in sample or path.lower().endswith(LFS_SUFFIXES):
        return "lfs"
    return "regular"


def _card_data(readme: bytes) -> dict | None:
    """The YAML metadata block at the top of a README.md, as the Hub reports it in cardData.

    Aliases are refused (_NoAliasLoader): a few hundred bytes of nested aliases would expand to gigabytes
    for every reader. Values YAML types beyond JSON (dates) are reported as strings.
    """
    import yaml

    text = readme[:MAX_CARD_BYTES].decode("utf-8", "replace")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    if end < 0:
        return None
    try:
        data = yaml.load(text[3:end], Loader=_no_alias_loader())
        data = json.loads(json.dumps(data, default=str, allow_nan=False))
    except (yaml.YAMLError, RecursionError, TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _no_alias_loader() -> type:
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """SafeLoader that raises on an alias (`*name`) instead of expanding it."""

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise yaml.YAMLError("aliases are not allowed in model card metadata")
            return super().compose_node(parent, index)

    return NoAliasLoader


def _guard_connection(app: Callable) -> Callable:
    """ASGI wrapper: 400 for a URL path with control characters (no route matches a newline), and
    `Connection: close` on any answer sent before the request body was fully received (a refused upload must
    not keep its connection, and its sender, around)."""
    async def guarded(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        if _CONTROL.search(scope["path"]):
            return await _error(HubError(400, "Control characters are not allowed in URLs"))(scope, receive, send)
        headers = dict(scope["headers"])
        received = headers.get(b"content-length", b"0") == b"0" and b"transfer-encoding" not in headers

        async def tracked_receive() -> dict:
            nonlocal received
            message = await receive()
            received = received or not message.get("more_body", False)
            return message

        async def closing_send(message: dict) -> None:
            if message["type"] == "http.response.start" and not received:
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await app(scope, tracked_receive, closing_send)
    return guarded


# ---- request bodies --------------------------------------------------------------------------------------
def json_object(body: bytes, what: str = "request body") -> dict:
    """`body` parsed as a JSON object; 400 for anything else (bad UTF-8, not JSON, a list, nested too deep)."""
    try:
        value = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise HubError(400, f"The {what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise HubError(400, f"The {what} must be a JSON object")
    return value


def field(payload: dict, key: str, kind: type, default: Any = None) -> Any:
    """payload[key] if it has type `kind` (a bool is no int here); `default` when absent or null; 400 otherwise."""
    value = payload.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (type(value) is bool and kind is not bool):
        raise HubError(400, f"{key!r} must be of type {kind.__name__}, not {str(value)[:60]!r}")
    return value


def visibility(payload: dict) -> bool | None:
    """True/False from 'visibility' ('private'/'public') or a strict boolean 'private'; None when neither is set."""
    level = field(payload, "visibility", str)
    if level is not None and level not in ("public", "private"):
        raise HubError(400, f"'visibility' must be 'public' or 'private', not {level!r}")
    private = field(payload, "private", bool)
    return level == "private" if level is not None else private


def repo_type_of(payload: dict) -> str:
    """The 'type' of a create/delete body (model by default)."""
    repo_type = field(payload, "type", str, "model")
    if repo_type not in REPO_TYPES:
        raise HubError(400, f"'type' must be one of {', '.join(REPO_TYPES)}, not {repo_type!r}")
    return repo_type


def commit_lines(body: IO[bytes]) -> Iterator[dict]:
    """The JSON objects of an NDJSON commit body, one line at a time (a line holds at most one inline file)."""
    while line := body.readline(MAX_COMMIT_LINE + 1):
        if len(line) > MAX_COMMIT_LINE:
            raise HubError(413, f"A commit line is over {MAX_COMMIT_LINE} bytes: regular files over 10 MB "
                                "must be uploaded with LFS")
        if line.strip():
            yield json_object(line, "commit line")


def commit_header(line: dict | None) -> dict:
    """The commit's first line, {'key': 'header', 'value': {'summary': str, ...}}, checked."""
    if line is None or line.get("key") != "header" or not isinstance(line.get("value"), dict):
        raise HubError(400, "The commit must start with a header line")
    header = line["value"]
    if not field(header, "summary", str):
        raise HubError(400, "The commit header needs a summary")
    field(header, "description", str)
    field(header, "parentCommit", str)
    return header


def commit_operation(line: dict) -> Operation:
    """One 'file', 'lfsFile', 'deletedFile' or 'deletedFolder' line as an Operation (inline content decoded)."""
    key, value = line.get("key"), line.get("value")
    if not isinstance(value, dict):
        raise HubError(400, f"Malformed commit line {str(key)[:40]!r}: 'value' must be an object")
    path = field(value, "path", str, "")
    if key == "file":
        return Operation("add", path, data=inline_content(value))
    if key == "lfsFile":
        return Operation("add_blob", path, sha256=field(value, "oid", str, ""))
    if key == "deletedFile":
        return Operation("delete", path)
    if key == "deletedFolder":
        return Operation("delete_folder", path)
    raise HubError(400, f"Unknown commit operation {str(key)[:40]!r}")


def inline_content(value: dict) -> bytes:
    """The bytes of a regular file in a commit; 413 over MAX_INLINE_FILE (such files go through LFS)."""
    content = field(value, "content", str, "")
    too_big = HubError(413, f"{value['path']!r} is over 10 MB: upload it as an LFS file, not inline")
    if len(content) > MAX_INLINE_FILE * 4 // 3 + 4:
        raise too_big
    try:
        data = (base64.b64decode(content, validate=True) if value.get("encoding") == "base64"
                else content.encode())
    except (binascii.Error, UnicodeEncodeError):
        raise HubError(400, f"The content of {value['path']!r} is not valid base64") from None
    if len(data) > MAX_INLINE_FILE:
        raise too_big
    return data


def parse_int(text: str | None, name: str) -> int:
    """A non-negative integer from a query string; 400 otherwise."""
    if text is None or not text.isdigit():
        raise HubError(400, f"{name!r} must be a non-negative integer")
    return int(text)


@dataclass
class Call:
    """One request as a handler sees it: the caller, the repo it was authorized for, and the body."""

    request: Request
    caller: Caller
    repo_type: str | None = None
    repo_id: str | None = None
    body: Any = None  # bytes for small bodies, an open file for a commit

    @property
    def params(self) -> dict:
        return self.request.path_params


class HubApp:
    """The sandbox as an ASGI app over one data folder (`.app` is what uvicorn serves).

    Each route declares what it needs before its body is read: `access` is 'read' or 'write' (the repo in the
    URL), 'token' (any write token, for create/delete) or None (the handler decides); `body` is None (not
    read), 'json' (at most MAX_JSON_BODY bytes) or 'commit' (spooled to a temp file, MAX_COMMIT_BODY).
    """

    def __init__(self, data_dir: Path | str, body_timeout: float | None = None) -> None:
        self.store = HubStore(data_dir)
        self.store.clean_leftovers()
        self.users = UserDB(data_dir)
        self.body_timeout = body_timeout
        self._secret = secrets.token_bytes(32)  # signs LFS upload URLs (they carry no Authorization header)
        repo = "/api/{kind}/{ns}/{name}"
        route = self._route
        routes = [
            route("/api/whoami-v2", self.whoami),
            route("/api/agent-harnesses", self.agent_harnesses),
            route("/api/validate-yaml", self.validate_yaml, ["POST"], body="json"),
            route("/api/repos/create", self.create_repo, ["POST"], access="token", body="json"),
            route("/api/repos/delete", self.delete_repo, ["DELETE", "POST"], access="token", body="json"),
            route(repo, self.repo_info, access="read"),
            route(repo + "/revision/{rev}", self.repo_info, access="read"),
            route(repo + "/tree/{rev}", self.tree, access="read"),
            route(repo + "/tree/{rev}/{path:path}", self.tree, access="read"),
            route(repo + "/paths-info/{rev}", self.paths_info, ["POST"], access="read", body="json"),
            route(repo + "/refs", self.list_refs, access="read"),
            route(repo + "/commits/{rev}", self.list_commits, access="read"),
            route(repo + "/preupload/{rev}", self.preupload, ["POST"], access="write", body="json"),
            route(repo + "/commit/{rev}", self.commit, ["POST"], access="write", body="commit"),
            route(repo + "/branch/{ref}", self.create_branch, ["POST"], access="write", body="json"),
            route(repo + "/branch/{ref}", self.delete_branch, ["DELETE"], access="write"),
            route(repo + "/tag/{ref}", self.create_tag, ["POST"], access="write", body="json"),
            route(repo + "/tag/{ref}", self.delete_tag, ["DELETE"], access="write"),
            route(repo + "/settings", self.settings, ["PUT"], access="write", body="json"),
            route(repo + "/xet-write-token/{rev}", self.no_xet),
            route(repo + "/xet-read-token/{rev}", self.no_xet),
            *[route(f"/{prefix}{{ns}}/{{name}}.git/info/lfs/objects/batch", self.lfs_batch, ["POST"],
                    repo_type=kind, access="write", body="json") for kind, prefix in URL_PREFIX.items()],
            Route("/lfs-upload/{kind}/{ns}/{name}/{oid}", self._guarded(self.lfs_put), methods=["PUT"]),
            *[route(f"/{prefix}{{ns}}/{{name}}/resolve/{{rev}}/{{path:path}}", self.resolve, ["GET", "HEAD"],
                    repo_type=kind, access="download") for kind, prefix in URL_PREFIX.items()],
            route("/{rest:path}", self.unsupported, ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]),
        ]
        self.app = _guard_connection(Starlette(routes=routes))

    # ---- plumbing ------------------------------------------------------------------------------------
    def _route(self, path: str, handler: Callable, methods: list[str] | None = None, repo_type: str | None = None,
               access: str | None = None, body: str | None = None) -> Route:
        """A route whose sync handler(call) runs in a worker thread once the caller is authorized and the body read."""
        async def endpoint(request: Request) -> Response:
            call = await self._authorize(request, repo_type, access)
            if body == "json":
                call.body = await self._read_small(request)
            elif body == "commit":
                with await self._spool(request) as spooled:
                    call.body = spooled
                    return await run_in_threadpool(handler, call)
            return await run_in_threadpool(handler, call)
        return Route(path, self._guarded(endpoint), methods=methods or ["GET"])

    @staticmethod
    def _guarded(endpoint: Callable) -> Callable:
        """Turn errors into answers (an escaped error makes the server drop the connection)."""
        async def guarded(request: Request) -> Response:
            try:
                return await endpoint(request)
            except HubError as err:
                await _discard_small_body(request)
                return _error(err)
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is left to read it
            except Exception as err:
                log.exception("unhandled error in %s %s", request.method, _header_safe(request.url.path))
                return _error(HubError(500, f"Internal error in the hftour sandbox: {type(err).__name__}: {err}"))
        return guarded

    async def _authorize(self, request: Request, repo_type: str | None, access: str | None) -> Call:
        """Who is calling and, for repo routes, whether they may: all before any byte of the body is read."""
        call = Call(request, self._caller(request))
        if access == "token":
            self._require_write_token(call.caller)
        elif access in ("read", "download", "write"):
            call.repo_type, call.repo_id = self._repo(request, repo_type)
            check = {"read": self._readable, "download": self._downloadable, "write": self._writable}[access]
            await run_in_threadpool(check, call.repo_type, call.repo_id, call.caller)
        return call

    async def _chunks(self, request: Request, limit: int) -> AsyncIterator[bytes]:
        """The body piece by piece: 413 once past `limit` bytes, 408 when the sender pauses past body_timeout."""
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise HubError(413, f"Request body over the sandbox's limit of {limit} bytes")
        request.state.body_started = True  # an error from here on must not wait for the rest (see _discard_small_body)
        received, stream = 0, request.stream()
        while True:
            try:
                async with asyncio.timeout(self.body_timeout):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise HubError(408, "The request body arrived too slowly") from None
            received += len(chunk)
            if received > limit:
                raise HubError(413, f"Request body over the sandbox's limit of {limit} bytes")
            yield chunk

    async def _read_small(self, request: Request) -> bytes:
        return b"".join([chunk async for chunk in self._chunks(request, MAX_JSON_BODY)])

    async def _copy_body(self, request: Request, limit: int, write: Callable[[bytes], Any]) -> None:
        """Stream the body into write(), handing ~1 MiB at a time to a worker thread."""
        pending, held = [], 0
        async for chunk in self._chunks(request, limit):
            pending.append(chunk)
            held += len(chunk)
            if held >= CHUNK:
                await run_in_threadpool(write, b"".join(pending))
                pending, held = [], 0
        if pending:
            await run_in_threadpool(write, b"".join(pending))

    async def _spool(self, request: Request) -> IO[bytes]:
        """A commit body in an anonymous temp file next to the blobs, rewound; the caller closes it."""
        spooled = tempfile.TemporaryFile(dir=self.store.root / "blobs")
        try:
            await self._copy_body(request, MAX_COMMIT_BODY, spooled.write)
            spooled.seek(0)
        except BaseException:
            spooled.close()
            raise
        return spooled

    def _caller(self, request: Request) -> Caller:
        header = request.headers.get("authorization")
        if not header:
            return Caller()
        scheme, _, token = header.partition(" ")
        caller = self.users.authenticate(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None or caller.name is None:
            raise HubError(401, BAD_TOKEN)
        return caller

    @staticmethod
    def _require_write_token(caller: Caller) -> None:
        if caller.name is None:
            raise HubError(401, "You must be authenticated with a write token to change a repo")
        if caller.role != "write":
            raise HubError(403, "This token is read-only: changing repos needs a write token")

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

    def _downloadable(self, repo_type: str, repo_id: str, caller: Caller) -> dict:
        """repo.json if the caller may download the repo's files. A gated repo serves them only to its owner (and
        organisation members): the sandbox has no access requests, so everyone else gets the Hub's GatedRepo answer,
        which huggingface_hub raises as GatedRepoError."""
        meta = self._readable(repo_type, repo_id, caller)
        if meta.get("gated") and not caller.can_read_private(repo_id.split("/")[0]):
            raise HubError(401 if caller.name is None else 403,
                           f"Access to {repo_id} is restricted: it is gated and you have not been granted access",
                           "GatedRepo")
        return meta

    @staticmethod
    def _base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _files(self, call: Call, revision: str) -> tuple[str, dict]:
        sha = self.store.resolve(call.repo_type, call.repo_id, revision)
        return sha, self.store.get_commit(call.repo_type, call.repo_id, sha)["files"]

    # ---- account -------------------------------------------------------------------------------------
    def whoami(self, call: Call) -> Response:
        caller = call.caller
        if caller.name is None:
            raise HubError(401, "You must be authenticated to call whoami")
        orgs = [{"type": "org", "name": org, "fullname": org, "roleInOrg": "write"} for org in caller.orgs]
        return JSONResponse({
            "type": "user", "id": caller.name, "name": caller.name, "fullname": caller.name, "email": None,
            "emailVerified": False, "isPro": False, "canPay": False, "orgs": orgs,
            "auth": {"type": "access_token",
                     "accessToken": {"displayName": caller.token_name, "role": caller.role}},
        })

    def agent_harnesses(self, call: Call) -> Response:
        return JSONResponse({"standardEnvVars": [], "harnesses": {}})

    def validate_yaml(self, call: Call) -> Response:
        return JSONResponse({"errors": [], "warnings": []})

    # ---- repos ---------------------------------------------------------------------------------------
    def _named_repo(self, call: Call, payload: dict) -> tuple[str, str, str]:
        """(type, repo id, namespace) named by a create/delete body: 'name', optional 'organization' and 'type'."""
        name = field(payload, "name", str)
        if not name:
            raise HubError(400, "The request needs the repo's 'name'")
        namespace = field(payload, "organization", str) or call.caller.name
        repo_id = f"{namespace}/{name}"
        check_repo_id(repo_id)
        return repo_type_of(payload), repo_id, namespace

    def create_repo(self, call: Call) -> Response:
        payload = json_object(call.body)
        repo_type, repo_id, namespace = self._named_repo(call, payload)
        private = bool(visibility(payload))
        if not call.caller.can_write(namespace):
            raise HubError(403, f"You don't have the rights to create a repo under the namespace {namespace!r}")
        url = f"{self._base(call.request)}/{URL_PREFIX[repo_type]}{repo_id}"
        try:
            self.store.create_repo(repo_type, repo_id, private=private, owner=call.caller.name)
        except HubError as err:
            err.extra["url"] = url  # the Hub names the existing repo; create_repo(exist_ok=True) reads it
            raise
        return JSONResponse({"url": url, "name": repo_id, "id": repo_id})

    def delete_repo(self, call: Call) -> Response:
        repo_type, repo_id, _ = self._named_repo(call, json_object(call.body))
        self._writable(repo_type, repo_id, call.caller)
        self.store.delete_repo(repo_type, repo_id)
        return JSONResponse({})

    def settings(self, call: Call) -> Response:
        payload = json_object(call.body)
        changes: dict[str, bool | str] = {}
        private = visibility(payload)
        if private is not None:
            changes["private"] = private
        if "gated" in payload:
            if payload["gated"] not in (False, "auto", "manual"):
                raise HubError(400, f"'gated' must be false, 'auto' or 'manual', not {str(payload['gated'])[:60]!r}")
            changes["gated"] = payload["gated"]
        if changes:
            self.store.update_settings(call.repo_type, call.repo_id, **changes)
        return JSONResponse({})

    def repo_info(self, call: Call) -> Response:
        repo_type, repo_id = call.repo_type, call.repo_id
        meta = self._readable(repo_type, repo_id, call.caller)
        sha = self.store.resolve(repo_type, repo_id, call.params.get("rev", "main"))
        commit = self.store.get_commit(repo_type, repo_id, sha)
        files = commit["files"]
        card = None
        if "README.md" in files:
            with open(self.store.blob_path(files["README.md"]["sha256"]), "rb") as readme:
                card = _card_data(readme.read(MAX_CARD_BYTES))
        tags = (card or {}).get("tags")
        info = {
            "_id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24],
            "id": repo_id, "author": repo_id.split("/")[0], "sha": sha, "private": meta["private"],
            "gated": meta.get("gated", False), "disabled": False, "downloads": 0, "likes": 0,
            "lastModified": commit["date"], "createdAt": meta["createdAt"],
            "tags": list(tags) if isinstance(tags, list) else [],
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

    def tree(self, call: Call) -> Response:
        sha, files = self._files(call, call.params["rev"])
        base = call.params.get("path", "").strip("/")
        if base:
            check_path(base)
        query = call.request.query_params
        recursive = query.get("recursive", "false").lower() in ("1", "true")
        expand = query.get("expand", "false").lower() in ("1", "true")
        prefix = base + "/" if base else ""
        below = [p for p in files if p.startswith(prefix)]
        if base and not below:
            raise HubError(404, f"{base} does not exist on {call.params['rev']}", "EntryNotFound")
        names: set[str] = set()
        for path in below:
            parts = path[len(prefix):].split("/")
            depth = len(parts) if recursive else 1
            for i in range(1, depth + 1):
                names.add(prefix + "/".join(parts[:i]))
        listing = self._entries(call.repo_type, call.repo_id, sha, files, sorted(names), expand)
        listing.sort(key=lambda e: (e["type"] != "directory", e["path"]))
        return JSONResponse(listing)

    @staticmethod
    def _paths_form(call: Call) -> tuple[list, bool]:
        """The paths and expand flag of a paths-info request, sent as JSON or as a form (huggingface_hub)."""
        if call.request.headers.get("content-type", "").startswith("application/json"):
            form = json_object(call.body)
            return field(form, "paths", list, []), bool(field(form, "expand", bool, False))
        try:
            form = parse_qs(call.body.decode("utf-8"))
        except UnicodeDecodeError:
            raise HubError(400, "The form is not valid UTF-8") from None
        return form.get("paths", []), (form.get("expand") or ["false"])[0].lower() in ("1", "true")

    def paths_info(self, call: Call) -> Response:
        sha, files = self._files(call, call.params["rev"])
        paths, expand = self._paths_form(call)
        if not all(isinstance(p, str) for p in paths):
            raise HubError(400, "'paths' must be a list of strings")
        paths = [check_path(p.strip("/")) for p in paths if p.strip("/")]
        return JSONResponse(self._entries(call.repo_type, call.repo_id, sha, files, paths, expand))

    def list_refs(self, call: Call) -> Response:
        refs = self.store.refs(call.repo_type, call.repo_id)
        return JSONResponse({
            "branches": [{"name": n, "ref": f"refs/heads/{n}", "targetCommit": s} for n, s in refs["branches"].items()],
            "tags": [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": s} for n, s in refs["tags"].items()],
            "converts": [], "pullRequests": [],
        })

    def list_commits(self, call: Call) -> Response:
        sha = self.store.resolve(call.repo_type, call.repo_id, call.params["rev"])
        return JSONResponse([
            {"id": c["id"], "title": c["message"], "message": c["description"], "date": c["date"],
             "authors": [{"user": c["author"], "avatar": None}]}
            for c in self.store.history(call.repo_type, call.repo_id, sha)
        ])

    # ---- writing -------------------------------------------------------------------------------------
    @staticmethod
    def _no_pull_requests(call: Call) -> None:
        if call.request.query_params.get("create_pr"):
            raise HubError(400, "Pull requests are not available in the hftour sandbox")

    @staticmethod
    def _preupload_item(item: Any) -> tuple[str, int, bytes]:
        """(path, size, sample) of one file a client asks about before uploading."""
        if not isinstance(item, dict):
            raise HubError(400, "Each preupload file must be an object")
        path = check_path(field(item, "path", str, ""))
        size = field(item, "size", int, 0)
        try:
            sample = base64.b64decode(field(item, "sample", str, ""))
        except binascii.Error:
            raise HubError(400, f"The sample of {path!r} is not valid base64") from None
        return path, size, sample

    def preupload(self, call: Call) -> Response:
        self._no_pull_requests(call)
        items = field(json_object(call.body), "files", list, [])
        _, files = self._files(call, call.params["rev"])
        answer = []
        for path, size, sample in map(self._preupload_item, items):
            mode = upload_mode(path, size, sample)
            old = files.get(path)
            oid = None if old is None else old["sha256"] if mode == "lfs" else old["oid"]
            answer.append({"path": path, "uploadMode": mode, "shouldIgnore": False, "oid": oid})
        return JSONResponse({"files": answer, "commitOid": None})

    def commit(self, call: Call) -> Response:
        """An NDJSON commit: a header line, then one line per operation, each decoded and stored as it is read."""
        self._no_pull_requests(call)
        lines = commit_lines(call.body)
        header = commit_header(next(lines, None))
        sha = self.store.commit(call.repo_type, call.repo_id, call.params["rev"], map(commit_operation, lines),
                                message=header["summary"], description=header.get("description") or "",
                                author=call.caller.name or "", parent_commit=header.get("parentCommit"))
        url = f"{self._base(call.request)}/{URL_PREFIX[call.repo_type]}{call.repo_id}/commit/{sha}"
        return JSONResponse({"success": True, "commitOid": sha, "commitUrl": url, "pullRequestUrl": None})

    def create_branch(self, call: Call) -> Response:
        start = field(json_object(call.body), "startingPoint", str) or "main"
        self.store.create_ref(call.repo_type, call.repo_id, "branch", call.params["ref"], start)
        return JSONResponse({})

    def delete_branch(self, call: Call) -> Response:
        self.store.delete_ref(call.repo_type, call.repo_id, "branch", call.params["ref"])
        return JSONResponse({})

    def create_tag(self, call: Call) -> Response:
        tag = field(json_object(call.body), "tag", str, "")
        self.store.create_ref(call.repo_type, call.repo_id, "tag", tag, call.params["ref"])
        return JSONResponse({})

    def delete_tag(self, call: Call) -> Response:
        self.store.delete_ref(call.repo_type, call.repo_id, "tag", call.params["ref"])
        return JSONResponse({})

    # ---- large files (git-LFS basic transfer) ---------------------------------------------------------
    def no_xet(self, call: Call) -> Response:
        raise HubError(501, NO_XET)

    def _signature(self, kind: str, repo_id: str, oid: str, size: int, expires: int) -> str:
        message = f"{kind}|{repo_id}|{oid}|{size}|{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _lfs_object(self, call: Call, obj: Any, expires: int) -> dict:
        """The batch answer for one object: an upload action unless this repo already holds it."""
        obj = obj if isinstance(obj, dict) else {}
        oid, size = obj.get("oid"), obj.get("size")
        if (not isinstance(oid, str) or not re.fullmatch(r"[0-9a-f]{64}", oid) or type(size) is not int
                or not 0 <= size <= MAX_LFS_OBJECT):
            return {"oid": str(oid)[:64], "size": 0,
                    "error": {"code": 422, "message": f"bad object id or size (at most {MAX_LFS_OBJECT} bytes)"}}
        answer = {"oid": oid, "size": size, "authenticated": True}
        if not self.store.holds_lfs(call.repo_type, call.repo_id, oid):
            kind = {"model": "models", "dataset": "datasets", "space": "spaces"}[call.repo_type]
            sig = self._signature(kind, call.repo_id, oid, size, expires)
            href = (f"{self._base(call.request)}/lfs-upload/{kind}/{call.repo_id}/{oid}"
                    f"?size={size}&expires={expires}&sig={sig}")
            answer["actions"] = {"upload": {"href": href, "expires_in": 3600}}
        return answer

    def lfs_batch(self, call: Call) -> Response:
        payload = json_object(call.body)
        transfers = field(payload, "transfers", list, ["basic"])
        if field(payload, "operation", str) != "upload" or "basic" not in transfers:
            raise HubError(400, "The sandbox supports LFS uploads with the basic transfer only")
        expires = int(time.time()) + 3600
        objects = [self._lfs_object(call, obj, expires) for obj in field(payload, "objects", list, [])]
        return JSONResponse({"transfer": "basic", "objects": objects, "hash_algo": "sha256"},
                            media_type="application/vnd.git-lfs+json")

    def _check_upload_url(self, request: Request) -> tuple[str, str, str, int]:
        """(repo type, repo id, oid, size) of a signed upload URL from lfs_batch; 403 if forged or expired."""
        params, query = request.path_params, request.query_params
        size, expires = parse_int(query.get("size"), "size"), parse_int(query.get("expires"), "expires")
        repo_type, repo_id, oid = KINDS.get(params["kind"]), f"{params['ns']}/{params['name']}", params["oid"]
        good = hmac.compare_digest(self._signature(params["kind"], repo_id, oid, size, expires), query.get("sig", ""))
        if repo_type is None or not good or expires < time.time():
            raise HubError(403, "Invalid or expired upload URL")
        if self.store.repo_meta(repo_type, repo_id) is None:
            raise repo_not_found(repo_id)
        return repo_type, repo_id, oid, size

    async def lfs_put(self, request: Request) -> Response:
        """The upload URL handed out by lfs_batch: signed, so it needs no token; the body is streamed to disk."""
        repo_type, repo_id, oid, size = await run_in_threadpool(self._check_upload_url, request)
        upload = await run_in_threadpool(self.store.begin_upload, oid, size)
        try:
            await self._copy_body(request, size, upload.write)
            await run_in_threadpool(upload.finish)
        finally:
            upload.abort()  # no-op after finish(); removes the temp file otherwise
        await run_in_threadpool(self.store.grant_lfs, repo_type, repo_id, oid)
        return Response(status_code=200)

    # ---- files ---------------------------------------------------------------------------------------
    def resolve(self, call: Call) -> Response:
        path = check_path(call.params["path"])
        sha, files = self._files(call, call.params["rev"])
        if path not in files:
            raise HubError(404, f"Entry not found: {path}", "EntryNotFound")
        entry = files[path]
        etag = entry["sha256"] if entry.get("lfs") else entry["oid"]
        headers = {"ETag": f'"{etag}"', "X-Repo-Commit": sha, "Cache-Control": "no-cache"}
        return BlobResponse(self.store.blob_path(entry["sha256"]), headers=headers,
                            media_type="application/octet-stream")

    def unsupported(self, call: Call) -> Response:
        request = call.request
        log.info("not supported by the sandbox: %s %s", request.method, _header_safe(request.url.path))
        raise HubError(404, f"{request.method} {request.url.path} is not supported by the sandbox "
                            "(it serves what push_to_hub, from_pretrained and load_dataset need)")


async def _discard_small_body(request: Request) -> None:
    """Read and drop a small body nobody read, so the error answer arrives (closing on unread bytes resets it)."""
    declared = request.headers.get("content-length", "")
    if getattr(request.state, "body_started", False) or not declared.isdigit() \
            or not 0 < int(declared) <= MAX_DISCARDED_BODY:
        return  # partly read (too large, too slow), no body, chunked or large: the client sees the answer or a reset
    try:
        async with asyncio.timeout(5):
            async for _ in request.stream():
                pass
    except (ClientDisconnect, TimeoutError):
        pass


def _header_deadline_protocol(seconds: float) -> type:
    """uvicorn's h11 protocol with a deadline for each request's headers, so slow senders cannot hold connections.

    uvicorn only times out idle keep-alive connections; this arms a timer when a connection opens (and after each
    response) and disarms it once the request's headers are complete. Relies on H11Protocol's hooks.
    """
    class HeaderDeadline(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            if self.conn.their_state is h11.IDLE:
                self._deadline = self.loop.call_later(seconds, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadline


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket on host:port (port 0 picks a free one); raises OSError when that fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def make_server(data_dir: Path | str, header_timeout: float | None, body_timeout: float | None,
                log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for the sandbox app; timeouts of None leave slow senders alone (fine on loopback)."""
    http: Any = "h11" if header_timeout is None else _header_deadline_protocol(header_timeout)
    config = uvicorn.Config(HubApp(data_dir, body_timeout=body_timeout).app, log_level=log_level,
                            access_log=False, lifespan="off", loop="asyncio", http=http, timeout_keep_alive=30)
    return uvicorn.Server(config)


class BackgroundServer:
    """The sandbox served by uvicorn in a daemon thread on a loopback port; used by tests and notebooks."""

    def __init__(self, data_dir: Path | str, host: str = "127.0.0.1", port: int = 0,
                 header_timeout: float | None = None, body_timeout: float | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.host, self.port = host, port
        self.timeouts = (header_timeout, body_timeout)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint to give HF_ENDPOINT / HfApi(endpoint=...)."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "BackgroundServer":
        """Bind, start serving and wait until the server accepts connections."""
        sock = bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._server = make_server(self.data_dir, *self.timeouts)
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
    """Serve the sandbox in the foreground until Ctrl-C (`hftour hub serve`); OSError if it cannot listen there.

    Off loopback, headers must arrive within HEADER_TIMEOUT and a body may not pause for more than BODY_TIMEOUT.
    """
    sock = bind(host, port)
    timeouts = (None, None) if host in LOOPBACK else (HEADER_TIMEOUT, BODY_TIMEOUT)
    make_server(data_dir, *timeouts, log_level="info").run(sockets=[sock])
