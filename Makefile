# Countersign. `make run` brings the whole collector up on localhost; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: venv test unit petition reconcile help run clean-data package deploy bench

help:
	@echo "make run      the whole system on http://localhost:$${PORT:-8000}"
	@echo "make test     every test (unit, integration on DynamoDB Local, browser)"
	@echo "make petition ARGS='create my-id --title ... --summary ... --goal N'"
	@echo "make reconcile [REPAIR=1]   recount totals from the signatures table"
	@echo "make clean-data   wipe the local database, stream checkpoints and dev secret (.local/)"
	@echo "make package STAGE=dev                  template and code for a stage into build/STAGE"
	@echo "make deploy STAGE=dev BUCKET=my-bucket  package, upload and deploy the stack countersign-STAGE"
	@echo "make bench    every benchmark; writes docs/benchmarks.md"

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

# While `make run` is up (and DYNAMODB_ENDPOINT is not set), these act on its local tables;
# otherwise on the tables the environment names (a deployed stage: see docs/deploying.md).
LOCAL_ENV := if [ -z "$$DYNAMODB_ENDPOINT" ] && [ -f .local/stack.env ]; then set -a; . ./.local/stack.env; set +a; fi;

petition: venv
	@$(LOCAL_ENV) $(PY) -m tools.petition_admin $(ARGS)

reconcile: venv
	@$(LOCAL_ENV) $(PY) -m tools.reconcile $(if $(REPAIR),--repair) $(ARGS)

# DynamoDB Local, tables, the demo petition, the stream runner and the API; Ctrl-C stops them all.
run: venv
	@$(PY) -m tools.devstack run

# Needs no virtualenv: it only removes .local/ (and refuses while `make run` is up).
clean-data:
	@$(PYTHON) -m tools.devstack clean-data

# ---- AWS: see docs/deploying.md ----
STAGE ?= dev
STACK ?= countersign-$(STAGE)
REGION ?= $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),us-east-1)
ALARM_TOPIC ?=
BUILD := build/$(STAGE)

package: venv
	AWS_DEFAULT_REGION=$(REGION) $(PY) -m tools.package $(STAGE) $(BUILD)
	$(VENV)/bin/cfn-lint --non-zero-exit-code error $(BUILD)/sam.json

deploy: package
	@test -n "$(BUCKET)" || { echo "make deploy needs BUCKET=<an S3 bucket in $(REGION) for the code>" >&2; exit 2; }
	aws cloudformation package --region $(REGION) --template-file $(BUILD)/sam.json \
		--s3-bucket $(BUCKET) --s3-prefix $(STACK) --output-template-file $(BUILD)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --template-file $(BUILD)/packaged.yaml \
		--stack-name $(STACK) --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
		--parameter-overrides Stage=$(STAGE) AlarmTopicArn=$(ALARM_TOPIC)
	aws cloudformation describe-stacks --region $(REGION) --stack-name $(STACK) \
		--query "Stacks[0].Outputs" --output table

# Benchmarks against baselines measured in the same run (10 to 15 minutes on 2 cores).
bench: venv
	$(PY) -m bench
