# CNNECT: `make run` starts the whole system, `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test lint bench rebuild install chromium servers unit integration e2e faults fuzz clean

# Create the virtualenv and install the pinned dependencies when pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) chromium

# Browser tests drive Debian's chromium through Playwright's executable_path: no browser build
# is ever downloaded (`playwright install` never runs). Installed only when missing; apt's
# package lists are refreshed only when the first attempt fails. CNNECT_CHROMIUM names another
# binary (the tests read it too); APT_GET is overridable to try this rule without installing.
CHROMIUM := $(or $(CNNECT_CHROMIUM),/usr/bin/chromium)
APT_GET ?= apt-get

chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  echo "installing chromium (browser tests drive $(CHROMIUM))"; \
	  sudo=""; \
	  if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi; \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive $(APT_GET) -qq"; \
	  $$apt install -y --no-install-recommends chromium \
	    || { $$apt update && $$apt install -y --no-install-recommends chromium; }; \
	  [ -x "$(CHROMIUM)" ] || { echo "chromium is missing at $(CHROMIUM): install Debian's chromium package or set CNNECT_CHROMIUM" >&2; exit 1; }; \
	fi

run: install
	@$(PY) deploy/launch.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services tests bench deploy
	$(VENV)/bin/lint-imports

test: install lint
	$(VENV)/bin/pytest -q

unit: install
	$(VENV)/bin/pytest -q tests/unit

bench: install
	$(PY) -m bench

# A longer fuzzing run than `make test`'s: every API from its OpenAPI document, new examples
# each run (CNNECT_FUZZ_EXAMPLES per operation, caller and mode; default 100).
fuzz: install
	CNNECT_FUZZ_EXAMPLES=$${CNNECT_FUZZ_EXAMPLES:-100} CNNECT_FUZZ_RANDOM=1 \
	  $(VENV)/bin/pytest -q -s -p no:cacheprovider -o timeout=0 tests/attacks/test_api_fuzzing.py

# Drop and replay every projection of every service from position zero.
rebuild: install
	@for s in orders billing messaging shipping; do $(PY) -m services.$$s rebuild || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
