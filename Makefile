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

.PHONY: run test setup data lint clean-env bench registers-demo arope-demo qgis-plugin qgis-screenshots lab docs

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

# The QGIS plugin zip of the "Spatial poverty" Processing provider (standard library only; docs/qgis.md).
PLUGIN_ZIP ?= dist/spatial_poverty_provider.zip
qgis-plugin:
	$(PYTHON) qgis_plugin/build.py $(PLUGIN_ZIP)

# JupyterLab on the notebook gallery, from the project's environment (dependency group "notebooks").
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ALLOW_ROOT) $(LAB_ARGS)

# The notebook gallery executed on a fresh South Aegean run and rendered to HTML in docs/gallery/ (the .py files
# are the sources; the .ipynb are made in build/gallery).
docs: run
	rm -rf build/gallery
	mkdir -p build/gallery docs/gallery
	for nb in notebooks/*.py; do \
		$(BIN)/jupytext --quiet --to ipynb --output build/gallery/$$(basename $$nb .py).ipynb $$nb || exit 1; \
	done
	SPATIAL_POVERTY_PIPELINE=$(CURDIR)/$(PIPELINE) $(BIN)/jupyter nbconvert --to html --execute \
		--ExecutePreprocessor.timeout=600 --output-dir docs/gallery build/gallery/*.ipynb

# The screenshots of docs/qgis.md, rendered headless by Debian's QGIS (python3-qgis; qgis_plugin/screenshots.py).
qgis-screenshots: run
	mkdir -p docs/img
	QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=$$(mktemp -d) SPATIAL_POVERTY_CLI=$(CURDIR)/$(BIN)/spatial-poverty \
		/usr/bin/python3 qgis_plugin/screenshots.py data/processed/south_aegean/south_aegean.gpkg docs/img

lint: setup
	$(BIN)/ruff check src tests qgis_plugin notebooks
	$(BIN)/ruff format --check src tests qgis_plugin notebooks

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
# The QGIS provider against the CLI it runs (benchmarks/bench_qgis.py; needs Debian qgis and a published run).
bench: setup data
	$(BIN)/python benchmarks/bench_engine.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_sae.py
	$(BIN)/python benchmarks/bench_arope.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_cache.py
	$(BIN)/python benchmarks/bench_qgis.py

clean-env:
	rm -rf $(VENV) $(TOOLS)
