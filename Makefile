# healthscore — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
LOCAL := .local
# The locked versions `make venv` installs (docs/development.md#dependencies); `make lock` rewrites them.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(DEV_LOCK) | sha1sum | cut -c1-12)
# `make lock` runs uv from its own virtualenv, never the project's.
LOCK_TOOL := $(LOCAL)/lock-tool
UV_VERSION := 0.13.9
LOCK_FLAGS := --quiet --generate-hashes --python-version 3.11 --annotation-style line \
  --custom-compile-command "make lock"
WORKERS ?= 1
PYTEST_ARGS ?=

.PHONY: help venv lock kafka-jars up down test unit run lint schemas docs bench loss-runs two-worker-chaos clean prometheus-tools

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(DEV_LOCK)
	@test -x $(BIN)/python || { echo "venv: creating $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "venv: installing the locked dependencies ($(DEV_LOCK)), the first time takes a few minutes…"
	@set -o pipefail; $(BIN)/pip install --progress-bar off --require-hashes -r $(DEV_LOCK) \
	  | { grep --line-buffered -E '^(Collecting|Successfully)' || true; }
	@echo "venv: installing healthscore itself (editable, no dependencies of its own)"
	@set -o pipefail; $(BIN)/pip install --progress-bar off --no-deps -e . \
	  | { grep --line-buffered -E '^Successfully' || true; }
	@rm -f $(VENV)/.installed-*; touch $@

venv: $(STAMP) ## create .venv and install the project (idempotent)

lock: ## re-lock requirements/*.txt from pyproject.toml (locked versions stay unless it moves them)
	@test -x $(LOCK_TOOL)/bin/uv || { $(PYTHON) -m venv $(LOCK_TOOL) && \
	  $(LOCK_TOOL)/bin/pip install --quiet --progress-bar off uv==$(UV_VERSION); }
	@$(LOCK_TOOL)/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml -o $(RUNTIME_LOCK)
	@$(LOCK_TOOL)/bin/uv pip compile $(LOCK_FLAGS) pyproject.toml --extra dev --extra fit \
	  -c $(RUNTIME_LOCK) -o $(DEV_LOCK)
	@echo "lock: $(RUNTIME_LOCK) and $(DEV_LOCK) written; \`make venv\` installs them"

kafka-jars: ## fetch the local Kafka broker's jars from Maven Central
	@deploy/local/kafka.sh fetch

up: venv ## start local Kafka (KAFKA_VERSION, 4.4.0 by default) and PostgreSQL; writes .local/env
	@deploy/local/kafka.sh start
	@mkdir -p $(LOCAL)
	@if [ -n "$$HS_PG_DSN" ]; then \
	  echo "postgres: using HS_PG_DSN from the environment"; dsn="$$HS_PG_DSN"; \
	else \
	  $(BIN)/python deploy/local/localpg.py start && dsn=$$($(BIN)/python deploy/local/localpg.py dsn); \
	fi; \
	{ echo "HS_KAFKA_BOOTSTRAP=127.0.0.1:$${KAFKA_PORT:-9092}"; echo "HS_PG_DSN=$$dsn"; } > $(LOCAL)/env
	@echo "up: settings in $(LOCAL)/env"

down: ## stop local Kafka and PostgreSQL
	@deploy/local/kafka.sh stop
	@test ! -x $(BIN)/python || $(BIN)/python deploy/local/localpg.py stop

prometheus-tools: ## install prometheus + promtool (Debian package) if promtool is missing
	@command -v promtool >/dev/null 2>&1 || { \
	  echo "prometheus-tools: installing Debian's prometheus package"; \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; \
	  status=$$?; \
	  if [ -d /run/systemd/system ]; then $$sudo systemctl disable --now prometheus >/dev/null 2>&1; \
	  else $$sudo service prometheus stop >/dev/null 2>&1; fi; \
	  exit $$status; \
	}

test: up prometheus-tools lint ## lint, then the whole suite against the real Kafka and PostgreSQL
	@set -a; source $(LOCAL)/env; set +a; $(BIN)/pytest $(PYTEST_ARGS)

unit: venv ## only the fast unit tests (no servers)
	@$(BIN)/pytest tests/unit $(PYTEST_ARGS)

run: venv ## local Kafka + PostgreSQL, worker(s), gateway (:6067), demo producer and the live view; Ctrl-C stops all
	@# Ctrl-C stops the servers this run started, never ones that were already up.
	@stop=""; deploy/local/kafka.sh status >/dev/null 2>&1 || stop="--stop-kafka"; \
	  if [ -z "$$HS_PG_DSN" ] && ! $(BIN)/python deploy/local/localpg.py status >/dev/null 2>&1; \
	  then stop="$$stop --stop-postgres"; fi; \
	  $(MAKE) --no-print-directory up && set -a && source $(LOCAL)/env && set +a && \
	  $(BIN)/python -m streams.cli.run_local --workers $(WORKERS) $$stop

bench: up ## the performance harness: throughput, latency, recovery, cost (several minutes)
	@set -a; source $(LOCAL)/env; set +a; $(BIN)/python -m bench.run $(BENCH_ARGS)

loss-runs: up ## events lost to kill -9 and scale-out, 20 runs of each (on demand, ~1 h)
	@set -a; source $(LOCAL)/env; set +a; $(BIN)/python -m bench.loss_runs $(LOSS_ARGS)

two-worker-chaos: up ## two workers started together, 30 times: stalled partitions (on demand, ~30 min)
	@set -a; source $(LOCAL)/env; set +a; $(BIN)/python -m bench.two_worker_chaos $(CHAOS_ARGS)

lint: venv ## ruff + mypy
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

schemas: venv ## regenerate the published JSON Schemas under schemas/
	@$(BIN)/healthscore schemas

docs: venv ## regenerate the generated docs: score docs (docs/, README) and docs/openapi.json
	@$(BIN)/python -m streams.cli.docs
	@$(BIN)/python -m streams.api.openapi

clean: down ## stop servers and remove local state (.local)
	rm -rf $(LOCAL)
