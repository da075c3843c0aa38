# DynamoDB Streams change-data-capture module: the verbs a user types.
# Every target works from a fresh clone; `make test` installs what it needs (virtualenv, pinned packages, emulator).

SHELL         := bash
.SHELLFLAGS   := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Tests run on the same Python minor version as the functions' default runtime (var.runtime in variables.tf).
PYTHON_MINOR  ?= 3.13
PYTHON        ?= $(shell scripts/find-python.sh $(PYTHON_MINOR))
VENV          ?= .venv
PY            := $(VENV)/bin/python
BUILD_DIR     ?= .build

# Terraform installs providers from a local filesystem mirror when one exists, and from the registry otherwise.
TF_CLI_CONFIG := $(shell scripts/terraform-cli-config.sh $(CURDIR)/$(BUILD_DIR)/terraform.tfrc $(CURDIR)/$(BUILD_DIR)/plugin-cache)
ifneq ($(TF_CLI_CONFIG),)
export TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG)
else ifneq ($(wildcard $(TF_CLI_CONFIG_FILE)),$(TF_CLI_CONFIG_FILE))
unexport TF_CLI_CONFIG_FILE
endif
export TF_IN_AUTOMATION := 1
export CHECKPOINT_DISABLE := 1

TF_DIRS := . $(wildcard examples/*)

.PHONY: help
# Colour only when stdout is a terminal, so `make help > file` and pipes get plain text.
help: ## Show this help
	@if [ -t 1 ]; then on=$$'\033[36m'; off=$$'\033[0m'; else on=; off=; fi; \
	awk -v on="$$on" -v off="$$off" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %s%-16s%s %s\n", on, $$1, off, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: requirements-dev.txt
	@echo "==> creating $(VENV) with $(PYTHON)"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --requirement requirements-dev.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the virtualenv with pinned dependencies

# Done again only when a configuration's requirements can have changed, so parallel suites never init at once.
INIT_STAMP := $(BUILD_DIR)/terraform-init.stamp
$(INIT_STAMP): versions.tf $(wildcard examples/*/*.tf)
	@for d in $(TF_DIRS); do echo "==> terraform init $$d"; terraform -chdir=$$d init -backend=false -input=false -no-color >/dev/null; done
	@mkdir -p $(@D) && touch $@

.PHONY: init
init: $(INIT_STAMP) ## terraform init the module and every example (offline through the provider mirror when present)

.PHONY: build
build: venv ## Build the Lambda packages (code zips and dependency layer) into .build/
	$(PY) scripts/build_package.py all --out-dir $(BUILD_DIR)/packages

.PHONY: fmt
fmt: venv ## Format Terraform and Python sources
	terraform fmt -recursive
	$(VENV)/bin/ruff format lambda_src tests local scripts bench
	$(VENV)/bin/ruff check --fix lambda_src tests local scripts bench

.PHONY: lint
lint: venv ## Check formatting, lint and types (terraform fmt, ruff, mypy)
	terraform fmt -check -recursive -diff
	$(VENV)/bin/ruff format --check lambda_src tests local scripts bench
	$(VENV)/bin/ruff check lambda_src tests local scripts bench
	$(VENV)/bin/mypy

.PHONY: validate
validate: init ## terraform validate the module and every example
	@for d in $(TF_DIRS); do echo "==> terraform validate $$d"; terraform -chdir=$$d validate -no-color; done

# checkov pins many packages of its own: it gets a virtualenv of its own, from requirements-checkov.txt.
CHECKOV_VENV := $(BUILD_DIR)/checkov-venv
# The module root's own files (examples/ and tests/ call the module with other inputs and are scanned as callers).
CHECKOV_ROOT_SKIPS := --skip-path examples --skip-path tests --skip-path bench --skip-path $(BUILD_DIR) --skip-path $(VENV) --skip-path .local

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@echo "==> creating $(CHECKOV_VENV) with $(PYTHON)"
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --requirement requirements-checkov.txt
	touch $@

.PHONY: checkov
checkov: $(CHECKOV_VENV)/.installed ## Security scan (checkov, offline) of the module and every example; any failed check fails
	@for d in $(TF_DIRS); do \
	  echo "==> checkov $$d"; \
	  skips=(); if [ "$$d" = . ]; then skips=($(CHECKOV_ROOT_SKIPS)); fi; \
	  out=$$($(CHECKOV_VENV)/bin/checkov --skip-download --framework terraform --directory "$$d" "$${skips[@]}" --compact --quiet 2>&1) \
	    || { echo "$$out"; exit 1; }; \
	  echo "$$out" | grep -E '^Passed checks: [1-9]' \
	    || { echo "$$out"; echo "checkov found no Terraform resources in $$d"; exit 1; }; \
	done

.PHONY: test-terraform
test-terraform: init ## terraform test (mock provider): defaults and variable validation
	terraform test -no-color

.PHONY: test-unit
test-unit: venv ## Unit tests of the handlers and tools
	$(PY) -m pytest tests/unit

.PHONY: test-security
test-security: venv ## IAM least privilege: the roles' policies read back from the emulator, and the handlers' calls checked against them
	$(PY) -m pytest tests/security

# Workers of the end-to-end suite (pytest-xdist): the session stack's tests, and each other file's, go to one
# worker whole (tests/e2e/conftest.py), each on an emulator of its own. Its stacks mostly wait on Terraform and
# the emulator, so more workers than cores pays. E2E_WORKERS=0 runs it in this process, one test after another.
E2E_WORKERS ?= 3

.PHONY: test-e2e
test-e2e: venv ## End to end: apply examples/local to fresh emulators, drive them through HTTP and AWS APIs (E2E_WORKERS=3 side by side)
	$(PY) -m pytest -m e2e tests/e2e -n $(E2E_WORKERS) --dist loadgroup

.PHONY: test-localstack
test-localstack: venv ## The end-to-end suite against your running LocalStack (LOCALSTACK_ENDPOINT, default :4566); not in CI
	E2E_TARGET=localstack E2E_ENDPOINT="$${LOCALSTACK_ENDPOINT:-http://localhost:4566}" $(PY) -m pytest -m e2e tests/e2e

.PHONY: test-aws
test-aws: venv ## The end-to-end suite against your AWS account (current credentials), unique name, destroyed after; not in CI
	E2E_TARGET=aws $(PY) -m pytest -m e2e tests/e2e

# The suites run side by side: the stack suites mostly wait on the emulator and Terraform, the others use the CPU.
# JOBS=1 runs them one after another; each suite's output is printed whole when it ends.
JOBS ?= 3
TEST_SUITES := test-e2e test-security test-unit test-terraform checkov validate lint

# First, side by side, what the suites need: both virtualenvs (pip) and terraform init (copying providers).
.PHONY: test
test: ## Run every test (the command CI runs)
	$(MAKE) --no-print-directory --jobs=3 --output-sync=target venv init $(CHECKOV_VENV)/.installed
	$(MAKE) --no-print-directory --jobs=$(JOBS) --output-sync=target $(TEST_SUITES)

.PHONY: docs
docs: venv ## Write the README's Requirements, Inputs and Outputs tables from the module's HCL
	$(PY) scripts/tf_docs.py

# ROOT=dir runs another Terraform root that uses the module (state in .local/roots/); PORT=n fixes the ports
# (API front n, emulator n+1). See docs/local-stack.md.
STACK_ROOT := $(if $(ROOT),--root $(ROOT))

.PHONY: up
up: venv ## Start the local stack: emulator on 127.0.0.1, examples/local (or ROOT=dir) applied to it, API, runner and poller; PORT=n fixes ports
	$(PY) -m local up $(STACK_ROOT) $(if $(PORT),--port $(PORT))

.PHONY: down
down: ## Stop the local stack (of ROOT=dir) and remove its state and what it added to ROOT
	@if [ -x $(PY) ]; then $(PY) -m local down $(STACK_ROOT); elif [ -z "$(ROOT)" ]; then rm -rf .local; \
	else echo "no virtualenv ($(VENV)): run make venv, then make down ROOT=$(ROOT)"; exit 1; fi

.PHONY: bench
bench: venv ## Benchmarks beside their baselines (throughput, cold start, sizes, latency, deploy) -> BENCHMARKS.md
	$(PY) -m bench.report

.PHONY: lock
lock: ## Re-pin requirements-dev.txt from requirements-dev.in
	rm -rf $(BUILD_DIR)/lock-venv
	$(PYTHON) -m venv $(BUILD_DIR)/lock-venv
	$(BUILD_DIR)/lock-venv/bin/pip install --quiet --requirement requirements-dev.in
	{ echo "# Generated from requirements-dev.in with 'make lock' (pip freeze of a clean virtualenv). Do not edit by hand."; \
	  $(BUILD_DIR)/lock-venv/bin/pip freeze; } >requirements-dev.txt

.PHONY: clean
clean: ## Remove build output, virtualenv and Terraform working files
	rm -rf $(BUILD_DIR) $(VENV) .terraform .terraform.lock.hcl examples/*/.terraform examples/*/.terraform.lock.hcl
