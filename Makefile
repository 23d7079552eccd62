# make run: set up and start the bot (config.toml, SQLite), or the sandbox when no token is
# set. make test: set up, lint, type-check, test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck hygiene bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

config.toml:
	cp config.example.toml config.toml
	@echo "Created config.toml from config.example.toml: edit it (grids, workers, admins)."

run: $(STAMP) config.toml
	$(BIN)/python -m bot --config config.toml

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Only source belongs in git: a tracked virtualenv, database or cache fails the build.
hygiene:
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		tracked=$$(git ls-files -- '.venv' 'venv' '*.pyc' '*.sqlite3*' 'data/*' | head -5); \
		if [ -n "$$tracked" ]; then \
			echo "Build output or local data is tracked by git (git rm -r --cached it):"; \
			echo "$$tracked"; exit 1; \
		fi; \
	fi

test: hygiene lint typecheck
	$(BIN)/pytest -q -rfEs -n 2

bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
