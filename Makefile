# concurry developer commands. `make help` lists them; everything runs through uv.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv on PATH, else the copy that `make uv` installs with pip (run as a module).
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
PACKAGE_TESTS := $(addprefix test-,futures limits retry workers ray)
RUN := $(UV) run --no-sync

.PHONY: help uv install demo test test-umbrella $(PACKAGE_TESTS) lint typecheck bench docs build test-wheels redis clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'
	@printf "  %-16s %s\n" "test-<package>" "one package's tests with only it and its dependencies installed:"
	@printf "  %-16s %s\n" "" "$(PACKAGE_TESTS)"

uv: ## install uv with pip when it is missing
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet uv || $(PYTHON) -m pip install --quiet --user --break-system-packages uv

install: uv ## create .venv with every package, extra and dev tool
	$(UV) sync --all-packages --all-extras

demo: install ## run the quickstart example end to end
	$(RUN) python examples/quickstart.py

# The suite runs in 2 pytest processes (pytest-xdist): most of its time is spent
# waiting for worker processes and Ray actors to start, which overlaps well.
TEST_PROCESSES ?= 2

# The Redis tests start their own redis-server (a child of pytest on a free port,
# stopped at the end of the session): `redis` only makes sure it is installed.
test: install redis ## run the whole test suite
	$(RUN) python -m pytest -n $(TEST_PROCESSES)

test-umbrella: uv redis ## run the umbrella's tests with every package installed
	UV_PROJECT_ENVIRONMENT=.venv-umbrella $(UV) run --exact --package concurry --all-extras --no-default-groups --group dev python -m pytest tests/umbrella

# test-futures, test-limits, ...: one package's tests with only it and its dependencies installed
$(PACKAGE_TESTS): test-%: uv redis
	UV_PROJECT_ENVIRONMENT=.venv-$* $(UV) run --exact --package concurry-$* --all-extras --no-default-groups --group dev python -m pytest tests/$*

redis: ## install redis-server (apt-get, as root) for the Redis backend tests, saying so
	@bash scripts/redis.sh install

lint: install ## ruff
	$(RUN) ruff check packages tests benchmarks examples
	$(RUN) ruff format --check packages tests benchmarks examples

typecheck: install ## mypy over every package
	$(RUN) mypy packages/*/src

# BENCH_ARGS: topics and flags for benchmarks/run.py, e.g. `make bench BENCH_ARGS=ray`
BENCH_ARGS ?=
bench: install ## run the benchmarks; rows go to benchmarks/results/latest.{json,md}, README and docs
	CONCURRY_BENCH_COMMAND="make bench$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" $(RUN) python benchmarks/run.py $(BENCH_ARGS)

docs: install ## build the documentation site with --strict
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict

build: install ## build every wheel and sdist into dist/ (siblings pinned ==version)
	rm -rf dist
	$(UV) build --all-packages --no-sources --out-dir dist

# Every package's own tests against its wheel alone in a fresh venv, and the umbrella's
# and compat tests with every wheel installed; `make test` runs a quicker subset. One
# run at a time by default: the workers suite beside a starting Ray or the limits rate
# tests on 2 cores makes them miss their deadlines (TEST_WHEELS_PROCESSES=2 on more cores).
TEST_WHEELS_PROCESSES ?= 0
test-wheels: install redis ## every package's tests against its installed wheel (minutes)
	report=$$(mktemp); CONCURRY_TEST_WHEELS=full CONCURRY_TEST_WHEELS_REPORT=$$report \
		$(RUN) python -m pytest tests/workspace/test_wheels.py -n $(TEST_WHEELS_PROCESSES) --dist loadgroup; \
		status=$$?; echo "installed-wheel runs:"; sort $$report; rm -f $$report; exit $$status

clean: ## remove environments, caches and build outputs
	rm -rf .venv .venv-* dist site .pytest_cache .mypy_cache .ruff_cache
