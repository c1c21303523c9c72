# The two commands of the README: `make run` and `make test`. Everything installs itself into
# .venv from the pinned constraints on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
DATABASE ?= sqlite:///ledger.db

.PHONY: install run demo test test-slow lint format lock clean bench bench-scale bench-screening

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@echo "Installing the ledger and its pinned dependencies into $(VENV) (first run only, about a minute)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: install  ## Serve the API on an embedded SQLite file, with the founding example loaded
	$(BIN)/ledger demo --database $(DATABASE)
	@# The first run prints an admin API key (once); later runs say that keys exist.
	$(BIN)/ledger keys create --role admin --name "make run" --if-none --database $(DATABASE)
	@# Stopped by Ctrl-C or SIGTERM, the server shuts down and exits with status 0, so make
	@# reports no failed recipe (see `ledger serve`).
	$(BIN)/ledger serve --database $(DATABASE)

demo: install
	$(BIN)/ledger demo --database $(DATABASE)

test: install  ## The test suite: in memory, SQLite and the local PostgreSQL (all but the load tests)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m "not slow" $(PYTEST_ARGS)

test-slow: install  ## The load, fault and real-list tests (marked slow); CI runs them after `make test`
	$(BIN)/python -m pytest -n 2 --dist loadgroup -m slow $(PYTEST_ARGS)

# The benchmarks (bench/): each compares the ledger with a baseline in one run, interleaved,
# and prints medians with the load average. BENCH_ARGS goes to every script, e.g.
# BENCH_ARGS="--project ../baseline" to measure another checkout, or "--json".
BENCH_ARGS ?=

bench: install  ## The quick benchmarks (minutes): HTTP reads and writes, commits, rebuild, import, proofs
	$(BIN)/python bench/http_reads.py $(BENCH_ARGS)
	$(BIN)/python bench/http_writes.py $(BENCH_ARGS)
	$(BIN)/python bench/commit_throughput.py $(BENCH_ARGS)
	$(BIN)/python bench/rebuild.py $(BENCH_ARGS)
	$(BIN)/python bench/ofac_history.py --no-check $(BENCH_ARGS)
	$(BIN)/python bench/ofac_history.py --no-check --postgres $(BENCH_ARGS)
	$(BIN)/python bench/scale.py --size 50k $(BENCH_ARGS)
	$(BIN)/python bench/proofs.py $(BENCH_ARGS)
	$(BIN)/python bench/proofs.py --postgres $(BENCH_ARGS)
	$(BIN)/python bench/screening_eval.py --quick $(BENCH_ARGS)
	$(BIN)/python bench/linking_eval.py $(BENCH_ARGS)

bench-screening: install  ## Screening recall, false hits and speed at 1,000,000 names (about 20 minutes)
	$(BIN)/python bench/screening_eval.py $(BENCH_ARGS)

bench-scale: install  ## Reads at 5M events against 50k (PostgreSQL); the first run builds for long
	$(BIN)/python bench/scale.py --size 5M --keep $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: install  ## Re-pin every dependency after changing pyproject.toml
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
