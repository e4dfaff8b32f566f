"""Hub mode rehearsed against the sandbox: hftour's stand-ins published under their real repo ids.

The first piece of `make test-hub` (not built yet): with every stand-in in a sandbox under its real id and
owner, the short revisions that code pins as branches, and the repos that the Hub gates gated, the real
clients can download everything over HTTP exactly as they do from the Hub. Used by tests/hub/test_rehearsal.py.
"""
from __future__ import annotations

from pathlib import Path

from ..standins.store import StandinStore, UnknownStandinError
from .users import UserDB

# Repos that are gated on the real Hub (a login must accept their terms before files download).
GATED_ON_THE_HUB = frozenset({"mistralai/Mistral-7B-Instruct-v0.1"})
PUBLISHER = "hub-staff"  # the sandbox user who owns every organisation the stand-ins live under


def publish_standins(store_dir: Path, endpoint: str, ids: list[str] | None = None) -> dict[str, str]:
    """Publish built stand-ins (all, or `ids`) to the sandbox at `endpoint` whose data is `store_dir`; returns
    {repo id: commit}. Each repo's owner is the organisation of its real id; pinned short revisions become branches."""
    from huggingface_hub import HfApi, constants

    standins = StandinStore()
    unknown = sorted(set(ids or ()) - set(standins.by_id))
    if unknown:
        raise UnknownStandinError(f"no stand-in for {', '.join(unknown)}; `hftour standins list` shows the ids there are")
    specs = [spec for spec in standins.specs if ids is None or spec.id in ids]
    namespaces = tuple(sorted({spec.id.split("/")[0] for spec in specs}))
    api = HfApi(endpoint=endpoint, token=UserDB(store_dir).add_user(PUBLISHER, orgs=namespaces))
    commits = {}
    xet, constants.HF_HUB_DISABLE_XET = constants.HF_HUB_DISABLE_XET, True  # the sandbox stores large files with LFS
    try:
        for spec in specs:
            api.create_repo(spec.id, exist_ok=True)
            info = api.upload_folder(folder_path=standins.snapshot_dir(spec.id), repo_id=spec.id,
                                     commit_message="hftour stand-in")
            for revision in spec.revisions:
                api.create_branch(spec.id, branch=revision, revision=info.oid, exist_ok=True)
            if spec.id in GATED_ON_THE_HUB:
                api.update_repo_settings(spec.id, gated="manual")
            commits[spec.id] = info.oid
    finally:
        constants.HF_HUB_DISABLE_XET = xet
    return commits
