# Two commands do all set-up on a fresh machine with Python 3.11 and make:
#   make demo   - create .venv, install, run the example pipeline on the embedded defaults
#   make test   - create .venv, install with test extras, run the whole suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test install install-test lint bench clean

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

lint: install-test
	$(BIN)/lint-imports

bench: install-test
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) sparkwing-home build *.egg-info src/*.egg-info
