"""Accounts, organisations and access tokens of the Hub sandbox, kept in DATA/users.json (tokens stored hashed)."""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from .fsutil import atomic_write_json, file_lock, read_json

NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")  # used with fullmatch: `$` allows "\n"


class UserError(ValueError):
    """A user or organisation name that is invalid or already taken."""


def valid_name(name: str) -> bool:
    """True for names the Hub would accept for a user, an organisation or a repo (letters, digits, . _ -)."""
    return isinstance(name, str) and bool(NAME_RE.fullmatch(name)) and "--" not in name and ".." not in name


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who sent a request: a user name (None when anonymous) and the token's role ('read' or 'write')."""

    name: str | None = None
    role: str | None = None
    token_name: str | None = None
    orgs: tuple[str, ...] = field(default_factory=tuple)

    def can_write(self, namespace: str) -> bool:
        """True if this caller holds a write token and owns `namespace` (itself or one of its organisations)."""
        return self.role == "write" and (namespace == self.name or namespace in self.orgs)

    def can_read_private(self, namespace: str) -> bool:
        """True if private repos under `namespace` are visible to this caller (any token of a member)."""
        return self.name is not None and (namespace == self.name or namespace in self.orgs)


class UserDB:
    """Users, organisations and hashed tokens in one JSON file; reloaded when another process changes it."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / "users.json"
        self._lock = Path(data_dir) / "locks" / "users.lock"
        self._cache: tuple[int, dict] | None = None

    def _load(self) -> dict:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {"users": {}, "orgs": {}}
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, read_json(self.path, {"users": {}, "orgs": {}}))
        return self._cache[1]

    def add_user(self, name: str, read_only: bool = False, orgs: tuple[str, ...] = ()) -> str:
        """Create `name` (or reuse it) and return a new token for it; `hftour hub user add` and the notebook sandbox use it."""
        if not valid_name(name):
            raise UserError(f"{name!r} is not a valid user name (letters, digits, '.', '_', '-')")
        token = "hf_" + secrets.token_urlsafe(24).replace("-", "a").replace("_", "b")
        role = "read" if read_only else "write"
        with file_lock(self._lock):
            db = read_json(self.path, {"users": {}, "orgs": {}})
            if name in db["orgs"]:
                raise UserError(f"{name!r} is already an organisation")
            user = db["users"].setdefault(name, {"created": time.time(), "tokens": []})
            user["tokens"].append({"sha256": _hash(token), "role": role,
                                   "name": f"{role}-token-{len(user['tokens']) + 1}", "created": time.time()})
            for org in orgs:
                if not valid_name(org) or org in db["users"]:
                    raise UserError(f"{org!r} cannot be used as an organisation name")
                members = db["orgs"].setdefault(org, [])
                if name not in members:
                    members.append(name)
            atomic_write_json(self.path, db)
        return token

    def authenticate(self, token: str | None) -> Caller | None:
        """The Caller a token belongs to; an anonymous Caller for no token; None for a token nobody holds."""
        if not token:
            return Caller()
        digest = _hash(token)
        db = self._load()
        for name, user in db["users"].items():
            for entry in user["tokens"]:
                if secrets.compare_digest(entry["sha256"], digest):
                    orgs = tuple(sorted(org for org, members in db["orgs"].items() if name in members))
                    return Caller(name=name, role=entry["role"], token_name=entry["name"], orgs=orgs)
        return None

    def exists(self, name: str) -> bool:
        """True if `name` is a user or an organisation."""
        db = self._load()
        return name in db["users"] or name in db["orgs"]
