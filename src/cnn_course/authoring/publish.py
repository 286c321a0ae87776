"""``cnn-course publish DIR``: the student tree of a graded class, without answers or hidden tests.

A graded class keeps this repository (answers in ``solutions/``, hidden tests, reference
answers for ``solution()``) private, and pushes the tree written here to a public repository
the students open in Colab. The tree holds:

- ``notebooks/``: the release notebooks, their setup cells and badges pointing at the public
  repository (``public_repository`` and ``public_branch`` in ``[tool.cnn-course]``, or the
  command's ``--repository`` and ``--branch``);
- ``src/cnn_course/``: the helper package with its self-checks and hints but without the
  reference answers, so ``solution()`` says that solutions are turned off;
- ``models/`` (the trained-model switch downloads from there), ``README.md``, ``LICENSE``,
  ``Makefile`` and a ``pyproject.toml`` that names the public repository.

Not copied: ``solutions/``, ``tests/``, ``docs/`` and CI files. Publishing again replaces the
tree's files and keeps its ``.git``, so the instructor commits and pushes the update.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

from cnn_course.authoring.answers import ANSWERS_FOLDER
from cnn_course.authoring.build import badges_block, chapter_title, generate_release, release_text_form, stamp_readme
from cnn_course.authoring.course import CourseConfig, chapters, load_config
from cnn_course.authoring.source import notebook_text, read_source
from cnn_course.errors import CourseError

MARKER = ".cnn-course-published"
COPIED = ("README.md", "LICENSE", "Makefile", "environment-gpu.yml")
_SKIPPED_NAMES = ("__pycache__", ".pytest_cache", ".ipynb_checkpoints")


def public_config(root: Path, repository: str | None = None, branch: str | None = None) -> CourseConfig:
    """The course's settings with the public repository and branch in place of the private ones."""
    config = load_config(root)
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


def publish(root: Path, out: Path, repository: str | None = None, branch: str | None = None, log=print) -> list[Path]:
    """Write the student tree into ``out``; returns the files written."""
    root, out = Path(root), Path(out)
    config = public_config(root, repository, branch)
    _prepare(out, root)
    written: list[Path] = []

    def write(relative: str, text: str) -> None:
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)

    titles = []
    for chapter in chapters(root):
        log(f"releasing {chapter.name} for {config.repository}")
        _, solution = read_source(chapter, config)  # stamps the public address into the setup cell
        release = generate_release(chapter, solution)
        write(f"notebooks/{chapter.name}.ipynb", notebook_text(release))
        write(f"notebooks/{chapter.name}.py", release_text_form(release))
        titles.append((chapter, chapter_title(solution)))

    answers = (root / ANSWERS_FOLDER).resolve()
    package = root / "src" / "cnn_course"
    for path in sorted(package.rglob("*")):
        if not path.is_file() or any(part in _SKIPPED_NAMES for part in path.parts):
            continue
        if path.resolve().is_relative_to(answers):
            continue  # the reference answers stay with the instructor
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.append(target)
    for path in sorted((root / "models").glob("*")) if (root / "models").is_dir() else []:
        if path.is_file():
            (out / "models").mkdir(exist_ok=True)
            shutil.copyfile(path, out / "models" / path.name)
            written.append(out / "models" / path.name)

    for name in COPIED:
        if (root / name).is_file():
            text = (root / name).read_text(encoding="utf-8")
            write(name, stamp_readme(text, badges_block(titles, config)) if name == "README.md" else text)
    write("pyproject.toml", _public_pyproject((root / "pyproject.toml").read_text(encoding="utf-8"), config))
    write(
        MARKER,
        "Written by `cnn-course publish` from the instructor's private course repository.\n"
        "Do not edit here: change the course, then publish again.\n",
    )
    log(f"wrote {len(written)} files to {out}: commit them and push to {config.repository}")
    return written
