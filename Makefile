# Megafono: `make run` (quick start, no servers needed) and `make test` (PostgreSQL + Redis).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/megafono
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
PYTEST_WORKERS ?= 2

.PHONY: run test install lint browsers messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	DEBUG=1 SIMULATOR_MIN_DELAY=1 SIMULATOR_MAX_DELAY=5 \
		SIMULATOR_REPORT_URL=http://127.0.0.1:8000/api/partner-gateway/v1/delivery-reports/simulator \
		$(VENV)/bin/honcho -f Procfile.dev start

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

browsers:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

test: install lint browsers
	mkdir -p var/screenshots
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) \
		$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q
	rm -f var/smoke.sqlite3*
	DATABASE_URL=sqlite:///$(CURDIR)/var/smoke.sqlite3 CELERY_BROKER_URL=filesystem:// \
		$(PY) -m pytest -m smoke -q -p no:xdist

messages: install
	$(PY) manage.py makemessages -l it --ignore=.venv --ignore=var --no-obsolete
	$(PY) manage.py compilemessages -l it --ignore=.venv

clean:
	rm -rf var/broker var/screenshots var/smoke.sqlite3*
