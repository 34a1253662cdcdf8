# Two commands do all the set-up on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := . deploy/local/env.sh &&

.PHONY: help install infra migrate run seed stop test test-unit test-faults lint format dlq dlq-replay jaeger observe bench

help:
	@echo "make run    install what is missing, start Kafka, PostgreSQL, the three services and the MDT console"
	@echo "make test   the same set-up, then every test"
	@echo "make stop   stop the services, Kafka and PostgreSQL started by make run"
	@echo "make lint   ruff and mypy"
	@echo "make bench  the pipeline against its limits (quick, < 3 min; BENCH=full for the long one)"
	@echo "make jaeger start the local trace backend (first time: builds it); make run then traces to it"
	@echo "make observe Jaeger and Prometheus (127.0.0.1:9090, scraping the services, with the alert rules)"
	@echo "make dlq    list dead letters; make dlq-replay TOPIC=case-events [OFFSET=n] sends them back"

install:
	@deploy/local/python.sh

infra:
	@deploy/local/infra.sh

migrate: infra
	@$(ENV) .venv/bin/python -m shared.db.migrate

run: infra
	@$(ENV) deploy/local/services.sh start
	@$(ENV) .venv/bin/python -m services.scheduler.seed
	@$(ENV) echo; echo "Ready. intake http://127.0.0.1:8001  eligibility http://127.0.0.1:8002  scheduler http://127.0.0.1:8003 (OpenAPI at /docs)"; \
	  echo "MDT console http://127.0.0.1:8004 (sign in with a coordinator, clinician or ops token)"; \
	  echo "API tokens: $${API_TOKENS_FILE:-from your API_TOKENS}"; echo "Stop with: make stop"

seed: infra
	@$(ENV) .venv/bin/python -m services.scheduler.seed

jaeger:
	@deploy/local/jaeger.sh start

# Prometheus from Debian's packages, run under .local/prometheus (not Debian's service); Jaeger if not up.
observe:
	@deploy/local/jaeger.sh start
	@deploy/local/prometheus.sh start

# A fresh database and topic prefix per run (the dev data is not touched); report in bench/results/.
bench: infra
	@deploy/local/vegeta.sh
	@$(ENV) BENCH="$(BENCH)" .venv/bin/python -m bench.pipeline_bench

stop:
	@deploy/local/services.sh stop
	@deploy/local/prometheus.sh stop
	@deploy/local/jaeger.sh stop
	@deploy/local/kafka.sh stop
	@deploy/local/postgres.sh stop

test: infra
	@deploy/local/kustomize.sh  # renders deploy/k8s for the offline manifest tests
	@deploy/local/asyncapi-schema.sh  # the AsyncAPI 3.0 JSON Schema, to validate /asyncapi.json
	@deploy/local/prometheus.sh install  # promtool, for the alert rules' unit tests
	@deploy/local/fhir-validator.sh  # the HL7 FHIR validator and R4 core definitions, for tests/e2e/test_intake_fhir_out.py
	@deploy/local/browser.sh  # Chromium and chromedriver from Debian, for the console's browser tests
	@$(ENV) .venv/bin/pytest

test-faults: infra
	@$(ENV) .venv/bin/pytest tests/faults

# Closed ports: the unit tier must pass with no broker and no database reachable.
test-unit: install
	@KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 DATABASE_URL=postgresql+asyncpg://none:none@127.0.0.1:9/none \
	  .venv/bin/pytest tests/unit

lint: install
	@.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy shared services tests

format: install
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

dlq: infra
	@$(ENV) .venv/bin/python -m shared.kafka.dead_letters list

dlq-replay: infra
	@$(ENV) .venv/bin/python -m shared.kafka.dead_letters replay $(TOPIC) $(if $(OFFSET),--offset $(OFFSET))
