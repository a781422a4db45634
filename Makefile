# Ariadne: `make run` starts the platform, `make test` runs the checks and the tests.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NEO4J_JAR := tools/neo4j-launcher/target/neo4j-launcher-1.0.0.jar
ES_JAR := tools/es-launcher/target/es-launcher-1.0.0.jar
FERRETDB := tools/ferretdb/bin/ferretdb
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-deps services stop-services run test lint pytest bench bench-compare clean frontend

# Python virtualenv with the pinned dependencies (requirements.lock pins the whole tree).
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e ".[dev]"
	$(BIN)/pip check
	$(BIN)/python tools/fetch_tokenizer.py
	$(BIN)/python -m ariadne_core.embedding.quantize
	@touch $(STAMP)

install: $(STAMP)

# The explorer (frontend/, docs/explorer.md): npm ci from the committed lockfile, types
# generated from the API's OpenAPI (tsc fails when the page reads what the API no longer
# sends), then the build the API serves at /. Rebuilt only when its sources or the API
# changed.
FRONTEND_MODULES := frontend/node_modules/.package-lock.json
FRONTEND_BUILD := frontend/dist/index.html
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f -not -name api-types.ts 2>/dev/null)
API_SRC := $(shell find ariadne_api -name '*.py' 2>/dev/null)

$(FRONTEND_MODULES): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 with npm is required for the explorer"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error

$(FRONTEND_BUILD): $(STAMP) $(FRONTEND_MODULES) $(FRONTEND_SRC) $(API_SRC)
	$(BIN)/python tools/openapi_json.py frontend/openapi.json
	cd frontend && npm run --silent types && npm run --silent check && npm run --silent build

frontend: $(FRONTEND_BUILD)

# System packages the test services need: redis-server from Debian, Java 17 and Maven, and
# Chromium for the Dagster UI check (tests/integration/test_dagster_ui.py). Go builds FerretDB.
system-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	@command -v redis-server >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null; }
	@command -v java >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }
	@command -v mvn >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq maven >/dev/null; }

$(NEO4J_JAR): tools/neo4j-launcher/pom.xml $(wildcard tools/neo4j-launcher/src/main/java/ai/ariadne/tools/*.java)
	cd tools/neo4j-launcher && mvn -q -B package -DskipTests

$(ES_JAR): tools/es-launcher/pom.xml $(wildcard tools/es-launcher/src/main/java/ai/ariadne/tools/*.java)
	cd tools/es-launcher && mvn -q -B package -DskipTests

$(FERRETDB): tools/ferretdb/build.sh
	tools/ferretdb/build.sh

# Embedded Postgres, redis-server, Neo4j 5.26, Elasticsearch 7.10 and FerretDB on free
# loopback ports (idempotent).
services: install system-deps $(NEO4J_JAR) $(ES_JAR) $(FERRETDB)
	$(BIN)/ariadne services start

stop-services:
	$(BIN)/ariadne services stop

# The whole platform on the embedded PostgreSQL: API :8000, Dagster UI :3000, daemon.
run: install frontend
	$(BIN)/ariadne db upgrade
	$(BIN)/ariadne run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest

test: install services frontend lint pytest

bench: install services
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	@# other lineage engines for benchmarks/inference.py, kept out of Ariadne's own venv
	@test -x .venv-compare/bin/python || $(PYTHON) -m venv .venv-compare
	@.venv-compare/bin/pip install -q -r benchmarks/compare-requirements.txt
	@set -e; shopt -s nullglob; files=(benchmarks/[!_]*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "no benchmarks yet"; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; $(BIN)/python "$$f"; done

# One benchmark on two revisions, back to back, as ratios (absolute times on a shared
# machine move by 2x from hour to hour): make bench-compare BENCH=lineage BASE=main~3
bench-compare: install services
	@test -n "$(BENCH)" || { echo "usage: make bench-compare BENCH=<name in benchmarks/> [BASE=HEAD~1] [HEAD=HEAD] [ROUNDS=1]"; exit 2; }
	$(BIN)/python benchmarks/_compare_revisions.py $(BENCH) --base $(or $(BASE),HEAD~1) --head $(or $(HEAD),HEAD) --rounds $(or $(ROUNDS),1)

clean:
	rm -rf $(VENV) .venv-compare tools/neo4j-launcher/target tools/es-launcher/target tools/ferretdb/bin frontend/node_modules frontend/dist
