# Two commands do everything on a fresh machine:
#   make run    install, fetch official files (when online), ingest, serve the chat on 127.0.0.1
#   make test   install and run the whole test suite
# Both are idempotent: a second run reuses the virtualenv and skips unchanged records.

PYTHON ?= python3
VENV ?= .venv
# A CPU build of PyTorch; users with a GPU can override, e.g. `make run TORCH_VERSION=2.14.1`.
TORCH_VERSION ?= 2.13.0
# A folder of official files for offline machines (see README); empty = download cache only.
SOURCES ?=
PORT ?= 7860

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(TORCH_VERSION)
SOURCE_FLAG := $(if $(SOURCES),--source-dir $(SOURCES))

.PHONY: install run ingest download test test-fast browser-deps lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(STAMP)

download: install
	-$(BIN)/medcode download --quiet

ingest: install
	$(BIN)/medcode ingest $(SOURCE_FLAG)

run: install
	@if [ -z "$(SOURCES)" ]; then $(BIN)/medcode download --quiet || echo "medcode: some official files could not be downloaded; continuing with what is here"; fi
	$(BIN)/medcode ingest $(SOURCE_FLAG)
	$(BIN)/medcode serve --port $(PORT)

# Debian's Chromium drives the one real-browser test; without it that test is skipped.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
		echo "medcode: chromium not installed; the browser test will be skipped"; }

test: install browser-deps
	$(BIN)/python -m pytest -q

test-fast: install
	$(BIN)/python -m pytest -q -m "not integration and not browser"

lint: install
	$(BIN)/ruff check . && $(BIN)/mypy assistant ingest app.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
