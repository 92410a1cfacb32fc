# The two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip

.PHONY: demo test test-unit test-browser lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "drctl needs Python >= 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# One stamp per install flavour, redone when pyproject.toml changes.
$(VENV)/.installed-sandbox: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e '.[all,dev]'
	touch $@ $(VENV)/.installed-sandbox

demo: $(VENV)/.installed-sandbox
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

test: $(VENV)/.installed-dev
	$(BIN)/ruff check drctl tests
	$(BIN)/mypy drctl
	$(BIN)/pytest -q -n 4 --dist loadscope --durations=25 --ignore=tests/browser

# The fast tier alone: unit tests and the in-process CLI on the in-package fakes (no sandbox;
# tests that need real processes and signals are in tests/e2e). Measured in README.md.
test-unit: $(VENV)/.installed-dev
	$(BIN)/pytest -q -n 2 tests/unit

# The HTML report in a real headless Chromium: Debian's `chromium` package, installed here if
# missing (nothing downloads a browser at run time). Without it the browser tests fail.
test-browser: $(VENV)/.installed-dev
	command -v chromium >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }
	$(BIN)/pytest -q tests/browser

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check drctl tests
	$(BIN)/mypy drctl

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .drctl .pytest_cache .mypy_cache .ruff_cache
