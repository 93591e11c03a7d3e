# Every target sets up .venv on first use, so each works as the first command on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test run lint bench crash-test previews clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cspr-bot needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)  ## the main job end to end on a fictional case, in var/demo/
	$(BIN)/cspr-bot demo

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest -q

run: $(STAMP)  ## the service on the local workspace (Ctrl-C stops)
	$(BIN)/cspr-bot run

bench: $(STAMP)  ## figures as ratios against a baseline measured in the same run
	$(BIN)/python bench/run.py

crash-test: $(STAMP)  ## the full crash matrix: the bot SIGKILLed at every named point, restarted, checked
	@mkdir -p var
	$(BIN)/python -m tests.crash --out var/crash-matrix.md

previews: $(STAMP)  ## PNG previews of every Word template in docs/images/ (needs LibreOffice, pdftoppm)
	$(BIN)/python docs/make_previews.py

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check bot tests bench docs templates
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var/demo .pytest_cache .mypy_cache .ruff_cache
