# Two commands set everything up on a fresh machine:
#   make demo   - create .venv, install, run the weekly watch on the bundled recorded sources
#   make test   - install, start the servers the tests need, run the whole suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo web serve test test-unit fuzz lint format es-start es-stop bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/veilleuse demo

web: install
	$(BIN)/veilleuse web

# a local Prefect server (UI at http://127.0.0.1:4200) and the scheduled deployments on it
serve: install
	bash scripts/serve.sh

test: install
	bash scripts/test.sh

# fast loop: no servers, integration tests deselected (CI always runs `make test`)
test-unit: install
	$(BIN)/pytest -m "not integration" -q

# the fuzz tests of tests/fuzz for FUZZ_SECONDS (default 600) with the long Hypothesis profile
# (make test runs them with the bounded one)
fuzz: install
	bash scripts/fuzz.sh

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format: install
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

es-start:
	@bash scripts/elasticsearch.sh start

es-stop:
	@bash scripts/elasticsearch.sh stop

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
