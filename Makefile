# cartsim: the two commands a newcomer runs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow validate calibrate lint bench bench-memory sweep clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	$(BIN)/cartsim simulate scenarios/ms_cd19_vs_ocrelizumab.toml --out results/demo

test: install
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

# Runs every validation case, prints the scorecard and writes validation/report.html. Exits 0 when
# the run completed (failing cases are information); `cartsim validate --strict` fails on them.
validate: install
	$(BIN)/cartsim validate --out validation

calibrate: install
	$(BIN)/cartsim calibrate

lint: install
	$(BIN)/ruff check src tests

bench: install
	$(BIN)/python benchmarks/bench_solvers.py

# Peak memory of whole trials at 1e3/1e4/1e5 patients (about 25 minutes; docs/trials.md).
bench-memory: install
	$(BIN)/python benchmarks/bench_trial_memory.py

# Robustness sweep across the catalogue bounds: SWEEP_N patients x every arm (docs/trials.md).
SWEEP_N ?= 10000
sweep: install
	$(BIN)/python benchmarks/sweep.py --patients $(SWEEP_N) --out results/sweep

clean:
	rm -rf $(VENV) results .pytest_cache
