# The README's two commands. Both create .venv/ on first use and install the course into it.
#   make course   installs, then opens JupyterLab on the student notebooks
#   make test     installs, checks the style (ruff), then runs the whole test suite (notebooks in smoke mode)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: course test install build

# Jupyter refuses to run as root without --allow-root (containers, CI boxes, some cloud VMs).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

course: install
	$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

install: $(VENV)/.installed

build: install
	$(BIN)/cnn-course build

# Reinstall only when the package definition changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@
