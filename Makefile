# ssi-kit: two commands on a fresh machine -- `make report` and `make test`.
# Both create .venv when absent, install the package and register the `ssi-kit`
# Jupyter kernel; a second run only re-installs when pyproject.toml changed.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ssi-kit-installed
DATA   ?= data/sample

.PHONY: setup report test test-all bench validate lab sample clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name ssi-kit --display-name "Python (ssi-kit)" >/dev/null
	@touch $(STAMP)

report: setup
	$(BIN)/ssi-kit report $(DATA) --out 'outputs/{date}-{hash}'

test: setup
	$(BIN)/python -m pytest -q

test-all: setup
	$(BIN)/python -m pytest -q -m ""

bench: setup
	$(BIN)/python -m ssi_kit.bench

validate: setup
	$(BIN)/python -m ssi_kit.claims.validation --datasets 2000 --out docs/validation.md

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

sample: setup
	$(BIN)/ssi-kit simulate --out $(DATA) --force

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
