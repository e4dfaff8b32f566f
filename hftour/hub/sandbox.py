"""Connect a notebook to a Hub: offline, a private sandbox on a loopback port; in hub mode, the real Hub (notebook 09)."""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from .server import BackgroundServer
from .users import UserDB

SANDBOX_USER = "learner"
SANDBOX_ORG = "study-group"
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


@dataclass
class HubSession:
    """Which Hub the notebook talks to: mode ('sandbox', 'class' or 'hub'), endpoint, user name and organisations."""

    mode: str
    endpoint: str
    user: str
    orgs: list[str] = field(default_factory=list)
    server: BackgroundServer | None = None
    data_dir: Path | None = None
    restore: Callable[[], None] | None = None

    def banner(self) -> str:
        """The line start_for_notebook() prints."""
        if self.mode == "sandbox":
            return (f"hftour hub | SANDBOX: a private Hub on this machine (loopback only), logged in as "
                    f"'{self.user}' with a write token; nothing you push leaves this computer")
        if self.mode == "class":
            return f"hftour hub | SANDBOX: the class sandbox at {self.endpoint}, logged in as '{self.user}'"
        return f"hftour hub | HUB: the real Hugging Face Hub, logged in as '{self.user}'; pushes are public unless private=True"

    def stop(self) -> None:
        """Stop the sandbox, point the clients back where they were and delete its data (no-op for the real Hub)."""
        if self.restore is not None:
            self.restore()
            self.restore = None
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


def point_clients_at(endpoint: str, token: str, cache_dir: Path | None = None) -> Callable[[], None]:
    """Send huggingface_hub, transformers and datasets (already imported or not) to `endpoint`, online, with `token`.

    The libraries read HF_ENDPOINT and the offline flags when they are imported, so their module-level copies
    are updated too; large files go through classic git-LFS (Xet off). With `cache_dir`, downloads and stored
    logins go there instead of the current HF cache. Returns a function that puts everything back.
    """
    import datasets.config
    import huggingface_hub
    from huggingface_hub import constants

    endpoint = endpoint.rstrip("/")
    env = {"HF_ENDPOINT": endpoint, "HF_TOKEN": token, "HF_HUB_DISABLE_XET": "1", **{v: None for v in _OFFLINE_VARS}}
    attrs: list[tuple[object, str, object]] = [
        (constants, "ENDPOINT", endpoint),
        (constants, "HUGGINGFACE_CO_URL_TEMPLATE", endpoint + "/{repo_id}/resolve/{revision}/{filename}"),
        (constants, "HF_HUB_OFFLINE", False),
        (constants, "HF_HUB_DISABLE_XET", True),
        (constants, "HF_URL_HOSTS", frozenset(constants.HF_URL_HOSTS | {urlsplit(endpoint).hostname})),
        (huggingface_hub.hf_api.api, "endpoint", endpoint),  # the object behind huggingface_hub.whoami, create_repo...
        (datasets.config, "HF_ENDPOINT", endpoint),
        (datasets.config, "HUB_DATASETS_URL", endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}"),
        (datasets.config, "HF_HUB_OFFLINE", False),
        (datasets.config, "HF_DATASETS_OFFLINE", False),
    ]
    transformers_hub = sys.modules.get("transformers.utils.hub")
    if transformers_hub is not None:
        if hasattr(transformers_hub, "HF_HUB_OFFLINE"):
            attrs.append((transformers_hub, "HF_HUB_OFFLINE", False))
        if hasattr(transformers_hub, "_hf_api"):
            attrs.append((transformers_hub, "_hf_api", None))  # transformers' shared HfApi keeps its first endpoint
    if cache_dir is not None:
        hub_cache, data_cache = cache_dir / "hub", cache_dir / "datasets"
        env.update(HF_HUB_CACHE=str(hub_cache), HF_DATASETS_CACHE=str(data_cache))
        attrs += [
            (constants, "HF_HUB_CACHE", str(hub_cache)),
            (constants, "HUGGINGFACE_HUB_CACHE", str(hub_cache)),
            (constants, "HF_TOKEN_PATH", str(cache_dir / "token")),
            (constants, "HF_STORED_TOKENS_PATH", str(cache_dir / "stored_tokens")),
            (datasets.config, "HF_DATASETS_CACHE", data_cache),
            (datasets.config, "DOWNLOADED_DATASETS_PATH", data_cache / datasets.config.DOWNLOADED_DATASETS_DIR),
            (datasets.config, "EXTRACTED_DATASETS_PATH",
             data_cache / datasets.config.DOWNLOADED_DATASETS_DIR / datasets.config.EXTRACTED_DATASETS_DIR),
        ]
    old_env = {name: os.environ.get(name) for name in env}
    old_attrs = [(obj, name, getattr(obj, name)) for obj, name, _ in attrs]
    _set_env(env)
    for obj, name, value in attrs:
        setattr(obj, name, value)

    def restore() -> None:
        _set_env(old_env)
        for obj, name, value in old_attrs:
            setattr(obj, name, value)

    return restore


def _set_env(values: dict[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def start_sandbox(user: str = SANDBOX_USER, orgs: tuple[str, ...] = (SANDBOX_ORG,)) -> HubSession:
    """Start a sandbox in a temp folder, create `user` with a write token and point every client at it."""
    data_dir = Path(tempfile.mkdtemp(prefix="hftour-hub-"))
    server = BackgroundServer(data_dir / "store").start()
    token = UserDB(data_dir / "store").add_user(user, orgs=orgs)
    restore = point_clients_at(server.url, token, cache_dir=data_dir / "client-cache")
    session = HubSession("sandbox", server.url, user, list(orgs), server=server, data_dir=data_dir, restore=restore)
    atexit.register(session.stop)
    return session


def join_class_sandbox(endpoint: str, token: str) -> HubSession:
    """Use a sandbox an instructor runs with `hftour hub serve` (HFTOUR_HUB_ENDPOINT / HFTOUR_HUB_TOKEN)."""
    if not token:
        raise RuntimeError("HFTOUR_HUB_ENDPOINT is set but HFTOUR_HUB_TOKEN is not: ask for a token "
                           "(`hftour hub user add NAME` on the sandbox) and set HFTOUR_HUB_TOKEN.")
    data_dir = Path(tempfile.mkdtemp(prefix="hftour-hub-client-"))
    restore = point_clients_at(endpoint, token, cache_dir=data_dir)
    from huggingface_hub import whoami

    info = whoami()
    session = HubSession("class", endpoint, info["name"], [o["name"] for o in info.get("orgs", [])],
                         data_dir=data_dir, restore=restore)
    atexit.register(session.stop)
    return session


def _keep_upload_bars_off() -> None:
    """Honour HF_HUB_DISABLE_PROGRESS_BARS=1 (set by setup()) even if huggingface_hub was imported before it.

    Trainer switches huggingface_hub's bars back on after each push unless the setting has priority, and
    upload bars would flood the notebook; the refusal it then gets is only a warning, silenced here.
    """
    import huggingface_hub.utils.tqdm  # noqa: F401  (the package re-exports a class of the same name)
    from huggingface_hub import constants

    hub_tqdm = sys.modules["huggingface_hub.utils.tqdm"]
    if os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "").lower() in ("1", "true", "yes", "on"):
        constants.HF_HUB_DISABLE_PROGRESS_BARS = hub_tqdm.HF_HUB_DISABLE_PROGRESS_BARS = True
    warnings.filterwarnings("ignore", message="Cannot enable progress bars")


def start_for_notebook() -> HubSession:
    """Notebook 09's connection step: offline, a private sandbox (or the class one named by HFTOUR_HUB_ENDPOINT);
    in hub mode, the real Hub with your own token. Prints which."""
    from ..setup import mode

    _keep_upload_bars_off()
    if mode() == "offline" and os.environ.get("HFTOUR_HUB_ENDPOINT"):
        session = join_class_sandbox(os.environ["HFTOUR_HUB_ENDPOINT"], os.environ.get("HFTOUR_HUB_TOKEN", ""))
    elif mode() == "offline":
        session = start_sandbox()
    else:
        from huggingface_hub import get_token, whoami

        if get_token() is None:
            raise RuntimeError("Hub mode needs a Hugging Face token with write access: run `hf auth login` "
                               "(or set HF_TOKEN), or use HFTOUR_MODE=offline to practise on the local sandbox.")
        from huggingface_hub import constants

        info = whoami()
        session = HubSession("hub", constants.ENDPOINT, info["name"], [o["name"] for o in info.get("orgs", [])])
    print(session.banner())
    return session
