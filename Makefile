# The two commands a newcomer needs: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint openapi constraints loadtest fixtures parity install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The container's command, on this machine: settings from OPTISCOPE_ variables (see the README).
run: $(STAMP)
	OPTISCOPE_HOST=$(HOST) OPTISCOPE_PORT=$(PORT) $(BIN)/python -m service

test: lint
	$(BIN)/python -m pytest

# Code style, and the container files checked structurally (no Docker engine is needed).
lint: $(STAMP)
	$(BIN)/ruff check service tests scripts
	$(BIN)/ruff format --check --quiet service tests scripts
	$(BIN)/hadolint --failure-threshold warning Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	scripts/check-nginx.sh deploy/nginx.conf

# Regenerate the committed OpenAPI document (a test fails when it drifts from the code).
openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py openapi/openapi.json

# Pin the image's runtime dependencies: a fresh environment with only the package installed.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet .
	{ echo "# Runtime dependencies of the container image, pinned (make constraints regenerates this file)."; \
	  .venv-constraints/bin/pip freeze --exclude optiscope; } > deploy/constraints.txt
	rm -rf .venv-constraints

# Throughput, latency and memory of the tutorial request at 1 and 2 workers (wrk, loopback, 60 s each).
loadtest: $(STAMP)
	scripts/loadtest.sh

# Re-record reference trajectories from torch.optim / optax (needs the `reference` extra).
fixtures:
	$(PYTHON) -m venv .venv-reference
	.venv-reference/bin/pip install --quiet -e '.[reference]'
	.venv-reference/bin/python tests/reference/record_fixtures.py
	.venv-reference/bin/python tests/reference/record_closed_loop.py

# Compare every optimizer live against torch.optim / optax on freshly drawn random cases (needs the
# `reference` extra; CASES=100 SEED=7 to change the draw).
parity:
	$(PYTHON) -m venv .venv-reference
	.venv-reference/bin/pip install --quiet -e '.[reference]'
	.venv-reference/bin/python tests/reference/live_parity.py --cases $(or $(CASES),20) $(if $(SEED),--seed $(SEED))

clean:
	rm -rf $(VENV) .venv-reference .venv-constraints .pytest_cache
