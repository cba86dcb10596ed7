# CNNECT: `make run` starts the whole system, `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo-data run test lint bench bench-system chaos cluster cluster-test cluster-tools fuzz rebuild install chromium unit clean

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

# The fast tier: every test that needs no PostgreSQL, broker or process (the kit's, each
# service's own, and handlers run in-process on the memory event store).
unit: install
	$(VENV)/bin/pytest -q tests/unit services

bench: install
	$(PY) -m bench

# A few hundred orders in every state (applied to cancelled), made through the gateway as
# customers and staff make them, to try the staff console on (the system running: `make
# run`); DEMO_ORDERS sets how many. Staff sign in as demo-staff@cnnect.example and set up
# their authenticator app (the second factor) at the first sign-in; the orders are moved by
# demo-robot@cnnect.example, whose second factor the script is given.
demo-data: install
	@$(PY) -m services.gateway create-user --email demo-staff@cnnect.example --role staff \
	  --password "demo staff password 1" >/dev/null 2>&1 || true
	@$(PY) -m services.gateway create-user --email demo-robot@cnnect.example --role staff \
	  --password "demo robot password 1" >/dev/null 2>&1 || true
	@secret=$$($(PY) -m services.gateway enrol-second-factor --email demo-robot@cnnect.example \
	  | sed -n 's/^second factor secret: //p') && \
	$(PY) -m deploy.demo_data --orders $${DEMO_ORDERS:-350} \
	  --staff-email demo-robot@cnnect.example --staff-password "demo robot password 1" \
	  --staff-totp-secret "$$secret" --person-email demo-staff@cnnect.example

# The whole system under a rising load of order lifecycles (a few minutes); BENCH_ARGS adds
# options, e.g. make bench-system BENCH_ARGS="--workers 3 --max-rate 40".
bench-system: install
	@$(PY) -m bench.system $(BENCH_ARGS)

# Orders through their whole life while processes are killed and paused and the broker and
# the database crash (private servers on other ports); prints the counts, fails on a violation.
chaos: install
	$(PY) -m tests.chaos --duration $${CHAOS_SECONDS:-120}

# The cluster harness (tests/cluster): three RabbitMQ nodes and PostgreSQL as a primary with a
# synchronous replica under Patroni (etcd keeping its leader key), all on this machine on ports
# of their own; the system taking orders while nodes are killed, paused and failed over.
# Debian's patroni and etcd-server are installed when missing (apt's lists refreshed only when
# the first attempt fails); nothing of them runs as a system service.
cluster-tools:
	@if ! command -v patroni >/dev/null || ! command -v etcd >/dev/null; then \
	  echo "installing patroni and etcd-server (the cluster harness runs them)"; \
	  sudo=""; \
	  if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi; \
	  apt="$$sudo env DEBIAN_FRONTEND=noninteractive $(APT_GET) -qq"; \
	  $$apt install -y --no-install-recommends patroni etcd-server \
	    || { $$apt update && $$apt install -y --no-install-recommends patroni etcd-server; }; \
	fi

# The full cluster run (a few minutes; CLUSTER_SECONDS of load): prints the failures injected,
# the counts, the recovery time of each failure and every violation; fails on a violation.
cluster: install cluster-tools
	$(PY) -m tests.cluster --duration $${CLUSTER_SECONDS:-150}

# Its short version, which CI runs after `make test`.
cluster-test: install cluster-tools
	$(VENV)/bin/pytest -q -m cluster tests/cluster

# A longer fuzzing run than `make test`'s: every API from its OpenAPI document, new examples
# each run (CNNECT_FUZZ_EXAMPLES per operation, caller and mode; default 100).
fuzz: install
	CNNECT_FUZZ_EXAMPLES=$${CNNECT_FUZZ_EXAMPLES:-100} CNNECT_FUZZ_RANDOM=1 \
	  $(VENV)/bin/pytest -q -s -p no:cacheprovider -o timeout=0 tests/attacks/test_api_fuzzing.py

# Drop and replay every projection of every service from position zero (a progress bar with
# events per second on a terminal; log lines as text unless CNNECT_LOG_FORMAT says json).
rebuild: install
	@for s in orders billing messaging shipping; do \
	  CNNECT_LOG_FORMAT=$${CNNECT_LOG_FORMAT:-text} $(PY) -m services.$$s rebuild || exit 1; \
	done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
