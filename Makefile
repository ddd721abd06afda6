# The two commands a new user needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# The demo (and the local benchmarks) only: a key generated per run. Deployments export their
# own DJANGO_SECRET_KEY; without it the example project refuses to start.
GENERATED_KEY = DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"

.PHONY: install lint test test-fast demo perf clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,dev,tasks]"
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
	DJANGO_DEBUG=true $(GENERATED_KEY) $(PY) manage.py rocketjob_demo

# Benchmarks (never part of `make test`): framework vs a raw-pymongo baseline in one run.
perf: install
	$(GENERATED_KEY) $(PY) manage.py rocketjob_perf -c 1000 --workers 4
	$(GENERATED_KEY) $(PY) manage.py rocketjob_batch_perf -c 1000000 --slice-size 1000 --workers 4

clean:
	rm -rf $(VENV) .rocketjob *.egg-info
