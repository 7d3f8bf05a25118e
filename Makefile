# Two entry points for a fresh Debian 12 machine (as root): `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: demo test prereqs deps venv dags-env dags-test docs collection-checks collection-install site-installed lint unit \
	molecule platform down lock clean

demo: prereqs venv  ## hosts up, site.yml converged (DAGs deployed, iris_training run once), access details printed
	$(BIN)/mlopsctl $(if $(ENGINE),--engine $(ENGINE)) up

test: deps  ## lint + unit tests + molecule/integration scenarios, with a timing per stage
	tools/run-tests.sh

# Engine(s) the prereqs install and start: auto, podman and/or docker; empty means mlopsctl.toml's local.engine.
ENGINE ?=

prereqs:  ## system packages (apt), debootstrap, rsync and the container engine (ENGINE=podman|docker|auto), started
	tools/install-prereqs.sh $(ENGINE)

# The tests prove both engines: everything on podman, the hosts, site.yml and a molecule scenario on Docker.
deps: ENGINE = podman docker

deps: prereqs venv dags-env

venv: $(VENV)/.installed  ## the tooling's Python packages only (no apt): what CI jobs use

dags-env:  ## Airflow + the DAGs' requirements, for the DAG tests (.venv-dags)
	tools/dags-env.sh

$(VENV)/.installed: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

docs: venv  ## the documentation site into site/ (mkdocs build --strict); generated pages are checked by the tests
	tools/docs-js.sh
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

collection-checks: venv  ## ansible-test sanity + units of the collection (~2.5 min cold, ~25 s warm)
	tools/collection-checks.sh

collection-install: venv  ## datatech.mlops from this repo at tag v<galaxy.yml version> into .mlops/collections
	$(BIN)/mlopsctl release install --dest .mlops/collections $(if $(REF),--ref $(REF))

site-installed: collection-install  ## site.yml's playbooks with the installed copy (ARGS="-i inventories/x/hosts.yml")
	$(BIN)/mlopsctl release site --dest .mlops/collections -- $(ARGS)

lint: venv  ## yamllint, ruff, ansible-lint, the CI schema, checkov, mkdocs (no container engine)
	tools/run-tests.sh lint

dags-test: dags-env  ## DAG import and logic tests only
	tools/run-tests.sh dags

unit: venv  ## mlopsctl's and the repository's unit tests (no container engine)
	tools/run-tests.sh unit

molecule: deps
	tools/run-tests.sh molecule

platform: deps  ## site.yml end to end, DAG delivery and the GitLab jobs against fresh local hosts
	tools/run-tests.sh platform

down: deps  ## remove the local hosts, their network and volumes
	$(BIN)/mlopsctl $(if $(ENGINE),--engine $(ENGINE)) hosts down

# The lock's pins are kept (pip-compile starts from them): only what pyproject adds or needs is resolved anew;
# UPGRADE=1 re-resolves every package to its newest allowed version.
lock:  ## requirements.lock from pyproject's dev extra, every file's sha256 with it (pip-tools)
	rm -rf .mlops/lock-venv && python3 -m venv .mlops/lock-venv
	.mlops/lock-venv/bin/pip install --quiet pip-tools
	grep -v '^#' requirements.lock | sed '/./,$$!d' > .mlops/lock.txt
	.mlops/lock-venv/bin/pip-compile --quiet $(if $(UPGRADE),--upgrade) --extra dev --generate-hashes --strip-extras \
	  --no-header --no-emit-index-url --no-emit-find-links --no-annotate -o .mlops/lock.txt pyproject.toml
	{ echo "# Exact versions and sha256 of every Python package the project's tooling uses (make venv installs them with"; \
	  echo "# pip --require-hashes). Regenerate: make lock"; echo; cat .mlops/lock.txt; } > requirements.lock

clean:
	rm -rf $(VENV) .venv-dags .venv-checkov .mlops site
