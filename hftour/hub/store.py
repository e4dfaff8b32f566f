"""The Hub sandbox's storage: repos as JSON commits over content-addressed blobs, with atomic, locked ref updates.

Layout under the data folder (all plain files, readable by hand):
    blobs/ab/ab12...          file contents, named by their sha256
    repos/<type>/<ns>/<name>/
        repo.json             id, type, private, owner, creation time
        commits/<sha1>.json   parents, message, author, date and the full file table {path: sha256, size, oid}
        refs.json             {"branches": {...}, "tags": {...}} -> commit ids
        lock                  held while the refs change
A commit is written in three steps: blobs, then the commit file, then refs.json (write temp + os.replace).
Readers only follow refs.json, so an interrupted commit leaves the previous revision intact and serving.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from .fsutil import atomic_write_bytes, atomic_write_json, file_lock, read_json
from .users import valid_name

REPO_TYPES = ("model", "dataset", "space")
SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
SHORT_SHA_RE = re.compile(r"^[0-9a-f]{7,39}$")
REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_ENCODED_TRICKS = re.compile(r"%(2f|5c|2e|00)", re.IGNORECASE)

GITATTRIBUTES = """\
*.bin filter=lfs diff=lfs merge=lfs -text
*.ckpt filter=lfs diff=lfs merge=lfs -text
*.h5 filter=lfs diff=lfs merge=lfs -text
*.onnx filter=lfs diff=lfs merge=lfs -text
*.pt filter=lfs diff=lfs merge=lfs -text
*.pth filter=lfs diff=lfs merge=lfs -text
*.safetensors filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
"""


class HubError(Exception):
    """A refusal with an HTTP status and, where the Hub sends one, an X-Error-Code the clients understand."""

    def __init__(self, status: int, message: str, code: str | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra or {}


def repo_not_found(repo_id: str) -> HubError:
    """The Hub's answer for a repo that does not exist or that the caller may not see."""
    return HubError(404, f"Repository {repo_id} not found", "RepoNotFound")


def check_repo_id(repo_id: str) -> tuple[str, str]:
    """Split 'namespace/name', refusing anything that could name a folder outside the store."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(valid_name(p) for p in parts):
        raise HubError(400, f"Invalid repo id {repo_id!r}: expected 'namespace/name' with letters, digits, '.', '_', '-'")
    return parts[0], parts[1]


def check_path(path: str) -> str:
    """A file path inside a repo, refused when absolute, with '..' or '.' parts, backslashes, NUL or encoded separators."""
    if not isinstance(path, str) or not path or len(path) > 1000:
        raise HubError(400, f"Invalid path {path!r}")
    parts = path.split("/")
    if (path.startswith("/") or "\\" in path or "\x00" in path or _ENCODED_TRICKS.search(path)
            or any(p in ("", ".", "..", ".git") for p in parts)):
        raise HubError(400, f"Invalid path {path!r}: paths must stay inside the repository")
    return path


def check_ref_name(name: str) -> str:
    """A branch or tag name: letters, digits, '.', '_', '-' (no '/', so it can never name a folder)."""
    if not REF_RE.match(name) or ".." in name or SHA1_RE.match(name):
        raise HubError(400, f"Invalid branch or tag name {name!r}")
    return name


def git_blob_oid(data: bytes) -> str:
    """The git object id of a file (sha1 of 'blob <size>\\0' + content), which the Hub reports for regular files."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def now_iso() -> str:
    """UTC time in the Hub's format, e.g. 2026-01-31T12:00:00.000Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class BlobUpload:
    """One streamed LFS upload: write() chunks, then finish() checks sha256 and size and moves it into blobs/."""

    def __init__(self, store: "HubStore", sha256: str, size: int) -> None:
        self.store, self.sha256, self.size = store, sha256, size
        incoming = store.root / "blobs" / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.NamedTemporaryFile(dir=incoming, delete=False)
        self._digest, self._received, self._done = hashlib.sha256(), 0, False

    def write(self, chunk: bytes) -> None:
        """Append a chunk; refused as soon as more bytes arrive than were announced."""
        self._received += len(chunk)
        if self._received > self.size:
            raise HubError(400, "Uploaded content is larger than announced")
        self._digest.update(chunk)
        self._file.write(chunk)

    def finish(self) -> None:
        """Check the content against its announced hash and size, then publish it atomically."""
        if self._digest.hexdigest() != self.sha256 or self._received != self.size:
            raise HubError(400, "Uploaded content does not match its announced sha256 and size")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        target = self.store.blob_path(self.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._file.name, target)
        self._done = True

    def abort(self) -> None:
        """Drop the temp file of an upload that did not finish."""
        if not self._done:
            self._file.close()
            Path(self._file.name).unlink(missing_ok=True)
            self._done = True


@dataclass
class Operation:
    """One change in a commit: kind is 'add', 'add_blob' (reuse a stored blob by sha256), 'delete' or 'delete_folder'."""

    kind: str
    path: str
    data: bytes | None = None
    sha256: str | None = None


class HubStore:
    """Repos, commits, refs and blobs under one data folder; the server calls it from worker threads."""

    def __init__(self, data_dir: Path | str) -> None:
        self.root = Path(data_dir)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        (self.root / "repos").mkdir(parents=True, exist_ok=True)

    # ---- blobs -------------------------------------------------------------------------------------
    def blob_path(self, sha256: str) -> Path:
        """Where the blob with this sha256 lives."""
        return self.root / "blobs" / sha256[:2] / sha256

    def put_blob(self, data: bytes) -> dict:
        """Store file content once, named by its hash; returns its file-table entry {sha256, size, oid}."""
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.blob_path(sha256)
        if not path.exists():
            atomic_write_bytes(path, data)
        return {"sha256": sha256, "size": len(data), "oid": git_blob_oid(data)}

    def begin_upload(self, sha256: str, size: int) -> "BlobUpload":
        """Start receiving an LFS object announced with this sha256 and size (written to a temp file first)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or size < 0:
            raise HubError(400, "Invalid LFS object id or size")
        return BlobUpload(self, sha256, size)

    def has_blob(self, sha256: str) -> bool:
        """True if content with this sha256 is stored."""
        return bool(re.fullmatch(r"[0-9a-f]{64}", sha256 or "")) and self.blob_path(sha256).exists()

    def lfs_entry(self, sha256: str) -> dict:
        """The file-table entry for an uploaded LFS object."""
        if not self.has_blob(sha256):
            raise HubError(422, f"Unknown LFS object {sha256!r}: upload it before committing")
        data = self.blob_path(sha256).read_bytes()
        return {"sha256": sha256, "size": len(data), "oid": git_blob_oid(data), "lfs": True}

    # ---- repos -------------------------------------------------------------------------------------
    def repo_dir(self, repo_type: str, repo_id: str) -> Path:
        """The folder of a repo (validated id, so it is always inside the store)."""
        if repo_type not in REPO_TYPES:
            raise HubError(400, f"Invalid repo type {repo_type!r}")
        namespace, name = check_repo_id(repo_id)
        return self.root / "repos" / repo_type / namespace / name

    def repo_meta(self, repo_type: str, repo_id: str) -> dict | None:
        """repo.json of an existing repo, or None."""
        return read_json(self.repo_dir(repo_type, repo_id) / "repo.json")

    def create_repo(self, repo_type: str, repo_id: str, private: bool, owner: str) -> dict:
        """Create a repo with a first commit holding .gitattributes, as the Hub does; 409 if it exists."""
        folder = self.repo_dir(repo_type, repo_id)
        with file_lock(self.root / "locks" / "create.lock"):
            if (folder / "repo.json").exists():
                raise HubError(409, f"You already created this {repo_type} repo: {repo_id}")
            folder.mkdir(parents=True, exist_ok=True)
            meta = {"id": repo_id, "type": repo_type, "private": bool(private), "owner": owner,
                    "createdAt": now_iso()}
            entry = self.put_blob(GITATTRIBUTES.encode())
            sha = self._write_commit(folder, parents=[], files={".gitattributes": entry},
                                     message="initial commit", description="", author=owner)
            atomic_write_json(folder / "refs.json", {"branches": {"main": sha}, "tags": {}})
            atomic_write_json(folder / "repo.json", meta)  # written last: the repo exists once this file does
        return meta

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        """Remove a repo (its blobs stay: they may be shared)."""
        folder = self.repo_dir(repo_type, repo_id)
        with file_lock(self.root / "locks" / "create.lock"):
            if not (folder / "repo.json").exists():
                raise repo_not_found(repo_id)
            trash = folder.with_name(f".deleted-{folder.name}-{time.time_ns()}")
            folder.rename(trash)  # one atomic step; cleanup afterwards
            shutil.rmtree(trash, ignore_errors=True)

    def set_private(self, repo_type: str, repo_id: str, private: bool) -> None:
        """Change a repo's visibility."""
        folder = self.repo_dir(repo_type, repo_id)
        with file_lock(folder / "lock"):
            meta = read_json(folder / "repo.json")
            meta["private"] = bool(private)
            atomic_write_json(folder / "repo.json", meta)

    # ---- commits and refs ----------------------------------------------------------------------------
    def refs(self, repo_type: str, repo_id: str) -> dict:
        """{'branches': {name: sha}, 'tags': {name: sha}}."""
        return read_json(self.repo_dir(repo_type, repo_id) / "refs.json", {"branches": {}, "tags": {}})

    def get_commit(self, repo_type: str, repo_id: str, sha: str) -> dict:
        """A commit by its full id."""
        commit = read_json(self.repo_dir(repo_type, repo_id) / "commits" / f"{sha}.json")
        if commit is None:
            raise HubError(404, f"Invalid rev id: {sha}", "RevisionNotFound")
        return commit

    def resolve(self, repo_type: str, repo_id: str, revision: str) -> str:
        """Branch, tag, full commit id or a unique prefix of at least 7 hex digits -> full commit id."""
        refs = self.refs(repo_type, repo_id)
        if revision in refs["branches"]:
            return refs["branches"][revision]
        if revision in refs["tags"]:
            return refs["tags"][revision]
        commits = self.repo_dir(repo_type, repo_id) / "commits"
        if SHA1_RE.match(revision) and (commits / f"{revision}.json").exists():
            return revision
        if SHORT_SHA_RE.match(revision):
            matches = [p.stem for p in commits.glob(f"{revision}*.json")]
            if len(matches) == 1:
                return matches[0]
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _write_commit(self, folder: Path, parents: list[str], files: dict, message: str,
                      description: str, author: str) -> str:
        body = {"parents": parents, "files": files, "message": message, "description": description,
                "author": author, "date": now_iso()}
        sha = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        atomic_write_json(folder / "commits" / f"{sha}.json", {"id": sha, **body})
        return sha

    def _write_refs(self, folder: Path, refs: dict) -> None:
        atomic_write_json(folder / "refs.json", refs)

    def commit(self, repo_type: str, repo_id: str, branch: str, operations: Iterable[Operation], message: str,
               description: str = "", author: str = "", parent_commit: str | None = None) -> str:
        """Apply operations on top of `branch` as one new commit and move the branch to it; returns the commit id.

        Blob contents are stored before the lock is taken. Under the repo lock the new file table is built
        from the branch head as it is at that moment, so concurrent commits never drop each other's changes;
        a `parent_commit` that is no longer the head is refused with 412, as on the Hub.
        """
        folder = self.repo_dir(repo_type, repo_id)
        staged = []
        for op in operations:
            path = check_path(op.path.rstrip("/") if op.kind == "delete_folder" else op.path)
            if op.kind == "add":
                staged.append(("add", path, self.put_blob(op.data or b"")))
            elif op.kind == "add_blob":
                self._check_lfs_grant(folder, op.sha256 or "")
                staged.append(("add", path, self.lfs_entry(op.sha256 or "")))
            elif op.kind in ("delete", "delete_folder"):
                staged.append((op.kind, path, None))
            else:
                raise HubError(400, f"Unknown operation {op.kind!r}")
        if not message:
            raise HubError(400, "A commit needs a message")
        with file_lock(folder / "lock"):
            refs = self.refs(repo_type, repo_id)
            if branch not in refs["branches"]:
                if branch in refs["tags"] or SHA1_RE.match(branch):
                    raise HubError(400, f"Cannot commit to {branch!r}: commits go to a branch")
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            head = refs["branches"][branch]
            if parent_commit is not None and not head.startswith(parent_commit):
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files = dict(self.get_commit(repo_type, repo_id, head)["files"])
            for kind, path, entry in staged:
                if kind == "add":
                    files[path] = entry
                elif kind == "delete":
                    if path not in files:
                        raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                    del files[path]
                else:
                    doomed = [p for p in files if p.startswith(path + "/")]
                    if not doomed:
                        raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                    for p in doomed:
                        del files[p]
            sha = self._write_commit(folder, [head], files, message, description, author)
            refs["branches"][branch] = sha
            self._write_refs(folder, refs)
        return sha

    def grant_lfs(self, repo_type: str, repo_id: str, sha256: str) -> None:
        """Record that `sha256` was uploaded to this repo, so its commits may reference it."""
        folder = self.repo_dir(repo_type, repo_id) / "lfs"
        folder.mkdir(exist_ok=True)
        (folder / sha256).touch()

    def _check_lfs_grant(self, folder: Path, sha256: str) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or not (folder / "lfs" / sha256).exists():
            raise HubError(422, f"LFS object {sha256!r} was not uploaded to this repo")

    def create_ref(self, repo_type: str, repo_id: str, kind: str, name: str, revision: str) -> str:
        """Create branch or tag `name` at `revision`; 409 if the name is taken. Returns the commit id."""
        check_ref_name(name)
        folder = self.repo_dir(repo_type, repo_id)
        with file_lock(folder / "lock"):
            sha = self.resolve(repo_type, repo_id, revision)
            refs = self.refs(repo_type, repo_id)
            if name in refs["branches"] or name in refs["tags"]:
                raise HubError(409, f"Reference {name!r} already exists")
            refs["branches" if kind == "branch" else "tags"][name] = sha
            self._write_refs(folder, refs)
        return sha

    def delete_ref(self, repo_type: str, repo_id: str, kind: str, name: str) -> None:
        """Delete a branch (not main) or a tag; the commits stay and remain downloadable by id."""
        folder = self.repo_dir(repo_type, repo_id)
        key = "branches" if kind == "branch" else "tags"
        with file_lock(folder / "lock"):
            refs = self.refs(repo_type, repo_id)
            if name not in refs[key]:
                raise HubError(404, f"Invalid rev id: {name}", "RevisionNotFound")
            if key == "branches" and name == "main":
                raise HubError(403, "The main branch cannot be deleted")
            del refs[key][name]
            self._write_refs(folder, refs)

    def history(self, repo_type: str, repo_id: str, sha: str) -> list[dict]:
        """Commits reachable from `sha`, newest first."""
        seen, order, queue = set(), [], [sha]
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            commit = self.get_commit(repo_type, repo_id, current)
            order.append(commit)
            queue.extend(commit["parents"])
        return order

    def last_commits(self, repo_type: str, repo_id: str, sha: str, paths: Iterable[str]) -> dict[str, dict]:
        """For each path, the newest commit (from `sha` back) that changed it or anything under it."""
        wanted = set(paths)
        found: dict[str, dict] = {}
        chain = self.history(repo_type, repo_id, sha)
        for index, commit in enumerate(chain):
            older = chain[index + 1]["files"] if index + 1 < len(chain) else {}
            changed = {p for p in set(commit["files"]) | set(older) if commit["files"].get(p) != older.get(p)}
            for path in wanted - set(found):
                if path in changed or any(c.startswith(path + "/") for c in changed):
                    found[path] = commit
            if len(found) == len(wanted):
                break
        return found
