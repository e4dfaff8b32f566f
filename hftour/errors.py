"""Clear errors for the offline mode: a missing stand-in names the fix, an unknown id lists what exists."""
from __future__ import annotations

import functools
import os

from .standins.store import StandinCacheError, StandinStore

HOW_TO_GO_ONLINE = "To use the real Hub, connect to the internet and set HFTOUR_MODE=hub before hftour.setup()."


class NoStandinError(OSError):
    """An id was asked for offline that hftour has no stand-in for."""


def check_standins() -> None:
    """Raise StandinCacheError, with the rebuild command, if any stand-in is missing or damaged."""
    store = StandinStore()
    # An outdated stand-in (its recipe changed since the build) still loads; `hftour doctor` reports it.
    usable = ("built", "outdated (recipe changed)")
    broken = {row["id"]: row["state"] for row in store.status() if row["state"] not in usable}
    if broken:
        listing = "\n".join(f"  - {repo_id}: {state}" for repo_id, state in broken.items())
        raise StandinCacheError(
            f"Offline mode needs the local stand-ins, and some are not usable:\n{listing}\n"
            "Build them with:  make standins   (or: hftour standins build)\n" + HOW_TO_GO_ONLINE
        )


def no_standin_message(repo_id: str) -> str:
    """Message for an id with no stand-in: the id, the ids that exist, and how to go online."""
    available = "\n".join(f"  - {spec.id}" for spec in StandinStore().specs)
    return (f"{repo_id!r} has no offline stand-in, and the Hub is not reachable in offline mode.\n"
            f"Stand-ins available offline:\n{available}\n{HOW_TO_GO_ONLINE}")


def install_missing_id_hint() -> None:
    """Wrap transformers' file resolution so an unknown repo id offline fails with no_standin_message()."""
    from transformers.utils import hub

    if getattr(hub.cached_files, "_hftour_wrapped", False):
        return
    original = hub.cached_files
    known = {spec.id for spec in StandinStore().specs}

    @functools.wraps(original)
    def cached_files(path_or_repo_id, *args, **kwargs):
        try:
            return original(path_or_repo_id, *args, **kwargs)
        except OSError as err:
            repo_id = str(path_or_repo_id)
            if os.path.isdir(repo_id) or repo_id in known:
                raise
            raise NoStandinError(no_standin_message(repo_id)) from err

    cached_files._hftour_wrapped = True
    hub.cached_files = cached_files
