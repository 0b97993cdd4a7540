# The two commands a newcomer needs: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint openapi docs fixtures parity install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/uvicorn service.main:app --host $(HOST) --port $(PORT)

test: lint
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check service tests scripts
	$(BIN)/ruff format --check --quiet service tests scripts

# Regenerate the committed OpenAPI document (a test fails when it drifts from the code).
openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py openapi/openapi.json

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

clean:
	rm -rf $(VENV) .venv-reference .pytest_cache
