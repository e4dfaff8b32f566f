"""The stand-in store builds incrementally, loads through the real cache path, and reports damage clearly."""
import dataclasses

import pytest
from transformers import AutoConfig

from hftour.catalog import catalog_by_id, load_catalog
from hftour.standins.store import StandinCacheError, StandinStore, recipe_modules

SPEED_ID = "facebook/wav2vec2-base-960h"  # the quickest recipe: untrained, builds in well under a second


@pytest.fixture
def store(tmp_path):
    return StandinStore(hub_cache=tmp_path / "hub", specs=[catalog_by_id()[SPEED_ID]])


def test_catalog_ids_are_unique_and_recipes_resolve():
    specs = load_catalog()
    assert len({s.id for s in specs}) == len(specs)
    store = StandinStore(specs=specs)
    for spec in specs:
        assert len(store.recipe_hash(spec)) == 40


def test_build_is_incremental(store):
    assert list(store.build(progress=False)) == [SPEED_ID]
    assert store.build(progress=False) == {}
    changed = dataclasses.replace(store.specs[0], options={"note": "changed"})
    store2 = StandinStore(hub_cache=store.hub_cache, specs=[changed])
    assert list(store2.build(progress=False)) == [SPEED_ID]


def test_builds_are_deterministic(tmp_path, store):
    store.build(progress=False)
    other = StandinStore(hub_cache=tmp_path / "other", specs=store.specs)
    other.build(progress=False)
    a = store.snapshot_dir(SPEED_ID) / "model.safetensors"
    b = other.snapshot_dir(SPEED_ID) / "model.safetensors"
    assert a.read_bytes() == b.read_bytes()


def test_loads_under_real_id_and_pinned_revision(store):
    store.build(progress=False)
    for revision in (None, "22aad52"):
        config = AutoConfig.from_pretrained(SPEED_ID, cache_dir=store.hub_cache, revision=revision,
                                            local_files_only=True)
        assert config.model_type == "wav2vec2"
    card = (store.snapshot_dir(SPEED_ID) / "README.md").read_text()
    assert "not the real" in card and SPEED_ID in card


def test_damage_is_reported_with_the_fix(store):
    store.build(progress=False)
    (store.snapshot_dir(SPEED_ID) / "config.json").unlink()
    assert store.status()[0]["state"] == "missing file config.json"
    assert list(store.build(progress=False)) == [SPEED_ID]  # a damaged stand-in is rebuilt
    store.manifest_path.write_text("{not json")
    with pytest.raises(StandinCacheError, match="hftour standins build"):
        store.manifest()


def test_unknown_id_to_build_is_named(store):
    with pytest.raises(KeyError, match="nobody/nothing"):
        store.build(only=["nobody/nothing"], progress=False)


def test_parallel_build_matches_serial_and_waits_for_needs(tmp_path):
    vit = dataclasses.replace(catalog_by_id()["google/vit-base-patch16-224"], needs=(SPEED_ID,))
    specs = [vit, catalog_by_id()[SPEED_ID]]  # listed before what it needs: the builder must wait for it
    serial = StandinStore(hub_cache=tmp_path / "serial", specs=specs)
    parallel = StandinStore(hub_cache=tmp_path / "parallel", specs=specs)
    assert set(serial.build(progress=False, workers=1)) == {vit.id, SPEED_ID}
    assert set(parallel.build(progress=False, workers=2)) == {vit.id, SPEED_ID}
    for repo_id in (vit.id, SPEED_ID):
        a = serial.snapshot_dir(repo_id) / "model.safetensors"
        b = parallel.snapshot_dir(repo_id) / "model.safetensors"
        assert a.read_bytes() == b.read_bytes()
    built = parallel.manifest()
    assert built[vit.id]["finished"] - built[vit.id]["seconds"] >= built[SPEED_ID]["finished"] - 0.1


def test_recipe_hash_follows_the_helpers_a_recipe_imports():
    modules = recipe_modules("bert.qa")
    assert {"hftour.standins.bert.qa", "hftour.standins.bert.encoders", "hftour.standins.training",
            "hftour.paths", "hftour.qa"} <= set(modules)  # siblings, the shared package modules, hftour's own
    assert "hftour.standins.llama.smollm2" not in modules
