# The README's two commands: `make run` and `make test`. Both set up .venv from pyproject.toml first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# No telemetry, and no network beyond this machine.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: setup run test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(VENV)/bin/newsdedup run

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check newsdedup flows tests benchmarks
	$(VENV)/bin/mypy

bench: setup
	$(PY) benchmarks/pipeline.py

clean:
	rm -f processed/newsdedup.db
