# Shared Venues — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app wsgi
PORT ?= 5000
WORKERS ?= 2
DEMO ?= 1
CATALOGS := $(patsubst %.po,%.mo,$(wildcard booking/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test install install-dev translations i18n-extract bench clean cluster cluster-stop

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

booking/translations/%/LC_MESSAGES/messages.mo: booking/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -f -i $< -o $@

translations: $(CATALOGS)

# Re-extract user-facing strings and merge them into the catalogs (then translate the new ones).
i18n-extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o booking/translations/messages.pot .
	$(VENV)/bin/pybabel update -i booking/translations/messages.pot -d booking/translations --no-fuzzy-matching

run: install
	$(FLASK) db upgrade
	$(if $(filter 0,$(DEMO)),@echo "DEMO=0: no demo accounts",$(FLASK) seed-demo --if-empty)
	deploy/with-jobs.sh $(VENV)/bin/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile - --logger-class booking.accesslog.AccessLogger wsgi:app

# Tests in parallel (pytest-xdist; browser tests share one worker), then the races on their own
# (tests/conftest.py). Run one process with `make test PYTEST_WORKERS=0`. Exit status 5 is
# "nothing selected" (e.g. PYTEST_ARGS naming only race files, or none).
PYTEST_WORKERS ?= 2

# Each pytest process compiles (and rewrites the asserts of) ~300 modules: keep the bytecode.
test: export PYTHONDONTWRITEBYTECODE =
test: install-dev
	$(PY) -m tests.tools.ensure_system
	$(VENV)/bin/ruff format --check booking tests
	$(VENV)/bin/ruff check booking tests
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -m "not race" $(PYTEST_ARGS) || [ $$? -eq 5 ]
	$(PY) -m pytest -q -m race $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Load test on loopback (gunicorn + wrk, ~3 min): docs/benchmarks.md. `make bench BENCH_DB=postgresql`.
bench: install-dev
	$(PY) -m tests.bench.run

# PostgreSQL, Redis, two gunicorn app servers, nginx and a job runner on loopback (docs/deploy.md);
# data, logs and the shared secrets in .cluster/. `PORT=8080 SERVERS=2 WORKERS=2 make cluster`.
cluster: install
	$(PY) -m tests.tools.ensure_system cluster
	PORT=$${PORT:-8080} $(PY) -m tests.tools.cluster start

cluster-stop:
	$(PY) -m tests.tools.cluster stop

clean:
	rm -rf $(VENV) instance/booking.sqlite3*
