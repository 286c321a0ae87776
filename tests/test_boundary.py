"""Who uses what: learner modules (what notebooks and Colab import) stand on their own.

The base install, which is all Colab gets, has no nbformat, nbgrader, jupytext or nbclient:
every learner module must import without them, and the console script must still start.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "src" / "cnn_course"
INSTRUCTOR_ROOMS = ("authoring", "grading", "benchmarks", "kernels", "course")
# The instructor's rooms in layers: a room imports only rooms of lower layers (and learner modules).
# authoring and grading sit side by side over kernels and course; benchmarks use all of them.
LAYERS = {"course": 0, "kernels": 1, "authoring": 2, "grading": 3, "benchmarks": 4}
INSTRUCTOR_ONLY = ("nbformat", "nbgrader", "jupytext", "nbclient")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def learner_modules() -> list[str]:
    """Every module outside the instructor's rooms, except the console script."""
    return sorted(
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] not in INSTRUCTOR_ROOMS and path.name != "cli.py"
    )


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


# Python started with the instructor packages made unimportable, as on a base install.
WITHOUT_INSTRUCTOR_TOOLS = f"""
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {INSTRUCTOR_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
"""


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_INSTRUCTOR_TOOLS + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_the_learner_side_is_found():
    names = learner_modules()
    assert {"cnn_course.photos", "cnn_course.data.cifar10", "cnn_course.checks.chapter02", "cnn_course.errors"} <= set(
        names
    )
    rooms = {f"cnn_course.{room}" for room in INSTRUCTOR_ROOMS}
    # cnn_course.course_models is a learner module, cnn_course.course.settings is not.
    assert not any(name in rooms or name.startswith(tuple(f"{room}." for room in rooms)) for name in names)


@pytest.mark.parametrize("name", learner_modules())
def test_no_learner_module_imports_instructor_tools(name):
    path = PACKAGE.parent / Path(*name.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    forbidden = {f"cnn_course.{room}" for room in INSTRUCTOR_ROOMS} | {"cnn_course.cli", *INSTRUCTOR_ONLY}
    used = {
        module
        for module in imports_of(path)
        if module.split(".")[0] in INSTRUCTOR_ONLY or any(module == f or module.startswith(f + ".") for f in forbidden)
    }
    assert not used, f"{name} imports {sorted(used)}: learner modules must work on a base install"


def test_every_learner_module_imports_without_the_instructor_packages():
    result = run_python(f"""
import importlib, json
for name in {learner_modules()!r}:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {INSTRUCTOR_ONLY!r})))
""")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_console_script_starts_on_a_base_install():
    result = run_python("from cnn_course.cli import main\nmain(['--help'])")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "build" in result.stdout and "grade" in result.stdout and "benchmark" in result.stdout


def test_a_command_that_needs_the_instructor_extra_says_what_to_install():
    result = run_python(f"from cnn_course.cli import main\nsys.exit(main(['--root', {str(ROOT)!r}, 'build']))")
    assert result.returncode == 3, result.stderr[-3000:]
    assert 'pip install "cnn-course[instructor]"' in result.stderr and "Traceback" not in result.stderr


def package_imports() -> dict[str, set[str]]:
    """Every module of the package -> the package's modules it imports (at its top or inside a
    function: a lazy import is a dependency too)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for imported in imports_of(path):
            # "from cnn_course.checks import chapter01" names a module in the package too.
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != "cnn_course":
                found.add(imported)
        graph[name] = found
    return graph


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else None


def test_no_room_imports_a_room_above_it():
    upward = [
        f"{module} -> {imported}"
        for module, imports in package_imports().items()
        for imported in imports
        if room(module) and room(imported) and LAYERS[room(imported)] > LAYERS[room(module)]
    ]
    assert not upward, f"imports that go up a layer: {upward}"


def test_the_package_has_no_import_cycle():
    graph = package_imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == 1:
                cycles.append(" -> ".join([*path[path.index(imported) :], imported]))
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


LONGEST_FUNCTION = 60  # lines: a function a reader takes in at once (issue 36)


def test_no_function_in_the_package_is_longer_than_a_screen():
    long = []
    for path in sorted((ROOT / "src" / "cnn_course").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > LONGEST_FUNCTION:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these functions:\n" + "\n".join(long)


def test_the_course_is_found_once_and_handed_to_every_command():
    """`cnn-course` builds one Course; the commands take it, never find it again themselves.
    And "the checks module of chapter N" is spelled in one place, Chapter.checks_module."""
    found_again, spelled = [], []
    for path in sorted((ROOT / "src" / "cnn_course").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(ROOT).as_posix()
        if "Course.at(" in text.replace("``Course.at()``", "") and relative != "src/cnn_course/cli.py":
            found_again.append(relative)
        if "checks.chapter{" in text and relative != "src/cnn_course/course/settings.py":
            spelled.append(relative)
    assert not found_again, f"these find the course again instead of taking the CLI's Course: {found_again}"
    assert not spelled, f"these spell the checks module's name instead of Chapter.checks_module: {spelled}"
