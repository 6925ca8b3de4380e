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

test: install
	$(VENV)/bin/ruff check astroclip_engine astroclip_gui tests benchmarks scripts
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check astroclip_engine astroclip_gui tests benchmarks scripts

benchmarks: install
	$(PY) -m benchmarks.run_all --out docs/benchmarks.md

clean:
	rm -rf $(VENV) build dist .pytest_cache
