"""Build stand-ins into a Hugging Face cache of hftour's own and report what is there."""
from __future__ import annotations

import concurrent.futures
import contextlib
import fcntl
import hashlib
import importlib
import importlib.util
import inspect
import json
import multiprocessing
import os
import re
import shutil
import time
from dataclasses import asdict
from pathlib import Path

import tqdm.auto as tqdm

from ..catalog import StandinSpec, load_catalog
from ..paths import DATA_DIR, standin_hub_cache
from .card import write_card

MANIFEST_NAME = "hftour-standins.json"
# `from .module import` / `from ..package.module import` lines: the hftour code a recipe builds with
_RELATIVE_IMPORT = re.compile(r"^\s*from (\.{1,3})([\w.]+) import", re.MULTILINE)


class StandinCacheError(RuntimeError):
    """The stand-in cache is missing or damaged; the message says how to rebuild it."""


class UnknownStandinError(KeyError):
    """A repo id that the catalog has no stand-in for; the message says where to find the ids."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


def recipe_modules(module_name: str) -> list[str]:
    """hftour modules a recipe module depends on (itself included), following relative imports; what its hash covers."""
    seen: list[str] = []
    stack = [f"hftour.standins.{module_name}"]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.append(name)
        for dots, imported in _RELATIVE_IMPORT.findall(inspect.getsource(importlib.import_module(name))):
            package = name.rsplit(".", len(dots))[0]
            if importlib.util.find_spec(f"{package}.{imported}") is not None:
                stack.append(f"{package}.{imported}")
    return sorted(seen)


def _build_worker_start() -> None:
    """Keep library logs and progress bars quiet in parallel-build workers (each recipe sets its own threads)."""
    from ..setup import quiet_libraries

    quiet_libraries()


def _build_in_worker(hub_cache: str, specs: list[StandinSpec], repo_id: str) -> float:
    """Build one stand-in in a worker process; returns its seconds."""
    store = StandinStore(Path(hub_cache), specs)
    return store._build_one(store.by_id[repo_id], progress=False)


def _hash_path(digest, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(DATA_DIR.parent)).encode())
        digest.update(file.read_bytes())


class StandinStore:
    """The stand-in cache: builds recipes incrementally and checks what was built."""

    def __init__(self, hub_cache: Path | None = None, specs: list[StandinSpec] | None = None):
        self.hub_cache = Path(hub_cache or standin_hub_cache())
        self.specs = specs if specs is not None else load_catalog()
        self.by_id = {s.id: s for s in self.specs}

    # ---- manifest -------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.hub_cache / MANIFEST_NAME

    def manifest(self) -> dict:
        if not self.manifest_path.exists():
            return {}
        try:
            return json.loads(self.manifest_path.read_text())
        except json.JSONDecodeError as err:
            raise StandinCacheError(
                f"The stand-in manifest {self.manifest_path} is corrupted ({err}). "
                "Rebuild with: hftour standins build --force"
            ) from err

    @contextlib.contextmanager
    def _locked(self):
        """Serialize manifest updates between builds running at the same time."""
        self.hub_cache.mkdir(parents=True, exist_ok=True)
        with open(self.hub_cache / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _record(self, repo_id: str, entry: dict) -> None:
        with self._locked():
            manifest = self.manifest()
            manifest[repo_id] = entry
            tmp = self.manifest_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
            tmp.replace(self.manifest_path)

    # ---- hashing --------------------------------------------------------
    def recipe_hash(self, spec: StandinSpec) -> str:
        """Hash of everything that shapes a stand-in: its entry, its recipe's source, its data and its inputs."""
        digest = hashlib.sha1()
        entry = asdict(spec)
        if entry["repo_type"] == "model":
            del entry["repo_type"]  # model hashes (and so their seeds) predate dataset entries; keep them as they were
        digest.update(json.dumps(entry, sort_keys=True, default=list).encode())
        for name in recipe_modules(spec.recipe.split(":")[0]):
            digest.update(inspect.getsource(importlib.import_module(name)).encode())
        for rel in spec.data:
            _hash_path(digest, DATA_DIR / rel)
        for dep in spec.needs:
            digest.update(self.recipe_hash(self.by_id[dep]).encode())
        return digest.hexdigest()

    # ---- layout ---------------------------------------------------------
    def repo_dir(self, spec: StandinSpec) -> Path:
        return self.hub_cache / spec.folder_name

    @property
    def datasets_cache(self) -> Path:
        """The datasets cache next to hub/ in the stand-in HF_HOME: where offline load_dataset finds dataset stand-ins."""
        return self.hub_cache.parent / "datasets"

    def prepared_dataset_dir(self, repo_id: str) -> Path:
        """Where the datasets library keeps a Hub dataset's prepared splits: <namespace>___<name> in its cache."""
        return self.datasets_cache / repo_id.replace("/", "___")

    def snapshot_dir(self, repo_id: str) -> Path:
        """Folder of a built stand-in's files; recipes use it to build on another stand-in."""
        spec = self.by_id[repo_id]
        entry = self.manifest().get(repo_id)
        if entry is None:
            raise StandinCacheError(f"Stand-in {repo_id!r} is not built. Run: hftour standins build")
        return self.repo_dir(spec) / "snapshots" / entry["commit"]

    def problem(self, spec: StandinSpec) -> str | None:
        """None if the stand-in is built and intact, else what is wrong with it."""
        entry = self.manifest().get(spec.id)
        if entry is None:
            return "not built"
        snapshot = self.repo_dir(spec) / "snapshots" / entry["commit"]
        for name in entry["files"]:
            if not (snapshot / name).is_file():
                return f"missing file {name}"
        if spec.repo_type == "dataset" and not self.prepared_dataset_dir(spec.id).is_dir():
            return "not prepared in the datasets cache"
        main_ref = self.repo_dir(spec) / "refs" / "main"
        if not main_ref.is_file() or main_ref.read_text().strip() != entry["commit"]:
            return "refs/main does not point at the built snapshot"
        return None

    def is_current(self, spec: StandinSpec) -> bool:
        entry = self.manifest().get(spec.id)
        return entry is not None and entry["hash"] == self.recipe_hash(spec) and self.problem(spec) is None

    # ---- building -------------------------------------------------------
    def build(self, only: list[str] | None = None, force: bool = False, progress: bool = True,
              workers: int | None = None) -> dict[str, float]:
        """Build every stand-in whose recipe changed (or all with force), in parallel processes; returns seconds per built id.

        Each recipe runs on one thread, so a stand-in comes out the same whatever the number of cores or workers;
        `workers` (default: one per core) recipes run at once, in catalog order as their `needs` allow.
        """
        unknown = set(only or ()) - set(self.by_id)
        if unknown:
            raise UnknownStandinError(f"no stand-in for {', '.join(sorted(unknown))}; "
                                      "`hftour standins list` shows the ids there are")
        wanted = self._with_dependencies(only) if only else self.specs
        todo = [s for s in wanted if force or not self.is_current(s)]
        workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
        bar = tqdm.tqdm(total=len(todo), desc="stand-ins", unit="model", disable=not progress or not todo)
        try:
            if workers == 1:
                timings = {}
                for spec in todo:
                    bar.set_postfix_str(spec.id)
                    timings[spec.id] = self._build_one(spec, progress)
                    bar.update()
                return timings
            return self._build_parallel(todo, workers, bar)
        finally:
            bar.close()

    def _build_parallel(self, todo: list[StandinSpec], workers: int, bar) -> dict[str, float]:
        timings: dict[str, float] = {}
        waiting = list(todo)
        context = multiprocessing.get_context("spawn")  # a forked child could inherit a busy OpenMP pool
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context,
                                                    initializer=_build_worker_start) as pool:
            running: dict[concurrent.futures.Future, str] = {}
            while waiting or running:
                pending = {s.id for s in waiting} | set(running.values())
                for spec in [s for s in waiting if not pending & set(s.needs)][:workers - len(running)]:
                    waiting.remove(spec)
                    running[pool.submit(_build_in_worker, str(self.hub_cache), self.specs, spec.id)] = spec.id
                bar.set_postfix_str(", ".join(running.values()))
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in done:
                    repo_id = running.pop(future)
                    try:
                        timings[repo_id] = future.result()
                    except Exception:
                        for other in running:
                            other.cancel()
                        raise
                    bar.update()
        return timings

    def _with_dependencies(self, ids: list[str]) -> list[StandinSpec]:
        needed: set[str] = set()
        stack = list(ids)
        while stack:
            repo_id = stack.pop()
            if repo_id not in needed:
                needed.add(repo_id)
                stack.extend(self.by_id[repo_id].needs)
        return [s for s in self.specs if s.id in needed]

    def _build_one(self, spec: StandinSpec, progress: bool) -> float:
        import torch

        from .training import seed_everything

        start = time.perf_counter()
        recipe_hash = self.recipe_hash(spec)
        commit = hashlib.sha1(f"hftour-standin:{spec.id}:{recipe_hash}".encode()).hexdigest()
        repo = self.repo_dir(spec)
        staging = repo / "staging"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        module_name, func_name = spec.recipe.split(":")
        recipe = getattr(importlib.import_module(f"hftour.standins.{module_name}"), func_name)
        seed_everything(int(commit[:8], 16) % 2**31)
        threads = torch.get_num_threads()
        # One thread: results must not depend on the machine's core count. HFTOUR_BUILD_THREADS changes the float
        # path on purpose (make test-portable builds a second cache as another machine would).
        torch.set_num_threads(int(os.environ.get("HFTOUR_BUILD_THREADS", "1")))
        try:
            facts = recipe(spec, staging, self, progress=progress) or {}
        finally:
            torch.set_num_threads(threads)
        write_card(spec, staging, facts)
        # Swap the finished snapshot in only now, so an interrupted build never leaves half a model behind.
        shutil.rmtree(repo / "snapshots", ignore_errors=True)
        (repo / "snapshots").mkdir(parents=True)
        staging.rename(repo / "snapshots" / commit)
        shutil.rmtree(repo / "refs", ignore_errors=True)
        (repo / "refs").mkdir()
        for ref in ("main", *spec.revisions):
            (repo / "refs" / ref).write_text(commit)
        seconds = time.perf_counter() - start
        self._record(spec.id, {
            "hash": recipe_hash,
            "commit": commit,
            "files": sorted(str(p.relative_to(repo / "snapshots" / commit)) for p in (repo / "snapshots" / commit).rglob("*") if p.is_file()),
            "seconds": round(seconds, 1),
            "finished": time.time(),
            "facts": facts,
        })
        return seconds

    # ---- reporting ------------------------------------------------------
    def differing_files(self, other: StandinStore) -> dict[str, list[str]]:
        """Per stand-in built in both caches, the files whose bytes differ; `make test-portable` reports it."""
        mine, theirs = self.manifest(), other.manifest()
        differing = {}
        for spec in self.specs:
            if spec.id not in mine or spec.id not in theirs:
                continue
            here = self.repo_dir(spec) / "snapshots" / mine[spec.id]["commit"]
            there = other.repo_dir(spec) / "snapshots" / theirs[spec.id]["commit"]
            differing[spec.id] = [name for name in mine[spec.id]["files"]
                                  if not (there / name).is_file()
                                  or (here / name).read_bytes() != (there / name).read_bytes()]
        return differing

    def status(self) -> list[dict]:
        """One row per catalog entry: id, task, state and build facts; used by `hftour standins list` and doctor."""
        manifest = self.manifest()
        rows = []
        for spec in self.specs:
            problem = self.problem(spec)
            if problem is None and not self.is_current(spec):
                problem = "outdated (recipe changed)"
            entry = manifest.get(spec.id, {})
            rows.append({"id": spec.id, "task": spec.task, "state": problem or "built",
                         "seconds": entry.get("seconds"), "facts": entry.get("facts", {})})
        return rows
