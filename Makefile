# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := serving,nlp,training,spark,dev
PORT ?= 8000

.PHONY: run test lint install clean build-SkillFunction build-ApiFunction build-ConsumerFunction

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# The local demo: signature verification off (no Alexa in front), a demo API token for
# listener usr-0000001, and stream URLs served by the app's own /media route.
DEMO_ENV := PHILOMATH_VERIFY_ALEXA_SIGNATURES=false \
	PHILOMATH_API_TOKENS='{"demo-token": "usr-0000001"}' \
	PHILOMATH_STREAM_BASE_URL=http://127.0.0.1:$(PORT)/media

run: $(STAMP)
	$(BIN)/philomath pipeline run
	$(DEMO_ENV) $(BIN)/philomath serve --workers --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Lint, format and strict types over the code and the tests; CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# `sam build` (infra/template.yaml, BuildMethod makefile) calls these with ARTIFACTS_DIR set:
# each Lambda gets the package with the serving extra, nothing else (no models, no
# training stack). Build on Linux x86_64 with Python 3.11, as the functions run.
# tests/unit/test_lambda_package.py builds one and imports every handler from it alone.
LAMBDA_TARGETS := build-SkillFunction build-ApiFunction build-ConsumerFunction
$(LAMBDA_TARGETS):
	test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it)"; exit 2; }
	$(PYTHON) -m pip install --quiet --no-compile --target "$(ARTIFACTS_DIR)" '.[serving]'

clean:
	rm -rf var .pytest_cache
