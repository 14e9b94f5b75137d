# valuetracker: `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# A laptop installation: a generated secret key kept in instance/, links to this address.
export VALUETRACKER_ENV ?= development
export VALUETRACKER_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test bench lint install clean worker

$(STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Prepare the SQLite database with demo data, then run the web app and one job worker.
run: $(STAMP)
	$(BIN)/valuetracker init-db
	$(BIN)/valuetracker seed-demo --if-empty
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/valuetracker worker & \
	$(BIN)/valuetracker run --host $(HOST) --port $(PORT)

worker: $(STAMP)
	$(BIN)/valuetracker worker

# PYTEST_ARGS: more pytest options, e.g. "-n 2" (pytest-xdist, one process per core).
PYTEST_ARGS ?=
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

lint: $(STAMP)
	$(BIN)/ruff check valuetracker tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist
