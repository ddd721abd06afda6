# The two commands a new user needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python

.PHONY: install lint test test-fast demo perf clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,dev,tasks,otel]"
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The whole suite: lint, types, unit + integration + acceptance (+ browser) tests.
test: lint
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

demo: install
	$(PY) manage.py rocketjob_demo

# Benchmarks (never part of `make test`): framework vs a raw-pymongo baseline in one run.
perf: install
	$(PY) manage.py rocketjob_perf -c 1000 --workers 4
	$(PY) manage.py rocketjob_batch_perf -c 1000000 --slice-size 1000 --workers 4

clean:
	rm -rf $(VENV) .rocketjob *.egg-info
