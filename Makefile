# The two commands: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean check-java

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sparkgrove needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

check-java: $(STAMP)
	$(BIN)/python -c "from sparkgrove.java import main; main()"

demo: $(STAMP) check-java
	$(BIN)/sparkgrove demo

test: $(STAMP) check-java
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP) check-java
	$(BIN)/python bench/train.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache sparkgrove-workspace
