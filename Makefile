# Two commands for a new user: `make run` (install, then serve the API over the shipped corpus) and
# `make test` (install what the tests need, then run the whole suite). Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Browser tests drive Debian's chromium with Playwright (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
# The extension also runs in Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi.
FIREFOX := /usr/bin/firefox-esr
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# The tests also need the train extra (PyTorch: the ONNX export is compared with it) and the bench extra
# (the ANN libraries bench/ann_libraries.py compares, tested on a small set); serving needs neither.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,train,bench]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test $(CHROMIUM) $(FIREFOX) extension/node_modules

# The extension's linter (ESLint) and puppeteer-core (the Firefox tests), pinned by extension/package-lock.json.
extension/node_modules: extension/package-lock.json
	command -v npm >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm)
	cd extension && npm ci --no-audit --no-fund
	touch $@

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(FIREFOX):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr

run: install
	$(BIN)/factcheck serve

test: install-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	cd extension && npx eslint --max-warnings 0 .

bench: install-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
