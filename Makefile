# The two commands: `make run` (local portal on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt

.DEFAULT_GOAL := help
.PHONY: help run test lint messages install install-dev clean vendor-css bench bench-staff bench-faults

help:
	@echo "make run    - serve the portal with demo data on http://127.0.0.1:8000/"
	@echo "make test   - run ruff and the whole test suite"
	@echo "make messages - update and compile the bokmål and nynorsk translation catalogues"
	@echo "make bench-faults - burst of forms while a worker dies and Redis and PostgreSQL restart (ARGS=--short)"
	@echo "make bench  - the portal beside bare Django under wrk (needs PostgreSQL, Redis, wrk)"
	@echo "make bench-staff - the staff lists at 100,000 forms and 10,000 groups (needs PostgreSQL)"
	@echo "make vendor-css - refresh static/vendor/ from the npm packages pinned in package.json (needs Node)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP_INSTALL) -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP_INSTALL) -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# A local .env with DEBUG on and a generated key; never committed.
.env:
	@printf 'DEBUG=true\nSECRET_KEY=%s\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "Wrote .env with a new local SECRET_KEY."

run: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py record_consent_texts
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:8000/ (admin: http://127.0.0.1:8000/admin/)"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

messages: install-dev .env
	$(BIN)/python manage.py makemessages --locale nb --locale nn --no-obsolete --ignore "bench/*" --ignore "tests/*" --ignore "node_modules/*"
	$(BIN)/python manage.py compilemessages --locale nb --locale nn --ignore ".venv"

# Designsystemet's CSS, theme and the Inter font, copied from node_modules into
# static/vendor/ and committed: running the portal needs no Node, only this does.
vendor-css:
	npm ci --no-audit --no-fund
	npm run vendor-css

# The HTTP benchmark (bench/web.py): needs PostgreSQL (DATABASE_URL names the
# server), Redis (REDIS_URL) and wrk (Debian: apt-get install -y wrk). It makes
# makes its own databases anew each run, $(BENCH_DATABASE_PREFIX)_portal and _bare.
BENCH_DATABASE_PREFIX ?= selvhjelp_bench_http
bench: install
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install -y wrk"; exit 1; }
	BENCH_DATABASE_PREFIX=$(BENCH_DATABASE_PREFIX) $(BIN)/python bench/web.py $(BENCH_ARGS)

bench-staff: install
	$(BIN)/python bench/staff.py $(BENCH_ARGS)

# The fault benchmark (bench/faults.py): its own PostgreSQL, Redis and SMTP sink;
# ARGS=--short for a quick check.
bench-faults: install-dev
	$(BIN)/python bench/faults.py $(ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
