# The two quick-start commands are `make demo` and `make test`; each creates the
# virtualenv and installs the project on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint bench bench-observed bench-broker bench-retention clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the pipeline on the embedded broker (pulsar-lite) and exit.
demo: $(STAMP)
	$(BIN)/alpes demo

## Lint, type-check and run the whole test suite (Apache Pulsar cases need Java + Maven).
test: lint
	$(BIN)/pytest

## Unit and in-memory tests only: seconds, no broker.
test-fast: $(STAMP)
	$(BIN)/pytest tests/unit tests/broker/test_memory.py tests/unit_of_work/test_in_memory.py

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

## The service's throughput and latency against the baselines (docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python -m bench.pipeline

## The same, plus a v2 run per repeat with metrics and tracing on, against the plain one.
bench-observed: $(STAMP)
	$(BIN)/python -m bench.pipeline --observed

## Adapter vs raw pulsar-client throughput on each broker.
bench-broker: $(STAMP)
	$(BIN)/python -m bench.broker

## Storage and latency under sustained load, retention on against off (bench/README.md).
bench-retention: $(STAMP)
	$(BIN)/python -m bench.retention

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
