# make demo | make test | make lint | make bench | make dist
# Each target installs what it needs: Debian's PostgreSQL extensions (as root),
# a virtualenv with the package and its test and lint tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_STAMP := .pg-ready

.PHONY: demo test lint bench dist setup postgres clean

setup: $(STAMP) $(PG_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[binary,test,lint]'
	touch $@

$(PG_STAMP): scripts/install-postgres.sh
	bash scripts/install-postgres.sh
	touch $@

postgres:
	bash scripts/install-postgres.sh

demo: setup
	$(BIN)/pyrunlog demo

test: setup
	$(BIN)/pytest --cov --cov-report=term --cov-fail-under=90 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check pyrunlog tests bench
	$(BIN)/ruff format --check pyrunlog tests bench
	$(BIN)/mypy pyrunlog
	$(BIN)/sqlfluff lint sql

bench: setup
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run_log
	$(BIN)/python -m bench.retries
	$(BIN)/python -m bench.scheduling
	$(BIN)/python -m bench.reliability
	$(BIN)/python -m bench.observability

dist: $(STAMP)
	$(BIN)/python -m build --wheel --outdir dist

clean:
	rm -rf $(VENV) $(PG_STAMP) .pytest_cache .mypy_cache .ruff_cache .coverage* dist build
