"""The Hub sandbox's storage: repos as JSON commits over content-addressed blobs, with atomic, locked ref updates.

Layout under the data folder (all plain files, readable by hand):
    blobs/ab/ab12...          file contents, named by their sha256
    repos/<type>/<ns>/<name>/
        repo.json             id, type, private, owner, creation time
        commits/<sha1>.json   parents, message, author, date and what changed {path: {sha256, size, oid} or
                              null for a deletion}; every SNAPSHOT_EVERY-th commit of a line (and the first)
                              holds the whole file table instead, so reading a revision replays a few deltas
        refs.json             {"branches": {...}, "tags": {...}} -> commit ids
        lfs/<sha256>          marks an LFS object uploaded to this repo (commits may only use those)
        lock                  held while the repo changes (refs, visibility, deletion)
A commit is written in three steps: blobs, then the commit file, then refs.json (write temp + os.replace).
Readers only follow refs.json, so an interrupted commit leaves the previous revision intact and serving.
Temp files of an interrupted write are removed when a server starts (HubStore.clean_leftovers).
"""
from __future__ import annotations

import contextlib
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
from typing import Iterable, Iterator

from .fsutil import atomic_write_bytes, atomic_write_json, file_lock, read_json, remove_leftovers
from .users import valid_name

REPO_TYPES = ("model", "dataset", "space")
# patterns are used with fullmatch: `$` would also match before a trailing newline
SHA1_RE = re.compile(r"[0-9a-f]{40}")
SHA256_RE = re.compile(r"[0-9a-f]{64}")
SHORT_SHA_RE = re.compile(r"[0-9a-f]{7,39}")
REF_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_ENCODED_TRICKS = re.compile(r"%(2f|5c|2e|00)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # a newline in a path can never be downloaded
SNAPSHOT_EVERY = 50  # commits between two full file tables along a line of history

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
    """A file path inside a repo, refused when absolute, with '..' or '.' parts, backslashes, control characters
    or encoded separators."""
    if not isinstance(path, str) or not path or len(path) > 1000:
        raise HubError(400, f"Invalid path {path!r}")
    if _CONTROL.search(path):
        raise HubError(400, f"Invalid path {path!r}: control characters are not allowed in file names")
    parts = path.split("/")
    if (path.startswith("/") or "\\" in path or _ENCODED_TRICKS.search(path)
            or any(p in ("", ".", "..", ".git") for p in parts)):
        raise HubError(400, f"Invalid path {path!r}: paths must stay inside the repository")
    return path


def check_ref_name(name: str) -> str:
    """A branch or tag name: letters, digits, '.', '_', '-' (no '/', so it can never name a folder)."""
    if not isinstance(name, str) or not REF_RE.fullmatch(name) or ".." in name or SHA1_RE.fullmatch(name):
        raise HubError(400, f"Invalid branch or tag name {name!r}")
    return name


def git_blob_oid(data: bytes) -> str:
    """The git object id of a file (sha1 of 'blob <size>\\0' + content), which the Hub reports for regular files."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def git_blob_oid_of_file(path: Path) -> str:
    """git_blob_oid of a stored file, read 1 MiB at a time (LFS objects can be many GB)."""
    digest = hashlib.sha1(b"blob %d\x00" % path.stat().st_size)
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


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
        if not SHA256_RE.fullmatch(sha256) or size < 0:
            raise HubError(400, "Invalid LFS object id or size")
        return BlobUpload(self, sha256, size)

    def has_blob(self, sha256: str) -> bool:
        """True if content with this sha256 is stored."""
        return isinstance(sha256, str) and bool(SHA256_RE.fullmatch(sha256)) and self.blob_path(sha256).exists()

    def lfs_entry(self, sha256: str) -> dict:
        """The file-table entry for an uploaded LFS object (its git id computed by streaming the blob)."""
        if not self.has_blob(sha256):
            raise HubError(422, f"Unknown LFS object {sha256!r}: upload it before committing")
        path = self.blob_path(sha256)
        return {"sha256": sha256, "size": path.stat().st_size, "oid": git_blob_oid_of_file(path), "lfs": True}

    def clean_leftovers(self) -> None:
        """Remove what a crash can leave: unfinished uploads, temp files of atomic writes, half-deleted repos.

        Called when a server starts on this folder (one server per data folder)."""
        shutil.rmtree(self.root / "blobs" / "incoming", ignore_errors=True)
        for trash in (self.root / "repos").glob("*/*/.deleted-*"):
            shutil.rmtree(trash, ignore_errors=True)
        remove_leftovers(self.root)

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
            sha = self._write_commit(folder, None, {".gitattributes": entry}, {}, message="initial commit",
                                     description="", author=owner)
            atomic_write_json(folder / "refs.json", {"branches": {"main": sha}, "tags": {}})
            atomic_write_json(folder / "repo.json", meta)  # written last: the repo exists once this file does
        return meta

    @contextlib.contextmanager
    def _locked(self, repo_type: str, repo_id: str) -> Iterator[Path]:
        """Hold the repo's lock and yield its folder; 404 if the repo does not exist (or was deleted meanwhile)."""
        folder = self.repo_dir(repo_type, repo_id)
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(file_lock(folder / "lock", make_parent=False))
            except FileNotFoundError:
                raise repo_not_found(repo_id) from None
            if not (folder / "repo.json").exists():
                raise repo_not_found(repo_id)
            yield folder

    def delete_repo(self, repo_type: str, repo_id: str) -> None:
        """Remove a repo once its running changes are done (its blobs stay: they may be shared)."""
        with file_lock(self.root / "locks" / "create.lock"), self._locked(repo_type, repo_id) as folder:
            trash = folder.with_name(f".deleted-{folder.name}-{time.time_ns()}")
            folder.rename(trash)  # one atomic step; cleanup afterwards
        shutil.rmtree(trash, ignore_errors=True)

    def update_settings(self, repo_type: str, repo_id: str, **settings: bool | str) -> None:
        """Change a repo's settings in repo.json ('private': bool, 'gated': False, "auto" or "manual")."""
        with self._locked(repo_type, repo_id) as folder:
            meta = read_json(folder / "repo.json")
            meta.update(settings)
            atomic_write_json(folder / "repo.json", meta)

    # ---- commits and refs ----------------------------------------------------------------------------
    def refs(self, repo_type: str, repo_id: str) -> dict:
        """{'branches': {name: sha}, 'tags': {name: sha}}."""
        return read_json(self.repo_dir(repo_type, repo_id) / "refs.json", {"branches": {}, "tags": {}})

    def _read_commit(self, folder: Path, sha: str) -> dict:
        """A commit file as stored: with 'files' (a snapshot) or 'changes' (a delta on its first parent)."""
        commit = read_json(folder / "commits" / f"{sha}.json") if SHA1_RE.fullmatch(sha) else None
        if commit is None:
            raise HubError(404, f"Invalid rev id: {sha}", "RevisionNotFound")
        return commit

    def get_commit(self, repo_type: str, repo_id: str, sha: str) -> dict:
        """A commit by its full id, with its whole file table under 'files' (deltas replayed on the last snapshot)."""
        folder = self.repo_dir(repo_type, repo_id)
        chain = [self._read_commit(folder, sha)]
        while "files" not in chain[-1]:
            chain.append(self._read_commit(folder, chain[-1]["parents"][0]))
        files = dict(chain[-1]["files"])
        for commit in reversed(chain[:-1]):
            for path, entry in commit["changes"].items():
                if entry is None:
                    files.pop(path, None)
                else:
                    files[path] = entry
        return {**chain[0], "files": files}

    def resolve(self, repo_type: str, repo_id: str, revision: str) -> str:
        """Branch, tag, full commit id or a unique prefix of at least 7 hex digits -> full commit id."""
        refs = self.refs(repo_type, repo_id)
        if revision in refs["branches"]:
            return refs["branches"][revision]
        if revision in refs["tags"]:
            return refs["tags"][revision]
        commits = self.repo_dir(repo_type, repo_id) / "commits"
        if SHA1_RE.fullmatch(revision) and (commits / f"{revision}.json").exists():
            return revision
        if SHORT_SHA_RE.fullmatch(revision):
            matches = [p.stem for p in commits.glob(f"{revision}*.json")]
            if len(matches) == 1:
                return matches[0]
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def _write_commit(self, folder: Path, parent: dict | None, files: dict, changes: dict, message: str,
                      description: str, author: str) -> str:
        """Store a commit on top of `parent` (None for the first): its changes, or every so often the whole table."""
        depth = 0 if parent is None else parent.get("depth", 0) + 1
        body: dict = {"parents": [] if parent is None else [parent["id"]], "message": message,
                      "description": description, "author": author, "date": now_iso()}
        if depth % SNAPSHOT_EVERY == 0:
            body["files"] = files
        else:
            body["changes"] = changes
        body["depth"] = depth
        sha = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()
        atomic_write_json(folder / "commits" / f"{sha}.json", {"id": sha, **body})
        return sha

    def _write_refs(self, folder: Path, refs: dict) -> None:
        atomic_write_json(folder / "refs.json", refs)

    def _stage(self, folder: Path, operations: Iterable[Operation]) -> list[tuple[str, str, dict | None]]:
        """Store the blobs of `operations` one at a time (the iterable may parse them lazily); (kind, path, entry)."""
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
        return staged

    @staticmethod
    def _apply(files: dict, staged: list[tuple[str, str, dict | None]]) -> dict:
        """Apply staged operations to a file table in place; returns the changes {path: entry or None}."""
        before = {}
        for kind, path, entry in staged:
            if kind == "delete_folder":
                touched = [p for p in files if p.startswith(path + "/")]
                if not touched:
                    raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
            elif kind == "delete" and path not in files:
                raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            else:
                touched = [path]
            for p in touched:
                before.setdefault(p, files.get(p))
                if kind == "add":
                    files[p] = entry
                else:
                    del files[p]
        return {p: files.get(p) for p, old in before.items() if files.get(p) != old}

    @staticmethod
    def _check_file_or_folder(files: dict, added: Iterable[str]) -> None:
        """Refuse a table where a path is both a file and a folder (`a.txt` and `a.txt/x`): clients would drop one."""
        folders = {p[:i] for p in files for i, c in enumerate(p) if c == "/"}
        for path in added:
            parents = [path[:i] for i, c in enumerate(path) if c == "/"]
            clash = path if path in folders else next((p for p in parents if p in files), None)
            if clash is not None:
                raise HubError(400, f"{clash!r} would be both a file and a folder in this commit")

    def commit(self, repo_type: str, repo_id: str, branch: str, operations: Iterable[Operation], message: str,
               description: str = "", author: str = "", parent_commit: str | None = None) -> str:
        """Apply operations on top of `branch` as one new commit and move the branch to it; returns the commit id.

        Blob contents are stored before the lock is taken, one operation at a time. Under the repo lock the new
        file table is built from the branch head as it is at that moment, so concurrent commits never drop each
        other's changes; a `parent_commit` (a full commit id) that is no longer the head is refused with 412.
        """
        if parent_commit is not None and not SHA1_RE.fullmatch(str(parent_commit)):
            raise HubError(400, f"parentCommit must be a full 40-character commit id, not {parent_commit!r}")
        folder = self.repo_dir(repo_type, repo_id)
        staged = self._stage(folder, operations)
        if not message:
            raise HubError(400, "A commit needs a message")
        with self._locked(repo_type, repo_id):
            refs = self.refs(repo_type, repo_id)
            if branch not in refs["branches"]:
                if branch in refs["tags"] or SHA1_RE.fullmatch(branch):
                    raise HubError(400, f"Cannot commit to {branch!r}: commits go to a branch")
                raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
            head = self.get_commit(repo_type, repo_id, refs["branches"][branch])
            if parent_commit is not None and head["id"] != parent_commit:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files = head.pop("files")
            changes = self._apply(files, staged)
            self._check_file_or_folder(files, [p for p, entry in changes.items() if entry is not None])
            sha = self._write_commit(folder, head, files, changes, message, description, author)
            refs["branches"][branch] = sha
            self._write_refs(folder, refs)
        return sha

    def grant_lfs(self, repo_type: str, repo_id: str, sha256: str) -> None:
        """Record that `sha256` was uploaded to this repo, so its commits may reference it."""
        with self._locked(repo_type, repo_id) as folder:
            (folder / "lfs").mkdir(exist_ok=True)
            (folder / "lfs" / sha256).touch()

    def holds_lfs(self, repo_type: str, repo_id: str, sha256: str) -> bool:
        """True if this repo already received the LFS object `sha256` (another repo's copy does not count)."""
        folder = self.repo_dir(repo_type, repo_id)
        return bool(SHA256_RE.fullmatch(sha256)) and (folder / "lfs" / sha256).exists() and self.has_blob(sha256)

    def _check_lfs_grant(self, folder: Path, sha256: str) -> None:
        if not isinstance(sha256, str) or not SHA256_RE.fullmatch(sha256) or not (folder / "lfs" / sha256).exists():
            raise HubError(422, f"LFS object {sha256!r} was not uploaded to this repo")

    def create_ref(self, repo_type: str, repo_id: str, kind: str, name: str, revision: str) -> str:
        """Create branch or tag `name` at `revision`; 409 if the name is taken. Returns the commit id."""
        check_ref_name(name)
        with self._locked(repo_type, repo_id) as folder:
            sha = self.resolve(repo_type, repo_id, revision)
            refs = self.refs(repo_type, repo_id)
            if name in refs["branches"] or name in refs["tags"]:
                raise HubError(409, f"Reference {name!r} already exists")
            refs["branches" if kind == "branch" else "tags"][name] = sha
            self._write_refs(folder, refs)
        return sha

    def delete_ref(self, repo_type: str, repo_id: str, kind: str, name: str) -> None:
        """Delete a branch (not main) or a tag; the commits stay and remain downloadable by id."""
        key = "branches" if kind == "branch" else "tags"
        with self._locked(repo_type, repo_id) as folder:
            refs = self.refs(repo_type, repo_id)
            if name not in refs[key]:
                raise HubError(404, f"Invalid rev id: {name}", "RevisionNotFound")
            if key == "branches" and name == "main":
                raise HubError(403, "The main branch cannot be deleted")
            del refs[key][name]
            self._write_refs(folder, refs)

    def history(self, repo_type: str, repo_id: str, sha: str) -> list[dict]:
        """Commits reachable from `sha`, newest first, as stored (see _read_commit)."""
        folder = self.repo_dir(repo_type, repo_id)
        seen, order, queue = set(), [], [sha]
        while queue:
            current = queue.pop(0)
            if current in seen:
                continue
            seen.add(current)
            commit = self._read_commit(folder, current)
            order.append(commit)
            queue.extend(commit["parents"])
        return order

    def _changed(self, repo_type: str, repo_id: str, commit: dict) -> set[str]:
        """The paths a commit changed compared with its first parent."""
        if "changes" in commit:
            return set(commit["changes"])
        new = commit["files"]
        old = self.get_commit(repo_type, repo_id, commit["parents"][0])["files"] if commit["parents"] else {}
        return {p for p in set(new) | set(old) if new.get(p) != old.get(p)}

    def last_commits(self, repo_type: str, repo_id: str, sha: str, paths: Iterable[str]) -> dict[str, dict]:
        """For each path, the newest commit (from `sha` back) that changed it or anything under it."""
        wanted = set(paths)
        found: dict[str, dict] = {}
        for commit in self.history(repo_type, repo_id, sha):
            changed = self._changed(repo_type, repo_id, commit)
            for path in wanted - set(found):
                if path in changed or any(c.startswith(path + "/") for c in changed):
                    found[path] = commit
            if len(found) == len(wanted):
                break
        return found
