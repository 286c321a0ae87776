"""``cnn-course publish DIR``: the student tree of a graded class, without answers or hidden tests.

A graded class keeps this repository (answers in ``solutions/``, hidden tests, reference
answers for ``solution()``) private, and pushes the tree written here to a public repository
the students open in Colab. The tree holds:

- ``notebooks/``: the release notebooks, their setup cells and badges pointing at the public
  repository (``public_repository`` and ``public_branch`` in ``[tool.cnn-course]``, or the
  command's ``--repository`` and ``--branch``);
- ``src/cnn_course/``: the helper package with its self-checks and hints but without the
  reference answers, so ``solution()`` says that solutions are turned off;
- ``models/`` (the trained-model switch downloads from there), ``docs/benchmarks.md`` (the
  measured times the chapters quote), ``LICENSE``, ``environment-gpu.yml`` and a
  ``pyproject.toml`` that names the public repository;
- the students' own ``README.md`` (the course, the chapters with their Colab badges, Colab,
  working locally, help; none of the instructor's tools), a ``Makefile`` whose one command
  opens the notebooks, and a ``.gitignore``.

Not copied: ``solutions/``, ``tests/``, the instructor's guides and CI files. The tree is a
git repository on the branch its badges name (``git init`` makes it one where it is not;
a clone on another branch is refused), and the command prints the lines that commit it and
push it to the public repository. Publishing again replaces the tree's files and keeps its
``.git``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from cnn_course.authoring.answers import ANSWERS_FOLDER
from cnn_course.authoring.readme import badges_block, stamp_readme
from cnn_course.authoring.release import release_chapter
from cnn_course.course.course import Course
from cnn_course.course.settings import CourseConfig
from cnn_course.errors import CourseError
from cnn_course.kernels.git import git

MARKER = ".cnn-course-published"
COPIED = ("LICENSE", "environment-gpu.yml", "docs/benchmarks.md")
# The course README's sections that speak to learners, in the students' README.
README_SECTIONS = ("The chapters", "In Colab", "Licence and data")

STUDENT_MAKEFILE = """\
# `make course` installs the course helper and JupyterLab into .venv/ and opens the notebooks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: course install

# Jupyter refuses to run as root without --allow-root (containers, some cloud machines).
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

course: install
\t$(BIN)/jupyter lab notebooks/ $(ROOT_FLAG)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
\t$(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -e . jupyterlab
\ttouch $@
"""

STUDENT_GITIGNORE = """\
# What installing and running the course writes here: never part of the course.
.venv/
__pycache__/
*.egg-info/
build/
dist/
.ipynb_checkpoints/
checkpoints/
results/
features/
runs/
data/
*.keras
"""

STUDENT_LOCAL = """\
## On your own machine

With Python 3.11 or newer and `make` (Linux or macOS), from a clone of this repository:

```bash
make course    # installs the course helper and JupyterLab into .venv/, then opens the notebooks
```

Without `make`: `python3 -m venv .venv`, then `.venv/bin/pip install -e . jupyterlab` and
`.venv/bin/jupyter lab notebooks/`. For an NVIDIA GPU, create the conda environment in
`environment-gpu.yml` instead.

## Help

Every exercise ends with a self-check: run it, and it says "Correct" or what is still wrong.
`ex.NAME.hint()` gives the hints one at a time, from a nudge to the method. Measured run
times are in [docs/benchmarks.md](docs/benchmarks.md). For anything else, ask your
instructor.
"""
_SKIPPED_NAMES = ("__pycache__", ".pytest_cache", ".ipynb_checkpoints")


def public_config(course: Course, repository: str | None = None, branch: str | None = None) -> CourseConfig:
    """The course's settings with the public repository and branch in place of the private ones."""
    config = course.config
    repository = repository or config.public_repository
    if not repository:
        raise CourseError(
            "publish needs the public repository the students will open: set public_repository "
            "(and public_branch) in [tool.cnn-course] of pyproject.toml, or pass --repository URL"
        )
    public = replace(config, repository=repository.rstrip("/"), branch=branch or config.public_branch)
    public.github_path  # noqa: B018 - refuses an address that is not on GitHub, before anything is written
    return public


def _prepare(out: Path, root: Path) -> None:
    if out.resolve() == root.resolve() or out.resolve().is_relative_to(root.resolve()):
        raise CourseError(
            f"{out} is inside the course folder: publish into a separate folder (a clone of the public repository)"
        )
    if out.exists() and any(p.name != ".git" for p in out.iterdir()) and not (out / MARKER).exists():
        raise CourseError(
            f"{out} already holds files that cnn-course publish did not write; "
            "pass an empty folder or a clone of the public repository made by publish"
        )
    out.mkdir(parents=True, exist_ok=True)
    for entry in out.iterdir():  # a previous publish: replace everything but the git history
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _public_pyproject(text: str, config: CourseConfig) -> str:
    private = re.search(r'^repository = "(.*)"$', text, flags=re.M)
    if private:  # the package's URLs (homepage, issues) name the public repository too
        text = text.replace(private.group(1).rstrip("/"), config.repository)
    text = re.sub(r'^repository = ".*"$', f'repository = "{config.repository}"', text, flags=re.M)
    text = re.sub(r'^branch = ".*"$', f'branch = "{config.branch}"', text, flags=re.M)
    text = re.sub(r"^# A graded class keeps this repository private.*\n(#.*\n)*?(?=# public_)", "", text, flags=re.M)
    return re.sub(r"^#? ?public_(repository|branch) = .*\n", "", text, flags=re.M)


# The sentences that offer solution(), and what a graded class's texts say instead.
SOLUTION_SENTENCES = (
    (
        re.compile(r"\(`check\(\)`, hints from a nudge to the method,\s+and `solution\(\)`\)"),
        "(`check()` and hints from a nudge to the method; `solution()` is turned off in this class)",
    ),
    (
        re.compile(r"`ex\.NAME\.solution\(\)` shows a reference answer with why it works\."),
        "`ex.NAME.solution()` is turned off in this class, whose exercises are graded.",
    ),
    (
        re.compile(
            r"`\.solution\(\)` shows a reference answer with a short explanation\s+\(unless your instructor"
            r"\s+has turned solutions off for a graded class\)\."
        ),
        "`.solution()` is turned off in this class, whose exercises are graded.",
    ),
)


def pages_address(config: CourseConfig) -> str:
    """Where GitHub Pages serves a repository's site: ``https://owner.github.io/name/``."""
    owner, _, name = config.github_path.partition("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def for_the_class(text: str, own: CourseConfig, public: CourseConfig) -> str:
    """A text of the open course as a graded class reads it: links into the course's repository
    and its website lead to the students' repository and site, and solution() is said to be off."""
    if own.repository == public.repository:
        return text
    text = text.replace(pages_address(own), pages_address(public))
    text = text.replace(f"{own.repository}/blob/{own.branch}/", f"{public.repository}/blob/{public.branch}/")
    for offer, graded in SOLUTION_SENTENCES:
        text = offer.sub(graded, text)
    return text


def for_the_class_notebook(notebook, own: CourseConfig, public: CourseConfig) -> None:
    """:func:`for_the_class` on every text cell of a released notebook, in place."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = for_the_class(cell.source, own, public)


def student_readme(course_readme: str, badges: str) -> str:
    """The students' README: the course README's opening and its sections for learners (the
    chapters with the public badges, Colab, the licence), then working locally and help."""
    opening, *rest = re.split(r"^## ", course_readme, flags=re.M)
    sections = {part.split("\n", 1)[0].strip(): "## " + part for part in rest}
    missing = [title for title in README_SECTIONS if title not in sections]
    if missing:
        raise CourseError(f"README.md has no section(s) {missing} for the students' README")
    chosen = [sections[title].rstrip() + "\n" for title in README_SECTIONS[:-1]]
    text = "\n".join([opening.rstrip() + "\n", *chosen, STUDENT_LOCAL, sections[README_SECTIONS[-1]].rstrip() + "\n"])
    return stamp_readme(text, badges)


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess:
    result = git(folder, *args)
    if result is None:
        raise CourseError("publish needs git to make the student tree a repository: install git")
    return result


def _check_branch(out: Path, branch: str) -> None:
    """A clone of the public repository must be on the branch the badges and setup cells name."""
    if not (out / ".git").exists():
        return
    current = _git(out, "symbolic-ref", "--short", "HEAD").stdout.strip()
    if current and current != branch:
        raise CourseError(
            f"{out} is on branch {current!r}, but the badges and setup cells will name {branch!r}: "
            f"switch the clone with `git -C {out} checkout -B {branch}`, or publish for that branch with "
            f"--branch {current}"
        )


def _init_repository(out: Path, branch: str) -> None:
    if (out / ".git").exists():
        return
    made = _git(out, "init", "--quiet", f"--initial-branch={branch}")
    if made.returncode != 0:
        raise CourseError(f"git init in {out} failed: {made.stderr.strip()}")


def push_instructions(out: Path, config: CourseConfig) -> str:
    """The exact commands that commit the tree and push it to the public repository."""
    has_origin = (out / ".git").exists() and _git(out, "remote", "get-url", "origin").returncode == 0
    lines = [f"cd {out}", "git add -A", 'git commit -m "Student release"']
    if not has_origin:
        lines.append(f"git remote add origin {config.repository}.git")
    lines.append(f"git push -u origin {config.branch}")
    return "\n".join(lines)


def _copy_package_and_models(root: Path, out: Path) -> list[Path]:
    """The helper package without the reference answers (they stay with the instructor), and the
    trained models; returns the files copied."""
    answers = (root / ANSWERS_FOLDER).resolve()
    package = [
        path
        for path in sorted((root / "src" / "cnn_course").rglob("*"))
        if path.is_file()
        and not any(part in _SKIPPED_NAMES for part in path.parts)
        and not path.resolve().is_relative_to(answers)
    ]
    models = [path for path in sorted((root / "models").glob("*")) if path.is_file()]
    copied = []
    for path in package + models:
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        copied.append(target)
    return copied


def publish(
    course: Course, out: Path, repository: str | None = None, branch: str | None = None, log=print
) -> list[Path]:
    """Write the student tree into ``out``; returns the files written."""
    root, out = course.root, Path(out)
    config = public_config(course, repository, branch)
    _check_branch(out, config.branch)
    _prepare(out, root)
    _init_repository(out, config.branch)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)

    titles = []
    public = course.with_repository(config)  # stamps the public address into the setup cells
    for chapter in public.chapters:
        log(f"releasing {chapter.name} for {config.repository}")
        released = release_chapter(public, chapter)
        for_the_class_notebook(released.release, course.config, config)
        for path, text in released.student_files().items():
            write(path, text)
        titles.append((chapter, released.title))

    written += _copy_package_and_models(root, out)

    for name in COPIED:
        if (root / name).is_file():
            write(name, (root / name).read_text(encoding="utf-8"))
    readme = student_readme((root / "README.md").read_text(encoding="utf-8"), badges_block(titles, config))
    write("README.md", for_the_class(readme, course.config, config))
    write("Makefile", STUDENT_MAKEFILE)
    write(".gitignore", STUDENT_GITIGNORE)
    write("pyproject.toml", _public_pyproject((root / "pyproject.toml").read_text(encoding="utf-8"), config))
    write(
        MARKER,
        "Written by `cnn-course publish` from the instructor's private course repository.\n"
        "Do not edit here: change the course, then publish again.\n",
    )
    log(f"wrote {len(written)} files to {out}, a git repository on branch {config.branch}.")
    log(
        f"Commit them and push to {config.repository}, a public repository you created (Colab opens notebooks "
        "only from public GitHub repositories):"
    )
    log(push_instructions(out, config))
    return written
