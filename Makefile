# Two commands for a fresh machine with Python 3.11+: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-serial lint clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "prakerja needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@# face_recognition declares `dlib`, which pip would compile for minutes; dlib-bin,
	@# already installed above, is the same library prebuilt.
	$(BIN)/python -m pip install --quiet --no-deps -c constraints.txt face_recognition==1.3.0
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/prakerja migrate
	$(BIN)/prakerja up

# On every core (pytest-xdist): each worker has its own databases, ports, folders and
# broker virtual host; the whole-stack scenarios run one after another on one worker.
test: install
	$(BIN)/python -m pytest -n auto --dist loadgroup

# In one process, in the files' order (to read a failure without the others' noise).
test-serial: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV)
