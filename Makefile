# Two commands from nothing: `make reports` and `make test`. Each creates .venv when it is
# missing or older than pyproject.toml, then does its job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PERIOD ?= current
DATA   ?= sample

.PHONY: setup reports test lab lint benchmarks clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

reports: $(STAMP)
	$(BIN)/salesops report --period $(PERIOD) --data $(DATA)

test: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax tests notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

lint: $(STAMP)
	$(BIN)/ruff check salesops_lib tests benchmarks

benchmarks: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) reports .pytest_cache
