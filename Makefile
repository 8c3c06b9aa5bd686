VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: venv venv-dev system-deps run worker lint format test test-fast bench bench-http

# The service and its own dependencies, nothing else: what `make run` and `make worker` need.
venv: $(VENV)/.installed

# The same plus the development tools (pytest, ruff, mypy, the benchmarks' plotting...): lint,
# test, bench. Made after `venv`, and again whenever pyproject.toml changes (through `venv`).
venv-dev: $(VENV)/.installed-dev

$(VENV)/.installed: pyproject.toml
	PYTHON=$(PYTHON) bash ops/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# Postgres and Redis servers for the integration suites (the tests start their own copies), nginx
# for the edge test, chromium for the pages' browser tests (tests/e2e/test_docs_pages.py, tests/browser/).
system-deps:
	PYTHON=$(PYTHON) bash ops/install-system-deps.sh servers

# The service on the embedded default (SQLite, sql engine), with demo data. HOLDFAST_* settings apply.
run: venv
	$(VENV)/bin/holdfast migrate
	$(VENV)/bin/holdfast seed-demo
	$(VENV)/bin/holdfast serve

# The SAQ worker for the production profile: it needs HOLDFAST_JOBS=saq and HOLDFAST_REDIS_URL
# (and the same HOLDFAST_* settings as the API it works for).
worker: venv
	$(VENV)/bin/holdfast worker

lint: venv-dev
	$(VENV)/bin/ruff check src tests migrations benchmarks
	$(VENV)/bin/ruff format --check src tests migrations benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: venv-dev
	$(VENV)/bin/ruff check --fix src tests migrations benchmarks
	$(VENV)/bin/ruff format src tests migrations benchmarks

# pytest workers: one a core, at most 4 (each starts its own Postgres and Redis servers; a file's
# tests stay on one worker, so module fixtures are made once).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

# Every suite (testpaths in pyproject.toml). Prerequisites run left to right: system packages,
# then the venv with the development tools (via lint), then lint. pytest exits 5 when it
# collects nothing, and make fails too.
test: system-deps lint
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# No server-backed tests: the markers are added by tests/conftest.py from the fixtures a test uses.
test-fast: venv-dev
	$(VENV)/bin/pytest -m "not postgres and not redis"

# Benchmarks (each starts its own Postgres and Redis); results go in benchmarks/RESULTS.md.
bench: system-deps venv-dev
	$(VENV)/bin/python -m benchmarks.engines --holds 3000 --concurrency 32
	$(VENV)/bin/python -m benchmarks.jobs

# The rush path over HTTP (issue 9): the production profile started as a user would (Postgres,
# Redis, `holdfast migrate`, `holdfast serve` per port), wrk (closed loop) and an open-loop
# generator; the no-op ASGI ceiling in the same run. Writes benchmarks/http-results.json and the
# PNG plots; the figures go in benchmarks/RESULTS.md. BENCH_HTTP_ARGS: e.g. --only holds-redis.
bench-http: system-deps venv-dev
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(VENV)/bin/python -m benchmarks.http $(BENCH_HTTP_ARGS)
