"""Cats and dogs photos, laid out as ``<root>/{train,validation,test}/{cat,dog}/``.

:func:`load_cats_vs_dogs` gets them the ordinary way and always returns the same layout:

- by default the filtered subset that TensorFlow's tutorials use (2,000 training and 1,000
  validation photos); it has no test split, so half of the validation photos of each class
  become the test split;
- with ``full=True`` the whole Kaggle/Microsoft set (about 25,000 photos, some of them
  corrupt or not really JPEG), split 80/10/10 per class;
- any local folder already in the layout (``source=...``); a Google Drive folder is first
  copied to local disk, because reading thousands of photos from Drive is slow;
- either archive as downloaded (``source="cats_and_dogs_filtered.zip"``), laid out exactly as
  the download would be, so a copy kept on Drive gives the same photos in the same splits;
- in smoke mode, a small generated stand-in, with one broken file to show the scan working.

Every photo is checked before training: unusable files are set aside (from a download) or
left out of a clean local copy (from your own folder, which is never changed), counted
and listed.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cnn_course import smoke
from cnn_course.data.downloads import DownloadPolicy, RemoteFile, default_cache_dir, fetch
from cnn_course.data.photo_folders import (
    IMAGE_SUFFIXES,
    ScanReport,
    check_layout,
    copy_locally,
    find_unusable,
    photos_in,
    scan,
)
from cnn_course.data.splits import stratified_parts
from cnn_course.errors import CourseError
from cnn_course.locations import SPLITS, on_drive, work_folder

CLASS_NAMES = ("cat", "dog")
# Neither archive has a published SHA-256: the sizes below are the ones the hosts serve (as
# TensorFlow's tutorials and many logs show), every zip member is CRC-checked on extraction,
# and the hash of the first download is recorded and checked on every later use.
FILTERED_ARCHIVE = RemoteFile(
    name="cats_and_dogs_filtered.zip",
    sha256=None,
    size=68_606_236,
    urls=("https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip",),
    description="the filtered cats-and-dogs subset (65 MiB)",
)
FULL_ARCHIVE = RemoteFile(
    name="kagglecatsanddogs_5340.zip",
    sha256=None,
    size=824_887_076,
    urls=(
        "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip",
    ),
    description="the full Kaggle/Microsoft cats-and-dogs set (787 MiB)",
)
READY_MARKER = ".prepared"


class PhotoSetError(CourseError):
    """The photos could not be prepared; the message says why and what to do."""


@dataclass
class PhotoSet:
    """Where the photos are, how many there are, and what was left out."""

    root: Path
    counts: pd.DataFrame
    class_names: tuple[str, ...]
    report: ScanReport

    def folder(self, split: str) -> Path:
        return self.root / split


def _carve(
    files_by_class: dict[str, list[Path]], fractions: dict[str, float], seed: int
) -> dict[str, dict[str, list[Path]]]:
    """split -> class -> files: every class split by the same fractions, the same way for the same seed."""
    files = [(name, path) for name, paths in files_by_class.items() for path in paths]
    parts = stratified_parts([name for name, _ in files], fractions, seed)
    return {
        split: {name: [path for label, path in (files[i] for i in index) if label == name] for name in files_by_class}
        for split, index in parts.items()
    }


def _place(files: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.move(str(path), folder / path.name)


def _extract(archive: Path, into: Path) -> None:
    """Unzip with every member's CRC checked (zipfile refuses paths that leave ``into``)."""
    try:
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(into)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise PhotoSetError(
            f"{archive} is damaged ({error}). Delete it and run again to download a fresh copy."
        ) from None


def _layout_filtered(extracted: Path, root: Path, seed: int) -> None:
    base = extracted / "cats_and_dogs_filtered"
    if not base.is_dir():
        raise PhotoSetError(f"{extracted} does not hold cats_and_dogs_filtered/: not the expected archive")
    for name in CLASS_NAMES:
        _place(photos_in(base / "train" / f"{name}s"), root / "train" / name)
    validation = {name: photos_in(base / "validation" / f"{name}s") for name in CLASS_NAMES}
    for split, by_class in _carve(validation, {"validation": 0.5, "test": 0.5}, seed).items():
        for name, files in by_class.items():
            _place(files, root / split / name)


def _layout_full(extracted: Path, root: Path, seed: int) -> ScanReport:
    base = extracted / "PetImages"
    if not base.is_dir():
        raise PhotoSetError(f"{extracted} does not hold PetImages/: not the expected archive")
    report = scan(base, root.parent / f"{root.name}_rejected")
    photos = {name: photos_in(base / name.capitalize()) for name in CLASS_NAMES}
    for split, by_class in _carve(photos, {"train": 0.8, "validation": 0.1, "test": 0.1}, seed).items():
        for name, files in by_class.items():
            _place(files, root / split / name)
    return report


def _write_report(root: Path, report: ScanReport) -> None:
    lines = [f"{report.checked}"] + [f"{path}\t{why}" for path, why in report.rejected]
    (root / READY_MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _read_report(root: Path) -> ScanReport:
    first, *rest = (root / READY_MARKER).read_text(encoding="utf-8").splitlines()
    return ScanReport(int(first), [tuple(line.split("\t", 1)) for line in rest if line])


def _unpack(archive: Path, root: Path, full: bool, seed: int, log) -> ScanReport:
    """Lay ``archive`` out as ``root/{train,validation,test}/{cat,dog}/``, checked and recorded."""
    shutil.rmtree(root, ignore_errors=True)
    extracted = root.with_name(root.name + "_extracting")
    shutil.rmtree(extracted, ignore_errors=True)
    log(f"unpacking {archive.name} …")
    _extract(archive, extracted)
    if full:
        log("checking every photo (the full set has corrupt files) …")
        report = _layout_full(extracted, root, seed)
    else:
        _layout_filtered(extracted, root, seed)
        report = scan(root)  # the filtered subset is clean; checked anyway, as a copy could be damaged
    shutil.rmtree(extracted, ignore_errors=True)
    _write_report(root, report)
    return report


def _download(
    full: bool, cache_dir: Path | None, seed: int, policy: DownloadPolicy | None, log, remote: RemoteFile | None = None
) -> tuple[Path, ScanReport]:
    cache_dir = Path(cache_dir or default_cache_dir())
    root = cache_dir / ("cats_vs_dogs_full" if full else "cats_vs_dogs_filtered")
    if (root / READY_MARKER).is_file():
        return root, _read_report(root)
    archive = fetch(remote or (FULL_ARCHIVE if full else FILTERED_ARCHIVE), cache_dir, policy, log=log)
    return root, _unpack(archive, root, full, seed, log)


def _archive_kind(archive: Path) -> bool:
    """True for the full Kaggle/Microsoft archive, False for the filtered subset; else a readable error."""
    try:
        with zipfile.ZipFile(archive) as handle:
            tops = {name.split("/", 1)[0] for name in handle.namelist()}
    except (zipfile.BadZipFile, OSError) as error:
        raise PhotoSetError(f"{archive} is not a readable zip archive ({error}).") from None
    if "PetImages" in tops:
        return True
    if "cats_and_dogs_filtered" in tops:
        return False
    raise PhotoSetError(
        f"{archive} holds {', '.join(sorted(tops)) or 'nothing'}: expected cats_and_dogs_filtered/ (the filtered "
        "subset) or PetImages/ (the full Kaggle/Microsoft set)."
    )


def _from_archive(archive: Path, cache_dir: Path | None, seed: int, log) -> tuple[Path, ScanReport]:
    """A copy of either archive (downloaded by hand, or a mirror on Drive), laid out as a download would be.

    The archive itself is only read; the layout goes to the cache, once per archive and seed."""
    full = _archive_kind(archive)
    stat = archive.stat()
    root = Path(cache_dir or default_cache_dir()) / f"cats_vs_dogs_{archive.stem}_{stat.st_size}_seed{seed}"
    if (root / READY_MARKER).is_file():
        return root, _read_report(root)
    return root, _unpack(archive, root, full, seed, log)


def _clean_copy(source: Path, report: ScanReport, cache_dir: Path | None) -> Path:
    """A copy of ``source`` without the unusable files; the original folder is left as it is."""
    target = Path(cache_dir or default_cache_dir()) / f"{source.name}_usable"
    shutil.rmtree(target, ignore_errors=True)
    skipped = {relative for relative, _ in report.rejected}
    shutil.copytree(
        source,
        target,
        ignore=lambda folder, names: [n for n in names if str((Path(folder) / n).relative_to(source)) in skipped],
    )
    return target


def _refuse_emptied(source: Path, counts, report: ScanReport) -> None:
    """A split and class whose photos were all rejected: say so about the user's own folder."""
    for split in SPLITS:
        for name in CLASS_NAMES:
            prefix = f"{split}/{name}/"
            rejected = [
                (path, why)
                for path, why in report.rejected
                if path.replace("\\", "/").startswith(prefix) and Path(path).suffix.lower() in IMAGE_SUFFIXES
            ]
            if rejected and len(rejected) >= counts.loc[split, name]:
                reasons = "; ".join(f"{path}: {why}" for path, why in rejected[:5])
                raise PhotoSetError(
                    f"{source / split / name}: all {len(rejected)} photo(s) are unusable ({reasons}"
                    f"{' …' if len(rejected) > 5 else ''}). Add readable JPEG or PNG photos there."
                )


def _local(source: Path, cache_dir: Path | None, log) -> tuple[Path, ScanReport]:
    if on_drive(source):
        local = Path(cache_dir or default_cache_dir()) / "from_drive" / source.name
        log(f"copying {source} to local disk ({local}) once: reading photos from Drive is slow")
        source = copy_locally(source, local)
    counts = check_layout(source, SPLITS, CLASS_NAMES)
    report = find_unusable(source)
    _refuse_emptied(source, counts, report)
    if report.rejected:
        source = _clean_copy(source, report, cache_dir)
        log(f"training reads a copy without the unusable files: {source}")
    return source, report


def smoke_photos(root: Path, per_split: dict[str, int] | None = None, size: int = 64) -> Path:
    """A small generated stand-in: warm 'cats' with horizontal stripes, cool 'dogs' with
    vertical ones, and one file that is not really a JPEG. The same every time."""
    from PIL import Image

    per_split = per_split or {"train": 24, "validation": 8, "test": 8}
    rng = np.random.default_rng(0)
    for split, count in per_split.items():
        for label, name in enumerate(CLASS_NAMES):
            folder = Path(root) / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(count):
                colour = np.array([200, 120, 60]) if label == 0 else np.array([70, 110, 200])
                pixels = rng.normal(0, 30, (size, size, 3)) + colour + rng.normal(0, 25, 3)
                stripes = (np.arange(size) // 6) % 2 == 0
                if label == 0:
                    pixels[stripes, :, :] += 50
                else:
                    pixels[:, stripes, :] += 50
                image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
                image.save(folder / f"{name}.{split}.{index}.jpg", quality=90)
    (Path(root) / "train" / "cat" / "cat.not_really.jpg").write_text("<html>a web page saved as .jpg</html>")
    return Path(root)


def load_cats_vs_dogs(
    source: str | Path | None = None,
    full: bool = False,
    cache_dir: Path | None = None,
    seed: int = 0,
    policy: DownloadPolicy | None = None,
    log=print,
    archive: RemoteFile | None = None,
) -> PhotoSet:
    """The photos in ``train/``, ``validation/`` and ``test/`` folders, checked and counted.

    ``archive`` replaces the download's sources (another mirror; the tests' local server)."""
    if source is not None and smoke.is_grading():
        log(f"grading: the data source {source} is not read; every submission gets the same small stand-in photos")
        source = None
    if source is None and smoke.is_quick():
        # In the work folder, not the shared cache: a temporary folder while grading or testing.
        cache_dir = Path(cache_dir or work_folder() / "smoke-data")
        root = cache_dir / "cats_vs_dogs_smoke"
        shutil.rmtree(root, ignore_errors=True)
        root, report = _local(smoke_photos(root), cache_dir, log)
    elif source is None:
        root, report = _download(full, cache_dir, seed, policy, log, archive)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise PhotoSetError(
                f"{path} does not exist. Pass a folder with train/, validation/ and test/, "
                "each holding cat/ and dog/, or either archive as downloaded "
                "(or leave source=None to download the photos)."
            )
        if path.is_file():
            root, report = _from_archive(path, cache_dir, seed, log)
        else:
            root, report = _local(path, cache_dir, log)
    counts = check_layout(root, SPLITS, CLASS_NAMES)
    log(report.summary())
    return PhotoSet(root, counts, CLASS_NAMES, report)
