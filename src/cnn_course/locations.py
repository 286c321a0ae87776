"""Names of places, in one module: the dataset splits, where Colab mounts Google Drive, and
where chapters write the files they make."""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from cnn_course import smoke

DRIVE_MOUNT = Path("/content/drive")
DRIVE_ROOT = DRIVE_MOUNT / "MyDrive"
# The folders a photo dataset is split into, in the order they are used.
SPLITS = ("train", "validation", "test")


def on_drive(path: Path) -> bool:
    """Whether ``path`` lies on a mounted Google Drive (slow for many small files)."""
    return Path(path).resolve().is_relative_to(DRIVE_MOUNT.resolve())


WORK_VARIABLE = "CNN_COURSE_WORK"
_quick_work_folder: Path | None = None


def work_folder() -> Path:
    """Where chapters write what they make: checkpoints, saved models, features, results.

    - ``CNN_COURSE_WORK`` when it is set;
    - ``<Drive>/cnn-course`` when Google Drive is mounted, so a new Colab runtime finds them;
    - a fresh folder in the system's temporary directory during smoke runs and grading
      (nbgrader sets ``NBGRADER_EXECUTION``), one per process, so a graded notebook leaves no
      checkpoint or model file in the grading folders, under ``cnn-course grade`` and under
      plain nbgrader alike, and notebooks run side by side never share one; it is removed
      when the process ends (a smoke run of Chapter 4 leaves about 450 MB of models there);
    - else the notebook's own folder.
    """
    global _quick_work_folder
    if os.environ.get(WORK_VARIABLE):
        folder = Path(os.environ[WORK_VARIABLE]).expanduser()
    elif DRIVE_ROOT.is_dir():
        folder = DRIVE_ROOT / "cnn-course"
    elif smoke.is_quick():
        if _quick_work_folder is None or not _quick_work_folder.is_dir():
            _quick_work_folder = Path(tempfile.mkdtemp(prefix="cnn-course-work-"))
            # Nobody reads a smoke run's files after its kernel ends; left behind, the test suite
            # and CI filled the disk with them.
            atexit.register(shutil.rmtree, _quick_work_folder, ignore_errors=True)
        return _quick_work_folder
    else:
        return Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_work_on_drive(log=print) -> Path:
    """In Colab, mount Google Drive so the work folder is ``<Drive>/cnn-course``: checkpoints,
    finished models, features and results then outlive a recycled runtime. Elsewhere nothing
    is mounted: the notebook's own disk keeps them already. Returns the work folder."""
    if "google.colab" not in sys.modules:
        log(f"Not in Colab: nothing to mount; your work is kept in {work_folder().resolve()}.")
        return work_folder()
    if not DRIVE_ROOT.is_dir():
        # Only Colab has this module (imported by name, so no package claims to need it).
        drive = importlib.import_module("google.colab").drive
        drive.mount(str(DRIVE_MOUNT))  # Colab asks you to allow access
    folder = work_folder()
    log(
        f"Your work is kept on Google Drive in {folder}. After a disconnect, run this cell again and "
        "finished training is loaded, unfinished training resumes."
    )
    return folder
