# Countersign. `make run` brings the whole collector up on localhost; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)

.PHONY: venv check test quick unit deploy-tests petition reconcile export erase signer-data anonymise invalidate revalidate help run clean-data package deploy deploy-edge-waf bench translations

help:
	@echo "make run      the whole system on http://localhost:$${PORT:-8000}, local mail on :$${MAIL_PAGE_PORT:-8025}"
	@echo "make test     lint, types and every test (unit, integration on DynamoDB Local, browser)"
	@echo "make quick    lint, types, import layers and the unit tests (a few minutes)"
	@echo "make check    lint (ruff), types (mypy) and import layers (import-linter) only"
	@echo "make petition ARGS='create my-id --title ... --summary ... --goal N'"
	@echo "make reconcile [REPAIR=1]   recount totals from the signatures table"
	@echo "make export ARGS='PETITION --kind summary|signatures|updates --out FILE'   CSV (or .jsonl) export"
	@echo "make erase ARGS='[PETITION] EMAIL'      remove one signer (from every petition without PETITION)"
	@echo "make signer-data ARGS='EMAIL'           everything held for an address, as JSON"
	@echo "make anonymise ARGS='PETITION --now'    anonymise a petition's signatures now (daily when deployed)"
	@echo "make invalidate ARGS='PETITION [--ip A | --ip-hash H] [--domain D] [--country C] [--since T] [--until T] [--source S] [--dry-run]'"
	@echo "make revalidate ARGS='...the same criteria...'   count invalidated signatures again"
	@echo "make clean-data   wipe the local database, stream checkpoints and dev secret (.local/)"
	@echo "make package STAGE=dev                  template and code for a stage into build/STAGE"
	@echo "make deploy STAGE=dev BUCKET=my-bucket  package, upload and deploy the stack countersign-STAGE"
	@echo "make bench    every benchmark; writes docs/benchmarks.md"
	@echo "make translations   extract messages into the catalogs, compile them, list countries per language"

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

# Lint and import order (ruff), then types (mypy over chalicelib/ and app.py); settings in pyproject.toml.
check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

# Every tier on both cores: unit (moto), deploy (packaged templates), integration (DynamoDB Local), browser.
test: check
	$(PY) -m pytest -n 2

# The quick loop while you work: lint, types, import layers, then the unit tests (no packaging, no
# DynamoDB Local, no browser).
quick: check unit

unit: venv
	$(PY) -m pytest -n 2 -m "not integration and not browser and not deploy"

# The packaged templates, policies and zip (tests/deploy): a few minutes of `chalice package` first.
deploy-tests: venv
	$(PY) -m pytest -m deploy

# Messages from chalicelib/ and app.py into chalicelib/i18n/ (messages.pot, each language's .po),
# compiled to the .mo files the function reads, and each language's sorted country names.
translations: venv
	$(PY) -m tools.translations

# While `make run` is up (and DYNAMODB_ENDPOINT is not set), these act on its local tables;
# otherwise on the tables the environment names (a deployed stage: see docs/deploying.md).
LOCAL_ENV := if [ -z "$$DYNAMODB_ENDPOINT" ] && [ -f .local/stack.env ]; then set -a; . ./.local/stack.env; set +a; fi;

petition: venv
	@$(LOCAL_ENV) $(PY) -m tools.petition_admin $(ARGS)

reconcile: venv
	@$(LOCAL_ENV) $(PY) -m tools.reconcile $(if $(REPAIR),--repair) $(ARGS)

# Data rights (chalicelib/rights): exports, erasure, access requests, retention.
export: venv
	@$(LOCAL_ENV) $(PY) -m tools.export $(ARGS)

erase: venv
	@$(LOCAL_ENV) $(PY) -m tools.signer_rights erase $(ARGS)

signer-data: venv
	@$(LOCAL_ENV) $(PY) -m tools.signer_rights data $(ARGS)

anonymise: venv
	@$(LOCAL_ENV) $(PY) -m tools.signer_rights anonymise $(ARGS)

# Preview, then change the status of the signatures that match; the totals follow through the stream.
invalidate: venv
	@$(LOCAL_ENV) $(PY) -m tools.invalidate $(ARGS)

revalidate: venv
	@$(LOCAL_ENV) $(PY) -m tools.invalidate --revalidate $(ARGS)

# DynamoDB Local, tables, the demo petition, the stream runner and the API; Ctrl-C stops them all.
run: venv
	@$(PY) -m tools.devstack run

# Needs no virtualenv: it only removes .local/ (and refuses while `make run` is up).
clean-data:
	@$(PYTHON) -m tools.devstack clean-data

# ---- AWS: see docs/deploying.md ----
STAGE ?= dev
STACK ?= countersign-$(STAGE)
# The region, as the AWS CLI itself would choose it: REGION=..., else AWS_REGION or
# AWS_DEFAULT_REGION, else the CLI profile's. Looked up once, and only when used.
REGION ?= $(eval REGION := $(or $(AWS_REGION),$(AWS_DEFAULT_REGION),$(shell aws configure get region 2>/dev/null)))$(REGION)
ALARM_TOPIC ?=
# Verification mail (docs/deploying.md, "Verification mail with SES"): the From address, the SES identity
# it belongs to (a domain or the address; empty: the address) and the public address links point to.
MAIL_FROM ?=
MAIL_IDENTITY ?=
PUBLIC_BASE_URL ?=
ADMIN_EMAILS ?=
# More stack parameters, e.g. PARAMETERS='FrontDoor=rest Cdn=off' (docs/deploying.md, "The front door").
PARAMETERS ?=
# Days after a petition closes before its signatures are anonymised (docs/deploying.md, "Data rights").
RETENTION_DAYS ?=
# The edge web ACL's parameters, e.g. WAF_PARAMETERS='WafRateLimit=200 AlarmTopicArn=arn:...'
WAF_PARAMETERS ?=
BUILD := build/$(STAGE)

# Checked before anything is packaged, so a missing setting fails at once.
ifneq ($(filter deploy,$(MAKECMDGOALS)),)
ifeq ($(BUCKET),)
$(error make deploy needs BUCKET=<an S3 bucket in the stage's region for the code>)
endif
ifeq ($(REGION),)
$(error make deploy needs a region: REGION=..., AWS_REGION, or a region in your AWS CLI profile (aws configure set region ...))
endif
endif

# Packaging talks to no AWS service: the template names no region (it uses AWS::Region).
package: venv
	$(PY) -m tools.package $(STAGE) $(BUILD)
	$(VENV)/bin/cfn-lint --non-zero-exit-code error $(BUILD)/sam.json $(BUILD)/waf-edge.json

deploy: package
	aws cloudformation package --region $(REGION) --template-file $(BUILD)/sam.json \
		--s3-bucket $(BUCKET) --s3-prefix $(STACK) --output-template-file $(BUILD)/packaged.yaml
	aws cloudformation deploy --region $(REGION) --template-file $(BUILD)/packaged.yaml \
		--stack-name $(STACK) --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
		--parameter-overrides Stage=$(STAGE) AlarmTopicArn=$(ALARM_TOPIC) \
			MailFrom=$(MAIL_FROM) MailIdentity=$(MAIL_IDENTITY) PublicBaseUrl=$(PUBLIC_BASE_URL) \
		$(if $(ADMIN_EMAILS),AdminEmails=$(ADMIN_EMAILS)) $(if $(RETENTION_DAYS),RetentionDays=$(RETENTION_DAYS)) \
			$(PARAMETERS)
	aws cloudformation describe-stacks --region $(REGION) --stack-name $(STACK) \
		--query "Stacks[0].Outputs" --output table

# The WAF web ACL for the CloudFront distribution: its own stack, in us-east-1 whatever the stage's region
# (docs/deploying.md, "Edge rate limits"); pass its WebAclArn output to make deploy in PARAMETERS.
deploy-edge-waf: package
	aws cloudformation deploy --region us-east-1 --template-file $(BUILD)/waf-edge.json \
		--stack-name $(STACK)-edge-waf --no-fail-on-empty-changeset \
		$(if $(WAF_PARAMETERS),--parameter-overrides $(WAF_PARAMETERS))
	aws cloudformation describe-stacks --region us-east-1 --stack-name $(STACK)-edge-waf \
		--query "Stacks[0].Outputs" --output table

# Benchmarks against baselines measured in the same run (10 to 15 minutes on 2 cores).
bench: venv
	$(PY) -m bench
