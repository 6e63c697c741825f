# Webshop developer tasks. `make run` serves the shop on http://127.0.0.1:5000 with
# embedded defaults; `make test` runs the test suite against PostgreSQL, Redis and
# Debian's Chromium (starting or installing them when needed).

PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
FLASK      := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=
# Test processes (pytest-xdist): each has its own PostgreSQL database and Redis database, so
# the suite's waiting (browsers, workers, gunicorn starts) overlaps; 0 runs it in one process.
PYTEST_WORKERS ?= 2
CLUSTER_ARGS ?=

.PHONY: venv run test services browser nginx cluster bench bench-edge bench-mix clean screenshots translations

# Create the virtualenv once; reinstall only when requirements.txt is newer than the stamp.
venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/pybabel compile -d webshop/translations
	touch $(STAMP)

# Re-extract the storefront's strings, merge them into each language's messages.po (edit
# the new msgstr entries), and compile the .mo files the app reads (git-ignored; the app
# also compiles a missing or outdated one at start-up).
translations: venv
	$(BIN)/pybabel extract -F babel.cfg -k _N -k _l -o webshop/translations/messages.pot .
	$(BIN)/pybabel update -i webshop/translations/messages.pot -d webshop/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d webshop/translations

# Development server with embedded defaults (SQLite under instance/, no Redis).
run: venv
	WEBSHOP_ENV=development $(FLASK) db upgrade
	WEBSHOP_ENV=development $(FLASK) seed-demo
	WEBSHOP_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: venv services browser nginx
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# PNGs of home, list, product and cart at 1280 and 390 px into screenshots/ (git-ignored).
screenshots: venv services browser
	$(BIN)/python -m pytest -q tests/browser/test_screenshots.py

# PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379, started (or installed) if needed.
services:
	bash scripts/services.sh

# Debian's Chromium for the browser tests (never `playwright install`), and Debian's nginx
# for the load balancer (`make cluster`, the failover test).
browser:
	@bash scripts/need.sh /usr/bin/chromium chromium

nginx:
	@bash scripts/need.sh /usr/sbin/nginx nginx

# nginx in front of 2 gunicorn instances and a worker on http://127.0.0.1:8080, against the
# local PostgreSQL and Redis (scripts/cluster.py --help for more instances or another port).
cluster: venv services nginx
	$(BIN)/python scripts/cluster.py $(CLUSTER_ARGS)

bench: venv services
	$(BIN)/python scripts/bench.py

# Anonymous catalogue pages from the app's page cache and from nginx's micro-cache, each
# against the hello-world route (issue 14's two cache targets).
bench-edge: venv services nginx
	$(BIN)/python scripts/edgebench.py

# The shopper mix (browse, cart, checkout, account) and orders/s, app alone and through
# nginx, each against the hello-world route; BENCHMARKS.md has the figures. BENCH_MIX_ARGS
# for scripts/loadmix.py's options (--help).
BENCH_MIX_ARGS ?=
bench-mix: venv services nginx
	$(BIN)/python scripts/loadmix.py $(BENCH_MIX_ARGS)

clean:
	rm -rf $(VENV) instance
