"""Finding the submissions in what an instructor downloads: a folder or a platform's zip.

One notebook per student (``alice.ipynb``), one folder per student
(``alice/01_convolution_maths.ipynb``), or file names that carry the student id, read with a
configurable pattern (``--id-pattern``). Everything that is not a notebook, or has no id, is
listed as a stray so it gets a row too.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cnn_course.errors import CourseError

# By default the whole file or folder name is the student id, e.g. alice.ipynb or alice/.
DEFAULT_ID_PATTERN = r"^(?P<student>[A-Za-z0-9][A-Za-z0-9_.@-]*)$"


@dataclass
class Submission:
    student_id: str
    path: Path
    name: str  # the file's path as handed in, for the CSV and messages


def clean_id(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", raw.strip()).strip("_.") or "unknown"


def collect(folder: Path, id_pattern: str = DEFAULT_ID_PATTERN) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Notebooks in ``folder`` with their student ids, and ``(name, why)`` for everything else.

    The id comes from the top-level folder a notebook sits in, or else from its file name
    without ``.ipynb``; ``id_pattern``'s group ``student`` picks it out of that name.
    """
    folder = Path(folder)
    pattern = re.compile(id_pattern)
    if "student" not in pattern.groupindex:
        raise CourseError(f"--id-pattern {id_pattern!r} needs a named group (?P<student>...) for the student id")
    found, strays = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in ("__MACOSX", ".ipynb_checkpoints") for part in relative.parts):
            continue
        if path.suffix != ".ipynb":
            strays.append((str(relative), "not a notebook (.ipynb)"))
            continue
        name = relative.parts[0] if len(relative.parts) > 1 else path.stem
        match = pattern.search(name)
        if not match or not match.group("student"):
            strays.append((str(relative), f"no student id in {name!r} (id pattern {id_pattern})"))
            continue
        found.append(Submission(clean_id(match.group("student")), path, str(relative)))
    return found, strays


def unpack(archive: Path, into: Path) -> Path:
    """Extract a zip of submissions, refusing members that would land outside ``into``."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (into / member.filename).resolve()
                if not target.is_relative_to(into.resolve()):
                    raise CourseError(
                        f"{archive}: member {member.filename!r} points outside the archive; not extracted"
                    )
            bundle.extractall(into)
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a readable zip file") from None
    return into
