# The two commands a newcomer needs: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The TypeScript types need node: npm installs the versions pinned in package-lock.json.
NODE_STAMP := node_modules/.package-lock.json
NODE_DEPS := $(if $(shell command -v npm),$(NODE_STAMP))

.PHONY: run test lint system-tools openapi types docs constraints loadtest fixtures parity install clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --prefer-offline --no-audit --no-fund --loglevel=error

install: $(STAMP) $(NODE_DEPS)

# The container's command, on this machine: settings from OPTISCOPE_ variables (see the README).
run: $(STAMP)
	OPTISCOPE_HOST=$(HOST) OPTISCOPE_PORT=$(PORT) $(BIN)/python -m service

test: lint $(NODE_DEPS)
	$(BIN)/python -m pytest

# Debian's nginx, wrk and chromium, installed with apt-get when missing (scripts/system-tools.sh).
system-tools:
	scripts/system-tools.sh

# Code style, and the container files checked structurally (no Docker engine is needed).
lint: $(STAMP) system-tools
	$(BIN)/ruff check service tests scripts benchmarks
	$(BIN)/ruff format --check --quiet service tests scripts benchmarks
	$(BIN)/hadolint --failure-threshold warning Dockerfile
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	scripts/check-nginx.sh deploy/nginx.conf

# Regenerate the committed OpenAPI document and the TypeScript types made from it (tests fail on drift).
openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py openapi/openapi.json
	$(MAKE) types

types: $(NODE_STAMP)
	npm run --silent types

# Pin the image's runtime dependencies: a fresh environment with only the package installed.
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet '.[figures]'
	{ echo "# Runtime dependencies of the container image, pinned (make constraints regenerates this file)."; \
	  .venv-constraints/bin/pip freeze --exclude optiscope; } > deploy/constraints.txt
	rm -rf .venv-constraints

# Throughput, latency and memory of the tutorial request at 1 and 2 workers (wrk, loopback, 60 s each).
loadtest: $(STAMP)
	scripts/loadtest.sh

# The README's pictures: figures rendered by the service, and the playground as the browser test sees it.
docs: $(STAMP)
	$(BIN)/python scripts/render_docs.py docs
	$(BIN)/python -m pytest -q tests/test_playground_browser.py -k "tutorial_preset or 2d_objective"
	cp test-output/playground-tutorial.png docs/playground.png
	cp test-output/playground-rosenbrock.png docs/playground-rosenbrock.png

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

# W1-W4, JSON and HTTP against plain Python, numpy, torch.optim and optax; writes BENCHMARKS.md (~5 min).
# HTTP needs wrk (Debian: apt-get install -y wrk).
BENCH_VENV ?= .venv-bench
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -e '.[bench]'
	touch $@

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python -m benchmarks.run --out BENCHMARKS.md

clean:
	rm -rf $(VENV) .venv-reference .venv-constraints $(BENCH_VENV) .pytest_cache node_modules
