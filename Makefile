# Countersign. `make run` brings the whole collector up on localhost; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: venv test unit petition reconcile help run clean-data

help:
	@echo "make run      the whole system on http://localhost:$${PORT:-8000}"
	@echo "make test     every test (unit, integration on DynamoDB Local, browser)"
	@echo "make petition ARGS='create my-id --title ... --summary ... --goal N'"
	@echo "make reconcile [REPAIR=1]   recount totals from the signatures table"
	@echo "make clean-data   wipe the local database, stream checkpoints and dev secret (.local/)"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

test: venv
	$(PY) -m pytest

unit: venv
	$(PY) -m pytest -m "not integration and not browser"

petition: venv
	$(PY) -m tools.petition_admin $(ARGS)

reconcile: venv
	$(PY) -m tools.reconcile $(if $(REPAIR),--repair)

# DynamoDB Local, tables, the demo petition, the stream runner and the API; Ctrl-C stops them all.
run: venv
	@$(PY) -m tools.localstack run

# Needs no virtualenv: it only removes .local/ (and refuses while `make run` is up).
clean-data:
	@$(PYTHON) -m tools.localstack clean-data
