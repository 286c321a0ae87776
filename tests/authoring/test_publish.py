"""cnn-course publish: a graded class's public student tree holds no answer and no hidden test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course.authoring.publish import MARKER, publish
from cnn_course.checks import chapter01
from cnn_course.checks.core import SOLUTIONS_OFF, Solution
from cnn_course.cli import main
from cnn_course.errors import CourseError
from tests.helpers import ROOT, hidden_test_lines, solution_lines

PUBLIC = "https://github.com/a-school/cnn-students"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("public") / "students"
    (out / ".git").mkdir(parents=True)  # a clone of the public repository: its history stays
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    assert main(["--root", str(ROOT), "publish", str(out), "--repository", PUBLIC, "--branch", "spring"]) == 0
    return out


def text_files(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue  # model weights


def secret_lines(tree: Path) -> set[str]:
    """Lines of answers and hidden tests that would give something away: not imports, and not
    code that is public anyway (in the handed-out notebooks, or a helper idiom of the package
    outside its self-checks, such as ``for layer in model.layers:``)."""
    public = "\n".join(text for path, text in text_files(tree / "notebooks"))
    helpers = "\n".join(
        text for path, text in text_files(tree / "src") if "checks" not in path.relative_to(tree / "src").parts
    )
    return {
        line
        for line in hidden_test_lines() | solution_lines()
        if len(line) >= 20
        and not line.startswith(("import ", "from "))
        and json.dumps(line)[1:-1] not in public
        and line not in helpers
    }


def test_no_answer_and_no_hidden_test_reaches_the_student_tree(tree):
    secrets = secret_lines(tree)
    assert len(secrets) > 100, "the leak test needs lines to look for"
    leaks = {}
    for path, text in text_files(tree):
        # Notebook JSON escapes quotes and backslashes: look for the lines as they are stored there too.
        found = [line for line in secrets if line in text or json.dumps(line)[1:-1] in text]
        if found:
            leaks[str(path.relative_to(tree))] = found[:3]
    assert not leaks, f"answers or hidden tests in the published tree: {leaks}"


def test_the_tree_has_what_students_need_and_nothing_else(tree):
    top = {path.name for path in tree.iterdir()}
    assert {"notebooks", "src", "models", "README.md", "LICENSE", "pyproject.toml", MARKER, ".git"} <= top
    assert not {"solutions", "tests", "docs", ".ci"} & top
    assert not (tree / "src" / "cnn_course" / "checks" / "answers").exists()
    assert (tree / "src" / "cnn_course" / "checks" / "chapter01.py").is_file(), "self-checks and hints stay"
    assert (tree / ".git" / "HEAD").is_file()
    assert sorted(p.name for p in (tree / "models").iterdir()) == sorted(p.name for p in (ROOT / "models").iterdir())


def test_setup_cells_badges_and_settings_name_the_public_repository(tree):
    notebook = (tree / "notebooks" / "01_convolution_maths.ipynb").read_text(encoding="utf-8")
    assert f'COURSE_REPOSITORY = \\"{PUBLIC}\\"' in notebook and 'COURSE_BRANCH = \\"spring\\"' in notebook
    readme = (tree / "README.md").read_text(encoding="utf-8")
    assert "colab.research.google.com/github/a-school/cnn-students/blob/spring/notebooks/" in readme
    pyproject = (tree / "pyproject.toml").read_text(encoding="utf-8")
    assert f'repository = "{PUBLIC}"' in pyproject and "public_repository" not in pyproject
    assert "cnn-course/cnn-course" not in pyproject, "the package's URLs name the public repository"


def test_solution_says_that_solutions_are_off_in_the_student_tree(tree):
    code = "from cnn_course.checks import chapter01 as ex; print(ex.relu.solution_text())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        cwd=tree,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert SOLUTIONS_OFF in result.stdout


def test_solution_shows_the_reference_answer_in_the_open_course():
    answer = chapter01.relu.solution_text()
    assert isinstance(answer, Solution) and "def relu(" in answer.code and "### BEGIN" not in answer.code
    assert "def relu(" in answer._repr_html_()


def test_publishing_again_replaces_the_files(tree):
    (tree / "notebooks" / "stale.ipynb").write_text("{}")
    publish(ROOT, tree, repository=PUBLIC, log=lambda *_: None)
    assert not (tree / "notebooks" / "stale.ipynb").exists() and (tree / ".git" / "HEAD").is_file()


def test_publish_refuses_a_folder_it_did_not_write_and_the_course_itself(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(CourseError, match="did not write"):
        publish(ROOT, tmp_path / "mine", repository=PUBLIC, log=lambda *_: None)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    with pytest.raises(CourseError, match="inside the course folder"):
        publish(ROOT, ROOT / "public", repository=PUBLIC, log=lambda *_: None)


def test_publish_without_a_public_address_says_where_to_set_it(tmp_path, capsys):
    assert main(["--root", str(ROOT), "publish", str(tmp_path / "out")]) == 2
    assert "public_repository" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
