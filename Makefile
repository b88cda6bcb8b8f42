# `make demo` and `make test` work on a fresh machine with Python 3.11+, git and the package
# registries: they create .venv and install what they need themselves.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CACHE := .cache
SARIF_SCHEMA := $(CACHE)/sarif/sarif-2.1.0.json
AGENTS_BIN := $(CACHE)/agents/node_modules/.bin
PYTEST_ARGS ?=

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: demo test check docs lint typecheck pytest bench clean agents browser

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required (python3.11+ on PATH)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The SARIF 2.1.0 JSON schema the SARIF test validates against, from its npm package.
$(SARIF_SCHEMA):
	@scripts/ensure-debian-packages.sh npm:npm
	@mkdir -p $(CACHE)/sarif
	cd $(CACHE)/sarif && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
		&& tar -xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
		&& mv package/lib/schemas/sarif-2.1.0-rtm.5.json sarif-2.1.0.json && rm -rf package *.tgz

demo: $(STAMP)
	$(VENV)/bin/crewchief demo $(if $(NO_SERVE),--no-serve)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

# src strictly (the [tool.mypy] defaults), then tests with the relaxed [tool.mypy.overrides] for tests.*.
typecheck: $(STAMP)
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy tests

# The real agent programs (Claude Code, Codex CLI) from npm, driven against a scripted model server.
agents:
	@scripts/ensure-debian-packages.sh npm:npm
	@scripts/install-agents.sh

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@scripts/install-browser.sh

pytest: $(STAMP) $(SARIF_SCHEMA) agents browser
	@scripts/ensure-debian-packages.sh bwrap:bubblewrap
	CREWCHIEF_SARIF_SCHEMA=$(abspath $(SARIF_SCHEMA)) CREWCHIEF_AGENTS_BIN=$(abspath $(AGENTS_BIN)) \
		CREWCHIEF_REQUIRE_SANDBOX=1 \
		$(VENV)/bin/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest docs

# The edit-test loop: lint, types and the tests not marked slow (no agents, browser or sandbox set-up).
check: lint typecheck $(SARIF_SCHEMA)
	CREWCHIEF_SARIF_SCHEMA=$(abspath $(SARIF_SCHEMA)) $(VENV)/bin/pytest -n 2 -m "not slow" $(PYTEST_ARGS)

# The documentation site, built offline into site/; the generated reference pages must be current.
docs: $(STAMP)
	$(PY) -m crewchief.docsgen --check docs/
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

bench: $(STAMP)
	$(PY) benchmarks/gate_static.py
	$(PY) benchmarks/gate_accuracy.py
	$(PY) benchmarks/perf_detector.py
	$(PY) benchmarks/review_pages.py
	$(PY) benchmarks/run_overhead.py

clean:
	rm -rf $(VENV) $(CACHE) .pytest_cache .mypy_cache .ruff_cache
