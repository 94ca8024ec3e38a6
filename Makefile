# The two commands: `make demo` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean check-java browser postgres sshd

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

# The notebook browser test drives Debian's chromium with Playwright (no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

# The store and catalog suites also run on a real PostgreSQL server, which the tests start
# themselves from Debian's package in a temporary folder.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the store tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; }

# The multi-host cluster tests make hosts of network namespaces, each running Debian's sshd.
sshd:
	@test -x /usr/sbin/sshd || { \
	  echo "installing Debian's openssh-server for the multi-host cluster tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q openssh-server; }

test: $(STAMP) check-java browser postgres sshd
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(STAMP) check-java
	$(BIN)/python bench/train.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache sparkgrove-workspace
