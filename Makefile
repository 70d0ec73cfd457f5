# The README's two commands: `make demo` and `make test`. Each sets itself up from nothing, as do
# `make docs` (the documentation site, into docs/_build/html) and `make lab` (JupyterLab on notebooks/).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean chromium docs lab

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# the tests build the docs and start JupyterLab, so the test install holds both extras
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,app,docs,notebooks]"
	touch $@ $(VENV)/.installed-base $(VENV)/.installed-docs $(VENV)/.installed-notebooks

$(VENV)/.installed-docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[notebooks]"
	touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base
	$(BIN)/orgsim demo

# the HTML report is checked in a real headless browser: Debian's chromium
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -q -n 2 tests

# -W --keep-going: every warning (a broken cross-reference, nitpicky in conf.py) fails the build, all listed;
# myst-nb runs the notebooks at their small size and stops on the first that raises
DOCS_OUT ?= docs/_build/html
docs: $(VENV)/.installed-docs
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs $(DOCS_OUT)
	@echo "the site is in $(DOCS_OUT)/index.html"

# LAB_ARGS: more JupyterLab options, e.g. LAB_ARGS="--no-browser --port=8890" (the tests start it so);
# as root (containers, CI) JupyterLab refuses to start without --allow-root
LAB_ARGS ?=
lab: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python experiments/benchmark.py

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/reference/_generated
