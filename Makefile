# The two commands a new user needs: `make demo` and `make test`.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
# The demo (and the local benchmarks) only: a key generated per run. Deployments export their
# own DJANGO_SECRET_KEY; without it the example project refuses to start.
GENERATED_KEY = DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')"
# The second platform CI tests: Python 3.13 with the newest Django 6.x (its own django.tasks).
VENV313 ?= .venv-py313
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PYTHON313 ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3) python3.13)
PY313 := $(VENV313)/bin/python
# Each pytest run picks its server; a URL the user exported must not redirect these legs.
PYTEST = env -u ROCKETJOB_TEST_MONGODB_URL -u ROCKETJOB_TEST_SERVER_KIND
# $(call timed,COMMAND): run COMMAND and print how long the leg took, keeping its exit status.
timed = @start=$$(date +%s); $(1); rc=$$?; \
	echo "== $@ took $$(( $$(date +%s) - start )) s (exit $$rc)"; exit $$rc

.PHONY: install install-py313 lint test test-nx test-secantus test-py313 test-package \
	test-fast demo perf clean print-python313

install: $(VENV)/.installed

# Python 3.11 (or whatever $(PYTHON) is) with Django 5.2 LTS and the django-tasks backport.
# SecantusDB (GPL-2.0) is a test server only: it comes from requirements-test-servers.txt,
# never from the package's dependencies or extras.
$(VENV)/.installed: pyproject.toml requirements-test-servers.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,dev,tasks,otel]" "Django>=5.2,<6"
	$(PY) -m pip install -q -r requirements-test-servers.txt
	touch $@

install-py313: $(VENV313)/.installed

# No `tasks` extra: Django 6 ships django.tasks itself.
$(VENV313)/.installed: pyproject.toml
	$(PYTHON313) -m venv $(VENV313)
	$(PY313) -m pip install -q --upgrade pip
	$(PY313) -m pip install -q -e ".[test,otel]" "Django>=6.1,<7"
	touch $@

lint: install
	$(call timed,$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy)

# Everything CI checks: lint and types, the whole suite on the embedded nx-27017 (as users get
# it), again on SecantusDB (a MongoDB-compatible server), on Python 3.13 + Django 6, and the
# built package in a fresh project. Each leg prints its duration.
test: lint test-nx test-secantus test-py313 test-package

test-nx: install
	$(call timed,$(PYTEST) ROCKETJOB_TEST_SERVER=nx $(PY) -m pytest -q)

test-secantus: install
	$(call timed,$(PYTEST) ROCKETJOB_TEST_SERVER=secantus $(PY) -m pytest -q)

test-py313: install-py313
	$(call timed,$(PYTEST) ROCKETJOB_TEST_SERVER=nx $(PY313) -m pytest -q)

test-package:
	$(call timed,.ci/check_package.sh $(PYTHON))

test-fast: install
	$(PY) -m pytest -q -m "not slow and not browser"

demo: install
	DJANGO_DEBUG=true $(GENERATED_KEY) $(PY) manage.py rocketjob_demo

# Benchmarks (never part of `make test`): framework vs a raw-pymongo baseline in one run.
perf: install
	$(GENERATED_KEY) $(PY) manage.py rocketjob_perf -c 1000 --workers 4
	$(GENERATED_KEY) $(PY) manage.py rocketjob_batch_perf -c 1000000 --slice-size 1000 --workers 4

print-python313:
	@echo $(PYTHON313)

clean:
	rm -rf $(VENV) $(VENV313) .rocketjob *.egg-info
