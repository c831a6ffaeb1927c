# The README's commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export ZENML_ANALYTICS_OPT_IN ?= false
export WHYLOGS_NO_ANALYTICS ?= True
export AUTO_OPEN_DASHBOARD ?= false

IMAGE ?= registry.example.com/portable-mlops/portable-mlops:0.1.0
CONTAINER ?= $(shell command -v docker || command -v podman)

.DEFAULT_GOAL := help
.PHONY: help install run test bench check lint format lock clean stop image dashboard dashboard-stop mlflow-ui

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (numpy 2.4 needs >= 3.11; the lock is built on 3.11): install python3.11 or set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	test -d .zen || $(BIN)/zenml init
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the locked environment and initialise ZenML

run: install ## Set up, import + activate the local stack, run the pipelines, print a summary
	$(BIN)/python run.py --stack local

test: install ## Set up and run the whole test suite (all markers)
	$(BIN)/python -m pytest

bench: install ## Measure pipeline, serving, profiling and compile costs: benchmarks/results.json + docs/benchmarks.md (~30 min)
	$(BIN)/python -m benchmarks.run

check: install ## Lint, format check, type check and the layer contracts (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy portable_mlops steps pipelines stacks materializers run.py benchmarks
	$(BIN)/lint-imports

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: ## Re-resolve the pins in pyproject.toml into requirements.lock (needs network)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade "pip==25.3"
	.lock-venv/bin/python -m pip install --quiet ".[dev]"
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^portable-mlops' > requirements.lock
	rm -rf .lock-venv

clean: ## Remove the virtual environment and caches (not your ZenML or MLflow state)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

stop: install ## Stop and delete every model endpoint the project started (local stack)
	$(BIN)/python -m portable_mlops.cli.endpoints

dashboard: install ## Start the ZenML dashboard on 127.0.0.1 (DASHBOARD_PORT=<port>; default 8237 or a free one)
	$(BIN)/python -m portable_mlops.cli.dashboard start

dashboard-stop: install ## Stop the ZenML dashboard started by make dashboard
	$(BIN)/python -m portable_mlops.cli.dashboard stop

mlflow-ui: install ## Serve the MLflow UI on the local tracking store (MLFLOW_UI_PORT=<port>; Ctrl+C stops it)
	$(BIN)/python -m portable_mlops.cli.dashboard mlflow

image: ## Build and push the step image for Kubeflow/Vertex (IMAGE=<registry>/portable-mlops:0.1.0)
	$(CONTAINER) build -t $(IMAGE) .
	$(CONTAINER) push $(IMAGE)
