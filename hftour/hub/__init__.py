"""A local Hub sandbox: a small server that speaks the part of the Hub's HTTP API the real clients use.

Pieces: `store` (repos, commits, refs and blobs on disk), `users` (accounts and tokens),
`server` (the Starlette app and a background runner), `sandbox` (what notebook 09 calls),
`cli` (`hftour hub serve` and `hftour hub user add`).
"""
from .sandbox import HubSession, start_for_notebook
from .store import HubStore
from .users import UserDB

__all__ = ["HubStore", "UserDB", "HubSession", "start_for_notebook"]
