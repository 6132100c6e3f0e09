# Two commands for a newcomer: `make demo` and `make test` (README). Everything else is here for them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install demo serve serve-prod migrate test test-postgres lint format bench bench-scale bench-parallel loadtest check clean schema-fuzz

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: migrate
	DEBUG=1 $(PY) manage.py seed_demo --host $(HOST) --port $(PORT)
	@echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

serve: install
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# The production profile (README "Production profile"): gunicorn, a Celery worker and Celery beat from the Procfile,
# against PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL, CACHE_URL). Refuses to start without them.
serve-prod: install
	@for name in DATABASE_URL CELERY_BROKER_URL CACHE_URL SECRET_KEY ALLOWED_HOSTS; do \
	  if [ -z "$$(printenv $$name)" ]; then echo "serve-prod: set $$name (README, Production profile)"; exit 2; fi; done
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 HOST=$(HOST) PORT=$(PORT) PATH="$(abspath $(VENV))/bin:$$PATH" $(VENV)/bin/honcho start -f Procfile

test: install
	DEBUG=1 $(PY) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=1 $(VENV)/bin/mypy .
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	DEBUG=1 $(PY) -m bench

# A national coalition's data (SCALE_LINES lines, default 20,000,000) in PostgreSQL, then its reads and an upload.
bench-scale: install
	$(PY) -m bench._scale

# Four 250,000-line files uploaded at once through two Celery workers on Redis, against a sequential run.
bench-parallel: install
	$(PY) -m bench._parallel_ingest

# Bounded load test of the production profile on loopback (bench/_loadtest.py lists its LOADTEST_* settings).
loadtest: install
	$(PY) -m bench._loadtest

clean:
	rm -rf $(VENV) var

# The schema fuzz with more examples per operation than the suite's few (tests/api/test_schema_conformance.py).
schema-fuzz: install
	SCHEMA_EXAMPLES=$${SCHEMA_EXAMPLES:-50} DEBUG=1 $(PY) -m pytest -q tests/api/test_schema_conformance.py
