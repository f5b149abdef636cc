# spatial_poverty: the two commands of the README, and what they need.
#   make run   creates the environment, fills data/raw from the bundle, runs pipelines/south_aegean.yaml
#   make test  creates the environment and runs the test suite
# Everything is installed into .venv (and the uv used to build it into .tools) from uv.lock: exactly the
# versions that were tested. No network is used at run time.

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
PIPELINE ?= pipelines/south_aegean.yaml

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Bytecode is compiled at installation: where Python may not write it (PYTHONDONTWRITEBYTECODE, as on CI and many
# managed machines) every command would otherwise compile its imports again (validate: 8.8 s instead of 0.8 s).
export UV_COMPILE_BYTECODE := 1

.PHONY: run test setup data lint clean-env bench registers-demo arope-demo

run: setup data
	$(BIN)/spatial-poverty run $(PIPELINE) --force

test: setup
	$(BIN)/pytest

setup: $(VENV)/.installed

data: setup
	$(BIN)/spatial-poverty data sync

# The registers pipeline on SYNTHETIC demonstration files (made on the real municipalities, imported into data/raw).
registers-demo: setup data
	$(BIN)/spatial-poverty data synthetic-registers pipelines/registers_demo.yaml
	$(BIN)/spatial-poverty run pipelines/registers_demo.yaml --force

arope-demo: setup data
	$(BIN)/spatial-poverty data synthetic-survey pipelines/arope_demo.yaml
	$(BIN)/spatial-poverty run pipelines/arope_demo.yaml --force

lint: setup
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	$(BIN)/python -m compileall -q src > /dev/null
	# Compile the permutation engine's kernels into numba's on-disk cache once, at installation.
	$(BIN)/python -m spatial_poverty.stats.engine
	touch $@

# The permutation engine against esda (benchmarks/bench_engine.py; a few minutes, esda skipped at 1M units), and the
# small-area engine's design-based simulation and timings (benchmarks/bench_sae.py; about 2 minutes).
# The stage cache: first run, unchanged rerun and a map: change on the South Aegean (benchmarks/bench_cache.py; ~3 min).
bench: setup data
	$(BIN)/python benchmarks/bench_engine.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_sae.py
	$(BIN)/python benchmarks/bench_arope.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_cache.py

clean-env:
	rm -rf $(VENV) $(TOOLS)
