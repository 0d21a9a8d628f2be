# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup tools demo test test-fast lint bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

## demo: set everything up and run the whole loop in a throwaway repository
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash demo/run-demo.sh

## tools: install what the suite needs and this machine lacks (Chromium, gitlab-ci-local,
## PostgreSQL: .ci/install.d), as root or through `sudo -n`; otherwise say what to run
tools:
	@bash .ci/tools

## test: set everything up (.venv and the tools) and run the whole test suite
test: $(STAMP) tools
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)
	$(BIN)/mypy  # after the suite, so a typing slip never hides the test results

## test-fast: the inner loop, the pure tests only (no servers, no external tools)
test-fast: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

## fuzz: the property-based fuzz suite with many examples and a random seed (the suite runs
## it with a fixed seed and a few dozen); RFLOW_FUZZ_EXAMPLES=N to change
fuzz: $(STAMP)
	RFLOW_FUZZ_EXAMPLES=$${RFLOW_FUZZ_EXAMPLES:-2000} PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -n 2 tests/fuzz

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_goals.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_cli.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_status.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_run.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_report.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_hostile.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_pipeline.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_check.py
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
