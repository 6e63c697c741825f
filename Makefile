# Webshop developer tasks. `make run` serves the shop on http://127.0.0.1:5000 with
# embedded defaults; `make test` runs the test suite against PostgreSQL, Redis and
# Debian's Chromium (starting or installing them when needed).

PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
FLASK      := $(BIN)/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: venv run test services browser bench clean

# Create the virtualenv once; reinstall only when requirements.txt is newer than the stamp.
venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

# Development server with embedded defaults (SQLite under instance/, no Redis).
run: venv
	WEBSHOP_ENV=development $(FLASK) db upgrade
	WEBSHOP_ENV=development $(FLASK) seed-demo
	WEBSHOP_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

test: venv services browser
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379, started (or installed) if needed.
services:
	bash scripts/services.sh

# Debian's Chromium at /usr/bin/chromium for the browser tests (never `playwright install`).
browser:
	@if [ -x /usr/bin/chromium ]; then \
		echo "browser: /usr/bin/chromium is present"; \
	else \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=""; \
		elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
		else \
			echo "browser: /usr/bin/chromium is missing and this user cannot install it;" >&2; \
			echo "         as root run: apt-get update && apt-get install -y chromium" >&2; \
			exit 1; \
		fi; \
		echo "browser: installing Debian's chromium with apt-get"; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

bench: venv services
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) instance
