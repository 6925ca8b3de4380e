# AstroCLIP Studio: `make demo` launches the app on the built-in demo, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO   ?= demo_project

.PHONY: install demo test lint benchmarks clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU wheel of torch first, so nothing pulls a CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	$(VENV)/bin/astroclip demo --project $(DEMO)
	$(VENV)/bin/astroclip-studio $(DEMO)

# The demo project is built first (finished steps are kept), so the science tests that need a
# trained demo model (issue 13's targets, real DESI spectra) run on what `make demo` shows.
test: install
	$(VENV)/bin/ruff check astroclip_engine astroclip_gui tests benchmarks scripts
	$(VENV)/bin/lint-imports
	$(VENV)/bin/astroclip demo --project $(DEMO) --progress none
	ASTROCLIP_DEMO_PROJECT=$(DEMO) QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check astroclip_engine astroclip_gui tests benchmarks scripts

benchmarks: install
	$(PY) -m benchmarks.run_all --out docs/benchmarks.md

clean:
	rm -rf $(VENV) build dist .pytest_cache
