"""cnn-course publish: a graded class's public student tree holds no answer and no hidden test."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cnn_course.authoring.publish import MARKER, publish
from cnn_course.checks import chapter01
from cnn_course.checks.solutions import SOLUTIONS_OFF, Solution
from cnn_course.cli import main
from cnn_course.errors import CourseError
from tests.helpers import COURSE, ROOT, hidden_test_lines, solution_lines

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

PUBLIC = "https://github.com/a-school/cnn-students"


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("public") / "students"
    # A clone of the public repository, on the branch the release names: its history stays.
    subprocess.run(["git", "init", "--quiet", "--initial-branch=spring", str(out)], check=True)
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
    assert not {"solutions", "tests", ".ci"} & top
    assert [p.name for p in (tree / "docs").iterdir()] == ["benchmarks.md"], "no instructor guide"
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
    publish(COURSE, tree, repository=PUBLIC, branch="spring", log=lambda *_: None)
    assert not (tree / "notebooks" / "stale.ipynb").exists() and (tree / ".git" / "HEAD").is_file()


def test_publish_refuses_a_folder_it_did_not_write_and_the_course_itself(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(CourseError, match="did not write"):
        publish(COURSE, tmp_path / "mine", repository=PUBLIC, log=lambda *_: None)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"
    with pytest.raises(CourseError, match="inside the course folder"):
        publish(COURSE, ROOT / "public", repository=PUBLIC, log=lambda *_: None)


def test_publish_without_a_public_address_says_where_to_set_it(tmp_path, capsys):
    assert main(["--root", str(ROOT), "publish", str(tmp_path / "out")]) == 2
    assert "public_repository" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_students_readme_makefile_and_gitignore_are_theirs(tree):
    readme = (tree / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 100 and "## On your own machine" in readme and "## Help" in readme
    for instructor_word in ("make test", "solutions/", "instructor-guide", "cnn-course grade", "nbgrader autograde"):
        assert instructor_word not in readme, f"the students' README mentions {instructor_word!r}"
    makefile = (tree / "Makefile").read_text(encoding="utf-8")
    assert "course:" in makefile and "test:" not in makefile and "pytest" not in makefile
    ignored = (tree / ".gitignore").read_text(encoding="utf-8").split()
    assert {".venv/", "build/", "*.egg-info/", "checkpoints/"} <= set(ignored)


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_link_in_the_student_tree_leads_somewhere_in_it(tree):
    """Relative links, and links into the public repository or its Colab pages, must name a file
    of the tree; other sites cannot be checked offline."""
    own = [
        "https://github.com/a-school/cnn-students/blob/spring/",
        "https://colab.research.google.com/github/a-school/cnn-students/blob/spring/",
    ]
    checked, broken = 0, []
    for path, text in text_files(tree):
        if path.suffix not in (".md", ".ipynb"):
            continue
        for target in LINK.findall(text.replace('\\"', '"')):
            target = target.split("#")[0]
            if not target or target.startswith(("mailto:",)):
                continue
            if target.startswith(tuple(own)):
                local = tree / target.split("/blob/spring/", 1)[1]
            elif "://" in target:
                continue
            else:
                local = (path.parent / target).resolve()
            checked += 1
            if not local.exists():
                broken.append(f"{path.relative_to(tree)} -> {target}")
    assert checked >= 10, "the check found links to follow"
    assert not broken, f"broken links in the student tree: {broken}"


def test_the_published_tree_pushes_to_its_repository_on_the_branch_the_badges_name(tmp_path, capsys):
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    out = tmp_path / "students"
    assert main(["--root", str(ROOT), "publish", str(out), "--repository", PUBLIC]) == 0
    printed = capsys.readouterr().out
    commands = printed[printed.index(f"cd {out}") :].strip().splitlines()
    assert commands[-2:] == [f"git remote add origin {PUBLIC}.git", "git push -u origin main"]
    identity = ["-c", "user.name=Instructor", "-c", "user.email=instructor@example.org"]
    for command in commands[1:]:  # as printed, with the local bare repository for GitHub's address
        words = shlex.split(command.replace(f"{PUBLIC}.git", str(bare)))
        subprocess.run(["git", *identity, *words[1:]], cwd=out, check=True, capture_output=True)
    branches = subprocess.run(["git", "--git-dir", str(bare), "branch"], capture_output=True, text=True).stdout
    assert branches.split() == ["main"], "the branch the badges and setup cells name"
    notebook = subprocess.run(
        ["git", "--git-dir", str(bare), "show", "main:notebooks/01_convolution_maths.ipynb"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f'COURSE_REPOSITORY = \\"{PUBLIC}\\"' in notebook and 'COURSE_BRANCH = \\"main\\"' in notebook


def test_a_clone_on_another_branch_than_the_badges_name_is_refused(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "--quiet", "--initial-branch=master", str(clone)], check=True)
    with pytest.raises(CourseError, match=r"on branch 'master'.*checkout -B main"):
        publish(COURSE, clone, repository=PUBLIC, branch="main", log=lambda *_: None)
    assert [p.name for p in clone.iterdir()] == [".git"], "nothing was written"


def test_the_published_self_checks_hold_no_reference_implementation(tree):
    """A student reads the helper in the tree: Chapter 1's checks compare with stored results,
    and no tool that computes a convolution, a layer or a pooling in one line is there."""
    checks = (tree / "src" / "cnn_course" / "checks" / "chapter01.py").read_text(encoding="utf-8")
    for tool in ("correlate2d", "einsum", "block_reduce", "sliding_window_view", "def _convolve", "LENET5_EXPECTED"):
        assert tool not in checks, f"the published checks hold {tool}"
    assert (tree / "src" / "cnn_course" / "checks" / "expected" / "chapter01.json").is_file()


def test_no_link_of_the_student_tree_or_its_site_leads_to_the_open_course(tree, tmp_path):
    """The open course's repository holds solutions/ and switches solution() on: a graded class's
    tree and website must not lead there, and must not offer solution()."""
    from cnn_course.authoring.publish import pages_address, public_config
    from cnn_course.authoring.site.build import write_sources
    from cnn_course.course.course import Course

    course = Course.at(ROOT)
    own = [course.config.repository.removeprefix("https://"), pages_address(course.config).removeprefix("https://")]
    site = tmp_path / "site"
    site.mkdir()
    write_sources(course, public_config(COURSE, PUBLIC, "spring"), site)
    texts = [(path, text) for folder in (tree, site) for path, text in text_files(folder)]
    leading_home = [f"{path.name}: {address}" for path, text in texts for address in own if address in text]
    assert not leading_home, f"links to the open course: {leading_home}"
    offering = [path.name for path, text in texts if "solution()` shows" in text or "and `solution()`)" in text]
    assert not offering, f"texts that offer solution(): {offering}"
    assert f"{PUBLIC}/blob/spring/docs/benchmarks.md" in (tree / "notebooks" / "02_cifar10_cnn.ipynb").read_text()
    assert "solution()` is turned off in this class" in (site / "index.md").read_text()
