# Two commands for a fresh Linux machine with Python 3.11+: `make demo`, then `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := tests/data/seed_article.txt

.PHONY: demo test install check bench mutation clean

$(BIN)/audiobrief: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/audiobrief

## Install, then speak the bundled sample article into output/.
demo: install
	$(BIN)/audiobrief speak $(SAMPLE) -o output
	$(BIN)/audiobrief brief -o output

## Install, then run the linters, the type checker and the whole test suite.
test: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: install
	for b in speak_bench brief_bench voices_bench stitch_bench serve_bench ingest_bench day_bench queue_bench archive_bench diacritization frontend_report; do $(BIN)/python bench/$$b.py || exit 1; done

## Plant one-line bugs in the core modules and count the ones the tests miss (minutes).
mutation: install
	$(BIN)/python bench/mutation.py --list-survivors

clean:
	rm -rf $(VENV) output/20* output/*.xml output/*.html output/catalog.sqlite
