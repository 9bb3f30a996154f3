# ssi-kit: two commands on a fresh machine -- `make report` and `make test`.
# Both create .venv when absent and install the package (editable): `make report` with
# what the report needs, `make test` also with the test tools (.[test]). Both register the
# `ssi-kit` Jupyter kernel for `make lab` (the report itself runs this venv's Python).
# A second run only re-installs when pyproject.toml changed (one stamp per set).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ssi-kit-installed
TESTSTAMP := $(VENV)/.ssi-kit-test-installed
PIP    := $(BIN)/python -m pip install -qq --disable-pip-version-check
DATA   ?= data/sample

.PHONY: setup setup-test report test test-all bench validate lab sample clean

setup: $(STAMP)

setup-test: $(TESTSTAMP)

define install
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e '$(1)'
	$(BIN)/python -m ipykernel install --sys-prefix --name ssi-kit --display-name "Python (ssi-kit)" >/dev/null
endef

$(STAMP): pyproject.toml
	$(call install,.)
	@touch $(STAMP)

# .[test] includes everything .[] has: the runtime stamp is fresh after it too.
$(TESTSTAMP): pyproject.toml
	$(call install,.[test])
	@touch $(STAMP) $(TESTSTAMP)

report: setup
	$(BIN)/ssi-kit report $(DATA) --out 'outputs/{date}-{hash}'

test: setup-test
	$(BIN)/python -m pytest -q

test-all: setup-test
	$(BIN)/python -m pytest -q -m ""

bench: setup-test
	$(BIN)/python -m ssi_kit.bench

validate: setup
	$(BIN)/python -m ssi_kit.validation --datasets 2000 --out docs/validation.md

lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

sample: setup
	$(BIN)/ssi-kit simulate --out $(DATA) --force

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
