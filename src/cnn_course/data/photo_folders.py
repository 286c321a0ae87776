"""Folders of photos in the layout Keras reads: ``<root>/<split>/<class>/*.jpg``.

- :func:`check_layout` refuses, by name, a missing split, a missing class or an empty
  folder, and returns the number of photos per split and class;
- :func:`scan` finds the files that are not readable images (the full Kaggle/Microsoft
  set has some: empty files, broken JPEGs, other formats under a .jpg name), moves them
  aside, and lists them, so training never trips over one;
- :func:`copy_locally` copies a folder (from a mounted Google Drive, say) to local disk
  first, because reading thousands of small files from Drive is slow.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cnn_course.errors import CourseError
from cnn_course.locations import SPLITS

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"}
# What image_dataset_from_directory can decode; a readable photo in another format is rejected too.
DECODABLE_FORMATS = {"JPEG", "PNG", "BMP", "GIF"}


class LayoutError(CourseError):
    """The folder is not in the expected layout; the message names what is missing."""


@dataclass
class ScanReport:
    checked: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)

    def summary(self) -> str:
        if not self.rejected:
            return f"checked {self.checked:,} files: all are readable images"
        listed = "\n".join(f"  {path}: {why}" for path, why in self.rejected[:20])
        more = f"\n  … and {len(self.rejected) - 20} more" if len(self.rejected) > 20 else ""
        return (
            f"checked {self.checked:,} files, skipped {len(self.rejected)} that are not usable photos "
            f"(listed, not deleted):\n{listed}{more}"
        )


def photos_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _folders(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")}


def _class_folder_count(root: Path, split: str, name: str) -> int:
    """The photos directly in one class folder; photos in a subfolder of it are refused by name."""
    folder = root / split / name
    nested = sorted(
        str(path.relative_to(root))
        for path in folder.iterdir()
        if path.is_dir()
        and not path.name.startswith(".")
        and any(file.suffix.lower() in IMAGE_SUFFIXES for file in path.rglob("*"))
    )
    if nested:
        raise LayoutError(
            f"{folder} has photos in subfolder(s) {nested}: Keras reads those too, while the counts and checks "
            f"see only the photos directly in the class folder. Move the photos up into {folder} (or out of "
            "the dataset)."
        )
    number = len(photos_in(folder))
    if number == 0:
        raise LayoutError(f"{folder} is empty: it needs photos ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return number


def _split_counts(root: Path, split: str, classes: tuple[str, ...]) -> dict[str, int]:
    present = _folders(root / split)
    missing = [name for name in classes if name not in present]
    if missing:
        raise LayoutError(f"{root / split} lacks the class folder(s) {missing}; every split needs {list(classes)}")
    extra = sorted(present - set(classes))
    if extra:
        raise LayoutError(
            f"{root / split} has folder(s) {extra} besides the classes {list(classes)}: Keras would read each "
            "folder as one more class. Move them out of the dataset folder."
        )
    return {name: _class_folder_count(root, split, name) for name in classes}


def check_layout(root: Path, splits: tuple[str, ...] = SPLITS, classes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Photos per split (rows) and class (columns); :class:`LayoutError` names what is wrong."""
    root = Path(root)
    if not root.is_dir():
        raise LayoutError(f"{root} is not a folder. Expected {root}/<split>/<class>/ with splits {list(splits)}.")
    missing_splits = [split for split in splits if not (root / split).is_dir()]
    if missing_splits:
        raise LayoutError(
            f"{root} has no {', '.join(repr(s) for s in missing_splits)} folder. Expected one folder "
            f"per split {list(splits)}, each with one folder per class."
        )
    if classes is None:
        classes = tuple(sorted(_folders(root / splits[0])))
        if not classes:
            raise LayoutError(f"{root / splits[0]} has no class folders (such as cat/ and dog/)")
    counts = {split: _split_counts(root, split, classes) for split in splits}
    table = pd.DataFrame(counts).T.loc[list(splits), list(classes)]
    table["total"] = table.sum(axis=1)
    return table


def _problem(path: Path) -> str | None:
    """Why a file is not a usable photo, or None if it is one. A photo must open in Pillow
    and decode in TensorFlow, the decoder that training uses."""
    from PIL import Image, UnidentifiedImageError

    if path.stat().st_size == 0:
        return "empty file"
    try:
        with Image.open(path) as image:
            kind = image.format
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        return f"not a readable image ({type(error).__name__})"
    if kind not in DECODABLE_FORMATS:
        return f"a {kind} image under a {path.suffix} name, which TensorFlow cannot decode"
    import tensorflow as tf

    try:
        tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError) as error:
        return f"TensorFlow cannot decode it ({type(error).__name__})"
    return None


def find_unusable(root: Path) -> ScanReport:
    """Check every file under ``root`` and list the ones that are not usable photos (moves nothing)."""
    root = Path(root)
    report = ScanReport()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
        report.checked += 1
        why = _problem(path)
        if why is not None:
            report.rejected.append((str(path.relative_to(root)), why))
    return report


def scan(root: Path, quarantine: Path | None = None) -> ScanReport:
    """Check every photo under ``root``; move the unusable ones to ``quarantine``
    (default ``<root>/../<root name>_rejected``), keeping their relative paths."""
    root = Path(root)
    quarantine = Path(quarantine) if quarantine else root.parent / f"{root.name}_rejected"
    report = find_unusable(root)
    for relative, _ in report.rejected:
        target = quarantine / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root / relative), target)
    return report


def copy_locally(source: Path, destination: Path) -> Path:
    """Copy a photo folder to local disk once (later calls reuse the copy)."""
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise LayoutError(
            f"{source} is not a folder. In Colab, mount Google Drive first: "
            "from google.colab import drive; drive.mount('/content/drive')"
        )
    done = destination / ".copied"
    if done.exists():
        return destination
    shutil.copytree(source, destination, dirs_exist_ok=True)
    done.write_text(str(source), encoding="utf-8")
    return destination
