"""Packaging: every imported package is declared, and the README's commands are what CI runs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

from tests.helpers import ROOT

NAME = re.compile(r"^[A-Za-z0-9_.-]+")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions(*folders: str) -> set[str]:
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    local = {"cnn_course", "tests", "conftest", "__future__"}
    third_party = modules - set(sys.stdlib_module_names) - local
    mapping = packages_distributions()
    missing = sorted(module for module in third_party if module not in mapping)
    assert not missing, f"imported but not installed: {missing}"
    # keras is imported on its own name; tensorflow also vendors a "keras" entry, so pick the real one.
    return {normalise("keras" if module == "keras" else mapping[module][0]) for module in third_party}


def conda_names() -> set[str]:
    spec = yaml.safe_load((ROOT / "environment-gpu.yml").read_text(encoding="utf-8"))
    names = set()
    for entry in spec["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        for item in items:
            if not item.startswith("-"):
                names.add(normalise(NAME.match(item.replace("=", " ")).group(0)))
    return names


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


def declared(requirements: list[str]) -> set[str]:
    return {normalise(NAME.match(requirement).group(0)) for requirement in requirements}


def test_gpu_environment_lists_every_package_the_course_imports():
    spec = yaml.safe_load((ROOT / "environment-gpu.yml").read_text(encoding="utf-8"))
    assert spec["name"] == "cnn-course" and "conda-forge" in spec["channels"]
    pip_section = next(entry["pip"] for entry in spec["dependencies"] if isinstance(entry, dict))
    assert any(item.startswith("tensorflow[and-cuda]") for item in pip_section), "TensorFlow with CUDA"
    assert "-e ." in pip_section, "the course helper itself"
    needed = imported_distributions("src", "solutions", "tests") | {"jupyterlab", "ipykernel"}
    missing = sorted(needed - conda_names())
    assert not missing, f"environment-gpu.yml lacks {missing}"


def test_pyproject_declares_what_notebooks_and_helper_import():
    project = pyproject()["project"]
    runtime = declared(project["dependencies"])
    extras = project["optional-dependencies"]
    everything = runtime | declared(extras["instructor"]) | declared(extras["site"]) | declared(extras["test"])
    assert extras["dev"] == ["cnn-course[instructor,site,test]"], "dev is the three extras together"
    missing_runtime = sorted(imported_distributions("solutions") - runtime)
    assert not missing_runtime, f"notebooks import {missing_runtime}, which Colab would not get"
    missing = sorted(imported_distributions("src", "tests") - everything)
    assert not missing, f"pyproject.toml lacks {missing}"
    assert project["scripts"]["cnn-course"] == "cnn_course.cli:main"


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick_start, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make course", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert "make test" in ci_commands, "CI runs the README's test command"
    rows = [command.split()[1] for command in ci_commands if command.startswith(".ci/versions ")]
    assert rows == ["floor", "colab"], "then the two version rows"
    assert all((ROOT / ".ci" / f"{row}.txt").is_file() for row in rows)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(
        r"^test: install\n\t\$\(BIN\)/ruff check \.\n\t\$\(BIN\)/ruff format --check \.\n"
        r"\t\$\(BIN\)/python -m pytest$",
        makefile,
        re.M,
    ), "the test command enforces the style"
    assert re.search(r"^course: install\n\t\$\(BIN\)/jupyter lab notebooks/ \$\(ROOT_FLAG\)$", makefile, re.M)


def test_the_repository_address_is_configured_in_one_place():
    settings = pyproject()["tool"]["cnn-course"]
    assert settings["repository"].startswith("https://github.com/")
    sources = [p.read_text(encoding="utf-8") for p in Path(ROOT / "src").rglob("*.py")]
    assert not any(settings["repository"] in text for text in sources), "the helper must read it from pyproject"


def test_instructor_guide_uses_only_commands_and_options_that_exist():
    from cnn_course.cli import make_parser

    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert "docs/instructor-guide.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    parser = make_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    used = re.findall(r"cnn-course (\w+)", guide)
    assert {"build", "grade", "publish"} <= set(used)
    for name in used:
        assert name in subcommands, f"the guide uses `cnn-course {name}`, which does not exist"
    options = {
        option
        for name in ("build", "run", "grade", "publish")
        for action in subcommands[name]._actions
        for option in action.option_strings
    }
    for option in set(re.findall(r"`(--[a-z][a-z-]*)", guide)) | set(re.findall(r" (--[a-z][a-z-]*) ", guide)):
        assert option in options, f"the guide mentions {option}, which no command takes"
    for heading in ("Build the release", "Distribute", "Collect", "Grade", "needs manual grading", "Return feedback"):
        assert heading in guide


def test_the_package_metadata_is_what_a_pypi_page_needs():
    project = pyproject()["project"]
    assert project["license"] == "MIT", "an SPDX expression, not the deprecated table"
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    assert any(c.startswith("Programming Language :: Python :: 3.") for c in project["classifiers"])
    assert project["description"] and project["requires-python"]


def test_no_help_text_shows_restructuredtext_markup():
    from cnn_course.cli import make_parser

    parser = make_parser()
    commands = parser._subparsers._group_actions[0].choices
    texts = {"cnn-course": parser.format_help()} | {name: sub.format_help() for name, sub in commands.items()}
    marked = [name for name, text in texts.items() if "``" in text or ":func:" in text or ":class:" in text]
    assert not marked, f"--help shows reStructuredText markup in: {marked}"


def test_every_test_path_the_ci_scripts_name_exists():
    """A renamed test file must not leave a version row collecting nothing (pytest exits 4)."""
    named = {
        path.split("::")[0]
        for script in (ROOT / ".ci").iterdir()
        if script.is_file()
        for path in re.findall(r"\btests/[\w/.:-]+", script.read_text(encoding="utf-8"))
    }
    assert "tests/test_course_models.py" in named
    missing = sorted(path for path in named if not (ROOT / path.rstrip(".")).exists())
    assert not missing, f".ci names test paths that do not exist: {missing}"
