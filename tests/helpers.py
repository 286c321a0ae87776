"""Helpers the tests share: the course root, a server on 127.0.0.1, a tiny course without
TensorFlow, and readers for a chapter's solutions and points. Nothing here touches the network."""

from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jupytext
import nbformat

from cnn_course.cells import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    SOLUTION_BEGIN,
    SOLUTION_END,
    grade_id,
    is_answer_cell,
    is_test_cell,
    nbgrader_meta,
)
from cnn_course.course.course import Course
from cnn_course.course.settings import find_root

ROOT = find_root(Path(__file__).parent)
COURSE = Course.at(ROOT)  # what the instructor's commands take


def solution_cells(name: str) -> dict[str, str]:
    """grade_id -> source of every solution cell in a chapter's source."""
    notebook = jupytext.read(ROOT / "solutions" / f"{name}.py")
    return {grade_id(cell): cell.source for cell in notebook.cells if is_answer_cell(cell)}


def marked_lines(sources: list[Path], begin: str, end: str) -> set[str]:
    """The distinctive lines between ``begin`` and ``end`` markers in ``sources``: long enough
    to mean something (not ``else:`` or ``)``), not comments, and not lines the region's own
    scaffold (``#: ...``) hands out word for word."""
    lines: set[str] = set()
    for source in sources:
        inside, region, scaffold = False, set(), set()
        for line in source.read_text(encoding="utf-8").splitlines():
            if begin in line:
                inside, region, scaffold = True, set(), set()
            elif end in line:
                inside = False
                lines |= region - scaffold
            elif inside and line.strip().startswith("#:"):
                scaffold.add(line.strip()[2:].strip())
            elif inside and len(line.strip()) >= 12 and not line.strip().startswith("#"):
                region.add(line.strip())
    return lines


def hidden_test_lines(name: str | None = None, root: Path = ROOT) -> set[str]:
    """Lines of the hidden tests of one chapter (default: of every chapter)."""
    sources = [root / "solutions" / f"{name}.py"] if name else sorted((root / "solutions").glob("*.py"))
    return marked_lines(sources, HIDDEN_BEGIN, HIDDEN_END)


def solution_lines(root: Path = ROOT) -> set[str]:
    """Lines of the reference answers of every chapter."""
    return marked_lines(sorted((root / "solutions").glob("*.py")), SOLUTION_BEGIN, SOLUTION_END)


def points_of(name: str) -> dict[str, float]:
    """grade_id -> points of every graded test cell in a chapter's source."""
    notebook = jupytext.read(ROOT / "solutions" / f"{name}.py")
    return {grade_id(cell): nbgrader_meta(cell)["points"] for cell in notebook.cells if is_test_cell(cell)}


@contextlib.contextmanager
def serve(files: dict[str, bytes]):
    """A web server on 127.0.0.1 for the duration of a ``with``: path -> body, else 404.
    Yields the base address, e.g. ``http://127.0.0.1:40123``."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = files.get(self.path)
            if body is None:
                self.send_error(404, "Not Found")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Handler) as address:
        yield address


@contextlib.contextmanager
def serving(handler):
    """Any request handler on 127.0.0.1 for the duration of a ``with``; yields the base address."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def release_notebook(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)


# --- a tiny course without TensorFlow, for build and grading tests ----------------------

MINI_PYPROJECT = """[project]
name = "mini"

[tool.cnn-course]
repository = "https://github.com/example/mini-course"
branch = "trunk"
"""

MINI_README = "# Mini course\n\n<!-- colab-badges:begin -->\nold badges\n<!-- colab-badges:end -->\n"

SETUP = """# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
COURSE_REPOSITORY = "https://github.com/someone/else"
COURSE_BRANCH = "old"
"""

SOLUTION = """# %% nbgrader={"grade": false, "grade_id": "double", "locked": false, "schema_version": 3, "solution": true, "task": false}
def double(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
"""

TESTS = """# %% nbgrader={"grade": true, "grade_id": "double_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert double(2) == 4
### BEGIN HIDDEN TESTS
assert double(-3) == -6
### END HIDDEN TESTS
"""

SQUARE = """# %% nbgrader={"grade": false, "grade_id": "square", "locked": false, "schema_version": 3, "solution": true, "task": false}
def square(x):
    ### BEGIN SOLUTION
    return x * x
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "square_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert square(3) == 9
### BEGIN HIDDEN TESTS
assert square(-4) == 16
### END HIDDEN TESTS
"""

TRIPLE = """# %% nbgrader={"grade": false, "grade_id": "triple", "locked": false, "schema_version": 3, "solution": true, "task": false}
def triple(x):
    ### BEGIN SOLUTION
    return 3 * x
    ### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "triple_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert triple(2) == 6
"""


def mini_course(folder: Path, *cells: str, name: str = "01_doubling", title: str = "Chapter 1: Doubling") -> Path:
    """A course folder with one chapter made of ``cells`` (default: setup, one exercise, its tests)."""
    (folder / "solutions").mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(MINI_PYPROJECT)
    (folder / "README.md").write_text(MINI_README)
    body = f"# %% [markdown]\n# # {title}\n\n" + "\n".join(cells or (SETUP, SOLUTION, TESTS))
    (folder / "solutions" / f"{name}.py").write_text(body)
    return folder


def answered(course: Path, chapter: str = "01_doubling", **answers: str) -> dict:
    """A mini course's release with the given cells' sources replaced (default: correct answers)."""
    import json

    notebook = json.loads((course / "notebooks" / f"{chapter}.ipynb").read_text())
    defaults = {
        "double": "def double(x):\n    return 2 * x\n",
        "square": "def square(x):\n    return x * x\n",
        "triple": "def triple(x):\n    return 3 * x\n",
    }
    for cell in notebook["cells"]:
        cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        name = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if name in answers:
            cell["source"] = answers[name]
        elif name in defaults:
            cell["source"] = defaults[name]
    return notebook


def checks_of(chapter: str):
    """The checks module of a chapter, by number (``"02"``) or name (``"02_cifar10_cnn"``)."""
    return COURSE.chapter(chapter[:2]).checks()
