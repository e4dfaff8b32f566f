"""requirements.lock: it pins every declared dependency, and drift() reports what is installed otherwise."""
import tomllib
from pathlib import Path

from hftour.lockfile import LOCK_PATH, UNLOCKED, canonical, describe_drift, drift, read_lock

REPO = Path(__file__).resolve().parent.parent


def test_lock_pins_every_dependency_of_pyproject():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {canonical(d.split(";")[0].split("[")[0].split("<")[0].split(">")[0].split("=")[0].strip()) for d in declared}
    missing = sorted(names - UNLOCKED - set(read_lock()))
    assert not missing, f"not in {LOCK_PATH.name}: {missing}; run make lock"


def test_lock_pins_exact_versions_and_leaves_torch_alone():
    pins = read_lock()
    assert "transformers" in pins and "pip" in pins
    assert "torch" not in pins
    assert all(version and version[0].isdigit() for version in pins.values())


def test_drift_names_packages_installed_at_another_version(tmp_path):
    import transformers

    lock = tmp_path / "requirements.lock"
    lock.write_text(f"# header\ntransformers==0.0.1\nno-such-package==1.0\nnumpy=={__import__('numpy').__version__}\n")
    differences = drift(lock)
    assert differences == [("no-such-package", "1.0", None), ("transformers", "0.0.1", transformers.__version__)]
    message = describe_drift(differences)
    assert "no-such-package missing (lock 1.0)" in message and "make install" in message


def test_names_compare_as_pip_does():
    assert canonical("Huggingface_Hub") == canonical("huggingface-hub") == "huggingface-hub"
    assert canonical("ruamel.yaml") == "ruamel-yaml"
