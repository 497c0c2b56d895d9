# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make demo   - create .venv, install, run the example pipeline on the embedded defaults
#   make test   - create .venv, install with test extras, run the whole suite
# and for development:
#   make test-fast - the tests that need no JVM, S3 server, cluster or browser (seconds to a few minutes)
#   make lint      - ruff, import-linter (layering) and mypy, as CI runs them
#   make h2o-params - regenerate the H2O parameter table the spec checks (after a Sparkling Water upgrade)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
# Markers of tests that start a JVM or a server (pyproject.toml, [tool.pytest.ini_options]).
FAST_MARKERS := not spark and not h2o and not s3 and not cluster and not browser and not postgres

.PHONY: demo test test-fast install install-test lint bench clean h2o-params

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/sparkwing run examples/loans/pipeline.yaml

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

h2o-params: install
	$(BIN)/python -m sparkwing.train._param_table > src/sparkwing/config/h2o_params.json.new
	mv src/sparkwing/config/h2o_params.json.new src/sparkwing/config/h2o_params.json

bench: install-test
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) sparkwing-home build *.egg-info src/*.egg-info
