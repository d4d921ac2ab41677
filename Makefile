# Inkwell: `make run` to try it, `make test` to check it. Both set everything up.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/inkwell_test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
PG_FUZZ_URL ?= postgresql://postgres@127.0.0.1:5432/inkwell_fuzz
REDIS_FUZZ_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test setup deps assets migrate seed serve test-sqlite test-postgres test-fuzz test-e2e bench clean

run: setup migrate seed serve

setup: deps assets

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==0.13.9"

deps: $(if $(shell command -v uv 2>/dev/null),,$(TOOLS)/bin/uv)
	$(UV) sync --frozen --quiet

assets:
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

migrate:
	$(BIN)/inkwell migrate

seed:
	$(BIN)/inkwell seed

serve:
	$(BIN)/inkwell serve --host $(HOST) --port $(PORT)

# The whole suite: unit + integration on SQLite/in-memory, integration on
# PostgreSQL + Redis (required in CI, skipped with a notice elsewhere if they
# are not running), schemathesis over the API on both, then the browser tests
# in their own pytest run.
test: setup test-sqlite test-postgres test-fuzz test-e2e

test-sqlite:
	INKWELL_TEST_BACKEND=sqlite $(BIN)/pytest tests/unit tests/integration -q

test-postgres:
	@if [ -n "$$CI" ] || (pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then \
	  INKWELL_TEST_BACKEND=postgres INKWELL_TEST_DATABASE_URL=$(PG_TEST_URL) INKWELL_TEST_REDIS_URL=$(REDIS_TEST_URL) \
	    $(BIN)/pytest tests/integration -q; \
	else echo "PostgreSQL/Redis not running on 127.0.0.1: skipping the PostgreSQL + Redis pass (CI runs it)"; fi

# Schemathesis over the whole API (tests/fuzz/api_fuzz.py): any 5xx fails; about 2 minutes per backend.
test-fuzz:
	INKWELL_TEST_BACKEND=sqlite $(BIN)/python -m tests.fuzz.api_fuzz
	@if [ -n "$$CI" ] || (pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then \
	  INKWELL_TEST_BACKEND=postgres INKWELL_TEST_DATABASE_URL=$(PG_FUZZ_URL) INKWELL_TEST_REDIS_URL=$(REDIS_FUZZ_URL) \
	    $(BIN)/python -m tests.fuzz.api_fuzz; \
	else echo "PostgreSQL/Redis not running on 127.0.0.1: skipping the PostgreSQL + Redis fuzz run (CI runs it)"; fi

test-e2e:
	$(BIN)/pytest tests/e2e -q -p no:asyncio

bench:
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) $(TOOLS) node_modules static/vendor inkwell.db*
