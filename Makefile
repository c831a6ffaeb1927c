# The README's commands. `make help` lists them.
SHELL := /bin/bash
# Python 3.11 or 3.12 (whylogs has no wheels for 3.13 yet). PYTHON=python3.12 chooses; a pyenv-installed
# interpreter that is not pyenv's active version (its shim refuses) is found under $(PYENV_ROOT)/versions.
PYTHON ?= $(firstword $(foreach p,python3.11 python3.12 python3,$(shell $(p) -c 'import sys; print(sys.executable)' 2>/dev/null)))
PY := $(or $(shell $(PYTHON) -c 'import sys; print(sys.executable)' 2>/dev/null),$(lastword $(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/$(patsubst python%,%,$(notdir $(PYTHON)))*/bin/$(notdir $(PYTHON)))),$(PYTHON))
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv installs the lock in seconds from its cache; pip is the fallback when uv is neither on PATH nor installable.
# UV_SYSTEM_CERTS: uv trusts the system's certificate store, as pip does (corporate TLS proxies need it).
UV_VERSION := 0.13.8
export UV_SYSTEM_CERTS ?= 1
# UV_COMPILE_BYTECODE: uv installs without .pyc files (pip compiles them). Where PYTHONDONTWRITEBYTECODE is
# set (CI, containers) nothing writes them later, and every process compiles its imports again: run.py and
# each test's subprocess import ZenML, MLflow and scikit-learn about 3x slower (docs/development.md).
export UV_COMPILE_BYTECODE ?= 1
export ZENML_ANALYTICS_OPT_IN ?= false
export WHYLOGS_NO_ANALYTICS ?= True
export AUTO_OPEN_DASHBOARD ?= false

REGISTRY ?= registry.example.com/portable-mlops
IMAGE ?= $(REGISTRY)/portable-mlops:0.1.0
# The airflow stack: Airflow in its own environment (zenml[server] pins a newer FastAPI than Airflow 3 takes).
AIRFLOW_VENV ?= .venv-airflow
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
export PMLOPS_AIRFLOW_HOME ?= $(CURDIR)/.airflow
MODEL ?= models:/breast_cancer_classifier@champion
# make test's pytest-xdist workers: most tests wait on servers, containers and Airflow, so two share two cores
# well; the tests that share session fixtures stay on one worker (tests/conftest.py, XDIST_GROUPS).
TEST_WORKERS ?= 2

.DEFAULT_GOAL := help
.PHONY: help install run drift test bench check lint format lock clean stop image serving-image dashboard dashboard-stop mlflow-ui airflow-up airflow-down airflow-lock

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements/dev.lock pyproject.toml
	@v=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null); case "$$v" in 3.11|3.12) ;; \
	  *) echo "error: Python 3.11 or 3.12 is required, PYTHON=$(PYTHON) is $${v:-not found} (whylogs has no wheels for 3.13 yet; numpy 2.4 needs 3.11+): install one, or set PYTHON=python3.12" >&2; exit 1;; esac
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -V)" != "$$($(PY) -V)" ]; then echo "$(VENV) holds $$($(BIN)/python -V): recreating it for $$($(PY) -V)"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@if command -v uv >/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" 2>/dev/null; then \
	  uv=$$(command -v uv || echo $(BIN)/uv); echo "installing requirements/dev.lock with $$($$uv --version)"; \
	  $$uv pip install --quiet --python $(BIN)/python -r requirements/dev.lock; \
	else \
	  echo "uv is not available: installing requirements/dev.lock with pip"; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.lock; \
	fi
	test -d .zen || $(BIN)/zenml init
	touch $(STAMP)

install: $(STAMP) ## Create .venv with the locked environment and initialise ZenML

run: install ## Set up, import + activate the local stack, run the pipelines, print a summary
	$(BIN)/python run.py --stack local

drift: install ## Score a drifted batch of the default data (4 columns moved 1.5 std): drift report, then retraining on it
	mkdir -p batches
	$(BIN)/python -m portable_mlops.data.batches --rows 200 --shift 1.5 --seed 1 --out batches/drifted.csv
	$(BIN)/python run.py --pipeline inference --data batches/drifted.csv --model-name breast_cancer_classifier --retrain-on-drift

test: install $(AIRFLOW_STAMP) ## Set up and run the whole test suite (all markers; PYTEST_ARGS="tests/unit" for a part)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: install ## Measure pipeline, serving, profiling and compile costs: benchmarks/results.json + docs/benchmarks.md (~30 min)
	$(BIN)/python -m benchmarks.run

check: install ## Lint, format check, type check and the layer contracts (.importlinter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy portable_mlops steps pipelines stacks materializers images run.py benchmarks
	$(BIN)/lint-imports

format: install ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install ## Re-resolve pyproject.toml into requirements/runtime.lock (the step image) and requirements/dev.lock (needs network)
	@uv=$$(command -v uv || echo $(BIN)/uv); for kind in runtime dev; do \
	  extra=$$([ $$kind = dev ] && echo "--extra dev"); \
	  $$uv pip compile pyproject.toml --universal $$extra --quiet --no-header --annotation-style line -o requirements/$$kind.lock || exit 1; \
	done; echo "wrote requirements/runtime.lock and requirements/dev.lock (one lock for Python 3.11 and 3.12; earlier pins kept where they still fit)"

$(AIRFLOW_STAMP): airflow/requirements.lock | $(STAMP)
	@uv=$$(command -v uv || echo $(BIN)/uv); test -x $(AIRFLOW_VENV)/bin/python || $$uv venv --quiet --python $(PY) $(AIRFLOW_VENV); \
	  $$uv pip sync --quiet --python $(AIRFLOW_VENV)/bin/python airflow/requirements.lock
	touch $(AIRFLOW_STAMP)

airflow-up: install $(AIRFLOW_STAMP) ## Build the step and serving images, start a local Airflow for --stack airflow (SQLite, LocalExecutor, podman's API; 127.0.0.1, free port)
	$(BIN)/python -m images.build step --image $(IMAGE)
	$(BIN)/python -m images.build serving --registry $(REGISTRY)
	CONTAINERS_CONF=$$($(BIN)/python -c 'from images import podman; print(podman.write_containers_conf())') \
	  $(AIRFLOW_VENV)/bin/python airflow/local_airflow.py start --home $(PMLOPS_AIRFLOW_HOME) $$(command -v docker >/dev/null && docker info >/dev/null 2>&1 || echo --podman)

airflow-down: ## Stop the local Airflow (and its podman API) that airflow-up started
	@test ! -x $(AIRFLOW_VENV)/bin/python || $(AIRFLOW_VENV)/bin/python airflow/local_airflow.py stop --home $(PMLOPS_AIRFLOW_HOME)

airflow-lock: install ## Re-resolve airflow/requirements.in into airflow/requirements.lock (needs network)
	@uv=$$(command -v uv || echo $(BIN)/uv); $$uv pip compile airflow/requirements.in --universal --python-version 3.11 --quiet --annotation-style line -o airflow/requirements.lock

clean: ## Remove the virtual environments and caches (not your ZenML or MLflow state)
	rm -rf $(VENV) $(AIRFLOW_VENV) .pytest_cache .mypy_cache .ruff_cache

stop: install ## Stop and delete every model endpoint the project started (local stack)
	$(BIN)/python -m portable_mlops.cli.endpoints

dashboard: install ## Start the ZenML dashboard on 127.0.0.1 (DASHBOARD_PORT=<port>; default 8237 or a free one)
	$(BIN)/python -m portable_mlops.cli.dashboard start

dashboard-stop: install ## Stop the ZenML dashboard started by make dashboard
	$(BIN)/python -m portable_mlops.cli.dashboard stop

mlflow-ui: install ## Serve the MLflow UI on the local tracking store (MLFLOW_UI_PORT=<port>; Ctrl+C stops it)
	$(BIN)/python -m portable_mlops.cli.dashboard mlflow

image: install ## Build the step image for Kubeflow/Vertex, with podman when Docker is absent (IMAGE=<registry>/portable-mlops:0.1.0, BASE_IMAGE=..., PUSH=1 pushes)
	$(BIN)/python -m images.build step --image $(IMAGE) $(if $(BASE_IMAGE),--base-image $(BASE_IMAGE)) $(if $(filter 1,$(PUSH)),--push)

serving-image: install ## Build a model's MLServer image for Seldon, named as the deployer expects (MODEL=models:/<name>@champion, PUSH=1 pushes to the stack's registry)
	$(BIN)/python -m images.build serving --model $(MODEL) $(if $(BASE_IMAGE),--base-image $(BASE_IMAGE)) $(if $(filter 1,$(PUSH)),--push)
