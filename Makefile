# credit-graph tasks. `make demo` and `make test` work on a fresh machine: each builds .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The pages' front-end files, built from the npm registry (web/package-lock.json) by scripts/setup-web.
VENDOR := graph_service/web/static/vendor/cytoscape.min.js

.PHONY: demo test check lint typecheck format serve browser neo4j-start neo4j-stop clean

# Create the virtual environment and install the project with its dev tools (re-run when pyproject changes).
$(BIN)/credit-graph: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(VENDOR): web/package.json web/package-lock.json
	scripts/setup-web

# Generate a small county into the embedded store and serve the API on http://127.0.0.1:8000.
demo: $(BIN)/credit-graph $(VENDOR)
	$(BIN)/credit-graph demo

# Lint, type-check and run every test, on both backends (starts a local Neo4j unless NEO4J_URI is set),
# the pages' tests in Debian's Chromium among them.
test: $(BIN)/credit-graph $(VENDOR) browser lint typecheck
	scripts/run-tests

# ruff lint and format check.
lint: $(BIN)/credit-graph
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy --strict on the package and loaders.
typecheck: $(BIN)/credit-graph
	$(BIN)/mypy

# Rewrite files in ruff's format and apply safe lint fixes.
format: $(BIN)/credit-graph
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Serve the API over the configured store (CREDIT_GRAPH_* settings).
serve: $(BIN)/credit-graph $(VENDOR)
	$(BIN)/credit-graph serve

# Start or stop a local Neo4j 5.26 on 127.0.0.1 (prints its bolt:// URI); see scripts/neo4j-local.
# Debian's Chromium and a CJK font for the browser tests (root or sudo; apt-get).
browser:
	scripts/setup-browser

neo4j-start:
	scripts/neo4j-local start

neo4j-stop:
	scripts/neo4j-local stop

# Remove the virtual environment and local data.
clean:
	rm -rf $(VENV) var web/node_modules graph_service/web/static/vendor .pytest_cache .mypy_cache .ruff_cache
