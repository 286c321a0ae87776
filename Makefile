# The README's two commands. Both create .venv/ on first use and install the course into it.
#   make course   installs, then opens JupyterLab on the student notebooks
#   make test     installs, checks the style (ruff), then runs the whole test suite (notebooks in smoke mode)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: course test install build check-chapter

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

# The fast check a maintainer runs first on a new or changed chapter (docs/adding-a-chapter.md):
# the style, the release rebuilt, and the tests that read the chapters without running them
# (leaked answer lines, hints, exercise times, the TRAIN_MODELS rule, each exercise's check).
# Under a minute (56 s on 2 cores), not the suite's six; `make test` still runs everything.
STATIC_CHAPTER_TESTS := tests/authoring/test_lessons.py tests/authoring/test_release.py \
	tests/authoring/test_effort.py tests/authoring/test_build.py tests/checks/test_all_chapters.py \
	tests/authoring/test_run.py::test_every_chapter_that_trains_has_the_switch_and_so_a_smoke_run_here
check-chapter: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cnn-course build --no-execute
	$(BIN)/python -m pytest -q -n 0 $(STATIC_CHAPTER_TESTS)

# Reinstall only when the package definition changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@
