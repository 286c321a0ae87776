"""Finding the submissions in what an instructor downloads: a folder or a platform's zip.

One notebook per student (``alice.ipynb``), one folder per student
(``alice/01_convolution_maths.ipynb``), or file and folder names that carry the student id,
read with a pattern (``--id-pattern``): a regular expression, or the name of a learning
platform's download format (:data:`ID_PATTERNS`). A pattern's group ``student`` is the id;
an optional group ``late`` marks a late submission when it matched anything, and an optional
group ``upload`` orders a student's submissions (Canvas: the file id, which grows with each
upload). In a zip, a single wrapper folder around everything (``Submissions/alice.ipynb ...``)
is looked through, and each file keeps the time the zip records for it.
Everything that is not a notebook, or has no id, is a stray and still gets a row.
"""

from __future__ import annotations

import os
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cnn_course.errors import CourseError

# By default the whole file or folder name is the student id, e.g. alice.ipynb or alice/.
DEFAULT_ID_PATTERN = r"^(?P<student>[A-Za-z0-9][A-Za-z0-9_.@-]*)$"

# The download formats of the common learning platforms, by name (``--id-pattern canvas``).
ID_PATTERNS = {
    # Canvas, "Download Submissions": smithalice_12345_67890_01_convolution_maths.ipynb, or
    # smithalice_LATE_12345_67890_... when late. 12345 is the Canvas user id that the
    # gradebook import matches on; 67890 is the file's id, larger for a later upload. A file
    # uploaded twice under the same name comes back as ..._maths-1.ipynb.
    "canvas": r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<student>\d+)_(?P<upload>\d+)_",
    # Moodle, "Download all submissions": one folder per student, named
    # "Alice Smith_12345_assignsubmission_file_"; 12345 is the participant id that Moodle's
    # grading worksheet lists as "Participant 12345".
    "moodle": r"^(?P<name>.+)_(?P<student>\d+)_assignsubmission_(?:file|onlinetext)_?$",
}

_IGNORED = ("__MACOSX", ".ipynb_checkpoints")


@dataclass
class Submission:
    student_id: str
    path: Path
    name: str  # the file's path as handed in, for the CSV and messages
    late: bool = False
    upload: tuple[int, int] | None = None  # the platform's upload order (file id, copy number), where it has one
    modified: float = 0.0  # the file's time (in a zip, the time the zip records)


# "name-1.ipynb": the platform's copy number of a file uploaded again under the same name.
_COPY_NUMBER = re.compile(r"-(\d+)$")


@dataclass
class Stray:
    """Something handed in that cannot be graded automatically: it still gets a row."""

    student_id: str
    name: str
    why: str
    late: bool = False


def clean_id(raw: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", raw.strip()).strip("_.") or "unknown"


def id_pattern(text: str) -> re.Pattern:
    """A platform's name from :data:`ID_PATTERNS` or a regular expression with a group ``student``."""
    try:
        pattern = re.compile(ID_PATTERNS.get(text.lower(), text))
    except re.error as error:
        raise CourseError(f"--id-pattern {text!r} is not a regular expression: {error}") from None
    if "student" not in pattern.groupindex:
        raise CourseError(
            f"--id-pattern {text!r} needs a named group (?P<student>...) for the student id, "
            f"or one of the platforms: {', '.join(ID_PATTERNS)}"
        )
    return pattern


def _visible(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if not p.name.startswith(".") and p.name not in _IGNORED]


def unwrap(folder: Path) -> Path:
    """Look through single wrapper folders (``Submissions/`` around the class's files), as
    zips often have them. A lone folder that holds only one notebook is a student's folder."""
    while True:
        entries = _visible(folder)
        if len(entries) != 1 or not entries[0].is_dir():
            return folder
        inner = _visible(entries[0])
        if not any(p.is_dir() for p in inner) and sum(p.suffix == ".ipynb" for p in inner) <= 1:
            return folder
        folder = entries[0]


def collect(folder: Path, pattern_text: str = DEFAULT_ID_PATTERN) -> tuple[list[Submission], list[Stray]]:
    """Notebooks in ``folder`` with their student ids, and a :class:`Stray` for everything else.

    The id comes from the top-level folder a file sits in, or else from its file name
    without the extension; the pattern's group ``student`` picks it out of that name.
    """
    folder = Path(folder)
    pattern = id_pattern(pattern_text)
    found, strays = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") or part in _IGNORED for part in relative.parts):
            continue
        name = relative.parts[0] if len(relative.parts) > 1 else path.stem
        match = pattern.search(name)
        student = match.group("student") if match else None
        late = bool(match and "late" in pattern.groupindex and match.group("late"))
        if path.suffix != ".ipynb":
            # A stray inside a student's folder belongs to that student.
            strays.append(Stray(clean_id(student or name), str(relative), "not a notebook (.ipynb)", late))
        elif not student:
            strays.append(
                Stray(clean_id(name), str(relative), f"no student id in {name!r} (id pattern {pattern_text})")
            )
        else:
            upload = None
            if match and "upload" in pattern.groupindex and match.group("upload"):
                copy = _COPY_NUMBER.search(path.stem)
                upload = (int(match.group("upload")), int(copy.group(1)) if copy else 0)
            found.append(Submission(clean_id(student), path, str(relative), late, upload, path.stat().st_mtime))
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
            # extractall stamps every file with the time of extraction; a file's own time is
            # how a student's later upload is told from an earlier one.
            for member in bundle.infolist():
                if not member.is_dir():
                    stamp = time.mktime((*member.date_time, 0, 0, -1))
                    os.utime(into / member.filename, (stamp, stamp))
    except zipfile.BadZipFile:
        raise CourseError(f"{archive} is not a readable zip file") from None
    return into


def submissions_folder(submissions: Path, scratch: Path) -> Path:
    """The folder of notebooks to grade: ``submissions`` itself, or a zip unpacked into ``scratch``
    (a platform's wrapper folder removed)."""
    if submissions.is_file() and submissions.suffix.lower() == ".zip":
        return unwrap(unpack(submissions, scratch))
    if submissions.is_dir():
        return submissions
    raise CourseError(f"{submissions} is neither a folder nor a .zip of submissions")


def parse_due(text: str) -> float:
    """A deadline as given on the command line (local time, or with a zone) as a timestamp."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise CourseError(
            f"--due {text!r}: give the deadline as YYYY-MM-DD HH:MM in local time, or with its zone, "
            "e.g. '2026-12-01 23:59' or '2026-12-01T23:59+01:00'"
        ) from None


def mark_late(found: list[Submission], pattern_text: str, due: str | None, penalty: float, log) -> None:
    """With a deadline, a notebook saved after it is late (the time the zip or the folder records
    for the file). A penalty with nothing to say what is late is named, not silently ignored."""
    if due is not None:
        deadline = parse_due(due)
        late = [submission for submission in found if submission.modified > deadline]
        for submission in late:
            submission.late = True
        log(f"--due {due}: {len(late)} of {len(found)} notebook(s) were saved after it and count as late")
        return
    if penalty and "late" not in id_pattern(pattern_text).groupindex:
        log(
            f"warning: --late-penalty {penalty:g} applies to nothing: the file names of this download carry no "
            "late flag (Moodle's do not). Give the deadline with --due 'YYYY-MM-DD HH:MM' to count the files "
            "saved after it as late."
        )
