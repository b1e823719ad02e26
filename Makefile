# The README's two commands: `make run` and `make test`. Both set up .venv from pyproject.toml first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PREFECT_PORT ?= 4200

# No telemetry, and no network beyond this machine.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: setup browser run test lint bench serve ui clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: setup
	$(VENV)/bin/newsdedup run

# The UI test drives Debian's Chromium (never a downloaded browser); installed here when missing.
browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: setup browser
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check newsdedup flows tests benchmarks deploy
	$(VENV)/bin/mypy

# A local Prefect server (SQLite) with the UI, and every deployment of deploy/prefect.yaml served on its
# schedule from one process. Trigger a run by hand with `.venv/bin/newsdedup trigger pipeline`.
serve: setup
	$(PY) deploy/serve.py --port $(PREFECT_PORT)

ui:
	@echo "Prefect UI: http://127.0.0.1:$(PREFECT_PORT)  (started by make serve; API http://127.0.0.1:$(PREFECT_PORT)/api)"

# Measured numbers, by hand (never timed tests): quality on the shared dev sets, MinHash, the index,
# the whole pipeline on real pages beside the trafilatura + datasketch glue. Installs the tools newsdedup
# is compared with (trafilatura, rensa).
bench: setup
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) benchmarks/extraction.py
	$(PY) benchmarks/titles.py
	$(PY) benchmarks/dedup.py
	$(PY) benchmarks/rewrites.py
	$(PY) benchmarks/minhash.py
	$(PY) benchmarks/index.py --sizes 10000
	$(PY) benchmarks/pipeline.py --pages

clean:
	rm -f processed/newsdedup.db
