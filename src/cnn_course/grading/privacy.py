"""Student data stays out of git: grading refuses to write grades or feedback where a commit
would pick them up.

An instructor grades from the course folder, and the guide later says ``git add -A``: a
``grades.csv`` or a feedback folder that git does not ignore would then be published with the
course. Grading writes only into folders outside any git work tree, or into paths that the
work tree's ``.gitignore`` covers, unless the instructor says otherwise
(``--allow-in-repository``).
"""

from __future__ import annotations

from pathlib import Path

from cnn_course.errors import CourseError
from cnn_course.kernels.git import git


def committable(path: Path) -> Path | None:
    """The git work tree that ``git add -A`` would add ``path`` to, or None: outside every work
    tree, or ignored there. ``path`` need not exist yet."""
    path = Path(path).resolve()
    folder = next((parent for parent in (path, *path.parents) if parent.is_dir()), None)
    if folder is None:
        return None
    top = git(folder, "rev-parse", "--show-toplevel")
    if top is None or top.returncode != 0:
        return None
    ignored = git(folder, "check-ignore", "--quiet", "--no-index", str(path))
    if ignored is not None and ignored.returncode == 0:
        return None
    return Path(top.stdout.strip())


def refuse_student_data_in_git(paths: dict[str, Path], allow: bool = False) -> None:
    """Raise :class:`CourseError` when one of ``paths`` (what -> where) would be committed."""
    if allow:
        return
    for what, path in paths.items():
        tree = committable(path)
        if tree is not None:
            raise CourseError(
                f"{what} {path} would land in the git repository {tree}, where a commit would publish "
                "students' grades: write it to a grading folder outside the repository (e.g. "
                "--out ~/grading/ch01/grades.csv), or add the path to .gitignore, or pass "
                "--allow-in-repository if this repository is private and meant to keep them"
            )
