"""Hub mode rehearsed against the sandbox (`make test-hub`): the notebooks run with HFTOUR_MODE=hub while every
download goes over HTTP to a loopback sandbox holding hftour's stand-ins, models and datasets, under their real
repo ids (owners, pinned short revisions as branches, the Hub's gated repos gated) and hftour's evaluate metrics
as the Hub's `evaluate-metric/*` spaces. The notebooks see an empty HF_HOME and an empty hftour home, so
whatever they load comes over HTTP. `hftour hub publish-standins` uses the publishing steps for a class sandbox.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from ..standins.store import StandinStore, UnknownStandinError
from .users import UserDB

# Repos that are gated on the real Hub (a login must accept their terms before files download).
GATED_ON_THE_HUB = frozenset({"mistralai/Mistral-7B-Instruct-v0.1"})
PUBLISHER = "hub-staff"  # the sandbox user who owns every organisation the stand-ins live under
METRICS_ORG = "evaluate-metric"  # where evaluate.load("accuracy") looks on the Hub


def publisher(store_dir: Path, endpoint: str):
    """An HfApi for the sandbox at `endpoint` (data in `store_dir`) holding a write token of the user who owns every
    organisation the stand-ins and metrics live under (distilbert, openai-community, ..., evaluate-metric)."""
    from huggingface_hub import HfApi

    orgs = {spec.id.split("/")[0] for spec in StandinStore().specs} | {METRICS_ORG}
    return HfApi(endpoint=endpoint, token=UserDB(store_dir).add_user(PUBLISHER, orgs=tuple(sorted(orgs))))


def publish_standins(api, ids: list[str] | None = None) -> dict[str, str]:
    """Publish built stand-ins (all, or `ids`) with a publisher() api; returns {repo id: commit}. Each repo is
    owned by the organisation of its real id; pinned short revisions become branches; Hub-gated repos are gated."""
    from huggingface_hub import constants

    standins = StandinStore()
    unknown = sorted(set(ids or ()) - set(standins.by_id))
    if unknown:
        raise UnknownStandinError(f"no stand-in for {', '.join(unknown)}; `hftour standins list` shows the ids there are")
    commits = {}
    xet, constants.HF_HUB_DISABLE_XET = constants.HF_HUB_DISABLE_XET, True  # the sandbox stores large files with LFS
    try:
        for spec in [spec for spec in standins.specs if ids is None or spec.id in ids]:
            kind = {"repo_id": spec.id, "repo_type": spec.repo_type}
            api.create_repo(**kind, exist_ok=True)
            info = api.upload_folder(folder_path=standins.snapshot_dir(spec.id), **kind, commit_message="hftour stand-in")
            for revision in spec.revisions:
                api.create_branch(**kind, branch=revision, revision=info.oid, exist_ok=True)
            if spec.id in GATED_ON_THE_HUB:
                api.update_repo_settings(**kind, gated="manual")
            commits[spec.id] = info.oid
    finally:
        constants.HF_HUB_DISABLE_XET = xet
    return commits


def publish_metrics(api) -> list[str]:
    """Publish hftour's metric scripts, with a publisher() api, as the Hub's evaluate-metric/<name> spaces, where
    evaluate.load looks for them."""
    from ..metrics import METRICS, METRICS_DIR

    repos = []
    for name in METRICS:
        repo_id = f"{METRICS_ORG}/{name}"
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
        api.upload_file(path_or_fileobj=METRICS_DIR / name / f"{name}.py", path_in_repo=f"{name}.py",
                        repo_id=repo_id, repo_type="space", commit_message="hftour metric")
        repos.append(repo_id)
    return repos


def _repos_fetched(hub_cache: Path, files: list[Path]) -> list[str]:
    """Repo ids a notebook downloaded files of, from its hub cache; `*` marks those it downloaded weights or data of."""
    heavy = (".safetensors", ".bin", ".parquet")
    repos: dict[str, bool] = {}
    for file in files:
        repo = file.relative_to(hub_cache).parts[0].split("--", 1)[1].replace("--", "/")
        repos[repo] = repos.get(repo, False) or file.name.endswith(heavy)
    return [repo + ("*" if weighty else "") for repo, weighty in sorted(repos.items())]


def main(argv: list[str] | None = None) -> int:
    """make test-hub: publish to a fresh loopback sandbox, run the notebooks in hub mode against it, print a summary."""
    from huggingface_hub.utils import disable_progress_bars

    from ..tour import find_notebooks, print_table, run_notebook
    from .server import BackgroundServer

    disable_progress_bars()  # one upload bar per file of 15 repos says nothing here

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", default=["notebooks/*.ipynb"])
    args = parser.parse_args(argv)
    paths = find_notebooks(args.notebooks)
    if not paths:
        print(f"No notebooks match {args.notebooks}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hftour-rehearsal-") as tmp, BackgroundServer(Path(tmp) / "store") as server:
        store = Path(tmp) / "store"
        api = publisher(store, server.url)
        published = publish_standins(api)
        publish_metrics(api)
        learner = UserDB(store).add_user("learner")
        # Each notebook gets an empty HF_HOME, so everything it loads is downloaded (and what it needs is listed),
        # and all share an empty hftour home: a notebook reading the stand-in cache instead would fail.
        hftour_home = Path(tmp) / "hftour-home"
        os.environ.update({"HFTOUR_MODE": "hub", "HFTOUR_BLOCK_NETWORK": "1", "HF_ENDPOINT": server.url,
                           "HF_TOKEN": learner, "HF_HUB_DISABLE_XET": "1", "HFTOUR_HOME": str(hftour_home)})
        print(f"hub rehearsal: {len(published)} stand-ins published to {server.url}", flush=True)
        rows, files, downloads = [], [], {}
        for path in paths:
            print(f"running {path} (hub mode) ...", flush=True)
            hub_cache = Path(tmp) / "hf-home" / path.stem / "hub"
            os.environ["HF_HOME"] = str(hub_cache.parent)
            rows.append((path.name, *run_notebook(path)))
            fetched = [f for f in hub_cache.rglob("*") if f.is_file() and "snapshots" in f.parts]
            files += fetched
            downloads[path.stem] = _repos_fetched(hub_cache, fetched)
        dataset_files = [f for f in files if f.suffix == ".parquet" and "datasets--" in str(f)]
        standin_reads = (hftour_home / "hf").exists()
    print_table(rows)
    for name, repos in downloads.items():
        print(f"{name} downloaded: {', '.join(repos) or 'nothing'}")
    print("(* = weights or data files, not only configs and tokenizers)")
    if standin_reads:
        print("hub rehearsal: FAILED, something created a stand-in cache during the hub-mode run")
    passed = sum(status == "ok" for _, status, _ in rows)
    downloaded = len(files)
    print(f"hub rehearsal: {passed} notebooks passed, {downloaded} files downloaded "
          f"({len(dataset_files)} of them dataset files)")
    return 0 if passed == len(rows) and downloaded and not standin_reads else 1


if __name__ == "__main__":
    sys.exit(main())
