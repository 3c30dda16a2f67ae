# Quantdesk — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 8501
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --disable-pip-version-check -q
STAMPS := $(VENV)/.stamps
PYTEST_ARGS ?=

export NUMBA_CACHE_DIR := $(CURDIR)/.numba_cache
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint bench worker clean e2e-deps

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# Stamp files make the installs idempotent: they rerun only when the requirement files change.
$(STAMPS)/app: requirements.txt | $(PY)
	$(PIP) -r requirements.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements-dev.txt requirements.txt | $(PY)
	$(PIP) -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

run: $(STAMPS)/app
	$(PY) -m engine db upgrade
	$(VENV)/bin/streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

worker: $(STAMPS)/app
	$(PY) -m engine worker

# Debian chromium for the real-browser tests (never `playwright install`: it downloads a browser).
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian chromium for the end-to-end tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMPS)/dev e2e-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMPS)/dev
	$(VENV)/bin/ruff check .

bench: $(STAMPS)/dev
	$(PY) benchmarks/bench_storage.py
	$(PY) benchmarks/bench_backtest.py
	$(PY) benchmarks/bench_paper.py
	$(PY) benchmarks/bench_tearsheet.py
	$(PY) benchmarks/bench_optimizer.py
	$(PY) benchmarks/bench_sentiment.py
	$(PY) benchmarks/bench_overview.py

clean:
	rm -rf $(VENV) .numba_cache .pytest_cache
