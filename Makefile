# The README's two commands are `make demo` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: lock test demo lint typecheck pytest bench bench-quick chaos chaos-long fmt clean

LOCK := requirements.lock
UV_VERSION := 0.13.9

# The workspace's distributions (packages/*): installed editable from this checkout.
DISTS := packages/tap-zoho packages/target-tsh-erp packages/zoho-webhooks packages/zoho-emulator
EDITABLES := $(foreach d,$(DISTS),-e $(d)) -e .
NO_EMIT := $(foreach n,tap-zoho target-tsh-erp zoho-webhooks zoho-emulator tsh-zoho-connector,--no-emit-package $(n))

# Installs come from the committed lock file ($(LOCK): every third-party package of the
# distributions and the test extra pinned, with hashes), so two installs a month apart are
# the same; then the workspace's own distributions, editable and without dependencies. uv
# installs it in seconds (a cold install of the test extra: 3 s vs 157 s with pip on 2
# cores), compiled to bytecode as pip would (else, where PYTHONDONTWRITEBYTECODE is set,
# every tap, target and meltano process compiles its imports again: meltano --version
# 2.2 s instead of 1.2 s); pip is the fallback should uv be unavailable. `make lock` re-resolves it after
# a change to a pyproject.toml's dependencies; `pip check` fails loudly if they disagree.
$(STAMP): pyproject.toml $(foreach d,$(DISTS),$(d)/pyproject.toml) $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION) || true
	if $(BIN)/python -m uv --version >/dev/null 2>&1; then \
		$(BIN)/python -m uv pip install --quiet --compile-bytecode --python $(BIN)/python -r $(LOCK) && \
		$(BIN)/python -m uv pip install --quiet --python $(BIN)/python --no-deps $(EDITABLES) ; \
	else \
		$(BIN)/python -m pip install --quiet -r $(LOCK) && \
		$(BIN)/python -m pip install --quiet --no-deps $(EDITABLES) ; \
	fi
	$(BIN)/python -m pip check
	@touch $(STAMP)

# Re-resolve the lock file from requirements.in (the newest versions the ranges allow,
# preferring the pins already in the lock).
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/python -m uv pip compile requirements.in --universal --python-version 3.11 \
		--generate-hashes --quiet $(NO_EMIT) -o $(LOCK)

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -m "not bench and not chaos_long"

demo: $(STAMP)
	$(BIN)/python -m scripts.demo

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --full

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick

# The crash campaign and fault matrix at length (a short form runs in `make test`).
# Per-test timeouts sized for the campaigns (the suite-wide 600 s is for make test).
CHAOS_OUT = benchmarks/results/$(shell date -u +%F)-chaos
chaos: $(STAMP)
	CHAOS_RESULTS=$(CHAOS_OUT).jsonl FAULT_MATRIX_RESULTS=$(CHAOS_OUT).jsonl $(BIN)/pytest -q -m chaos_long --timeout=3600 tests/reliability

chaos-long: $(STAMP)
	CHAOS_TRIALS=200 CHAOS_RESULTS=$(CHAOS_OUT)-long.jsonl \
		FAULT_MATRIX_RESULTS=$(CHAOS_OUT)-long.jsonl $(BIN)/pytest -q -m chaos_long --timeout=21600 tests/reliability

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .meltano .pytest_cache .mypy_cache .ruff_cache
