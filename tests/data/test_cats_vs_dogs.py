"""load_cats_vs_dogs: both archives from a server on 127.0.0.1, local folders, Drive, bad input."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from cnn_course import data, locations
from cnn_course.data import cats_vs_dogs
from cnn_course.data.downloads import DownloadError, DownloadPolicy
from cnn_course.data.photo_folders import LayoutError
from tests.helpers import serve


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 16), (seed * 37 % 256, 90, 140)).save(buffer, format="JPEG")
    return buffer.getvalue()


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def filtered_zip(train: int = 6, validation: int = 4) -> bytes:
    members = {"cats_and_dogs_filtered/vectorize.py": b"# not a photo"}
    for name in ("cat", "dog"):
        for split, count in (("train", train), ("validation", validation)):
            for index in range(count):
                members[f"cats_and_dogs_filtered/{split}/{name}s/{name}.{split}.{index}.jpg"] = jpeg(index)
    return zipped(members)


def full_zip(per_class: int = 10) -> bytes:
    members = {}
    for name in ("Cat", "Dog"):
        for index in range(per_class):
            members[f"PetImages/{name}/{index}.jpg"] = jpeg(index)
        members[f"PetImages/{name}/Thumbs.db"] = b"windows thumbnail cache"
    members["PetImages/Cat/666.jpg"] = b""  # the full set really has an empty Cat/666.jpg
    members["PetImages/Dog/11702.jpg"] = b"\xff\xd8\xff\xe0 cut off"
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="TIFF")
    members["PetImages/Dog/tiff.jpg"] = gif.getvalue()
    return zipped(members)


FILTERED, FULL = filtered_zip(), full_zip()


@pytest.fixture(autouse=True)
def full_mode(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def remote(base_file, url, body):
    return replace(base_file, urls=(url,), size=len(body))


def quiet(*_):
    pass


def test_the_filtered_subset_is_laid_out_with_a_test_split_carved_from_validation(tmp_path):
    with serve({"/filtered.zip": FILTERED}) as base:
        photo_set = data.load_cats_vs_dogs(
            cache_dir=tmp_path,
            log=quiet,
            archive=remote(cats_vs_dogs.FILTERED_ARCHIVE, f"{base}/filtered.zip", FILTERED),
        )
    assert photo_set.counts.loc["train", ["cat", "dog"]].tolist() == [6, 6]
    assert photo_set.counts.loc["validation", ["cat", "dog"]].tolist() == [2, 2]
    assert photo_set.counts.loc["test", ["cat", "dog"]].tolist() == [2, 2]
    assert photo_set.counts["total"].sum() == 20 and not photo_set.report.rejected
    test_names = {p.name for p in (photo_set.root / "test" / "cat").iterdir()}
    assert all(".validation." in name for name in test_names), "the test photos come from the validation split"
    recorded = tmp_path / "cats_and_dogs_filtered.zip.sha256"
    assert len(recorded.read_text().strip()) == 64, "the first download's hash is kept for later checks"
    # The server is gone: the prepared folder is reused as it is.
    again = data.load_cats_vs_dogs(cache_dir=tmp_path, log=quiet)
    assert again.root == photo_set.root and again.counts.equals(photo_set.counts)


def test_a_cached_archive_that_no_longer_matches_its_recorded_hash_is_downloaded_again(tmp_path):
    archive = remote(cats_vs_dogs.FILTERED_ARCHIVE, "unused", FILTERED)
    with serve({"/filtered.zip": FILTERED}) as base:
        archive = replace(archive, urls=(f"{base}/filtered.zip",))
        data.load_cats_vs_dogs(cache_dir=tmp_path, log=quiet, archive=archive)
        cached = tmp_path / "cats_and_dogs_filtered.zip"
        damaged = bytearray(cached.read_bytes())
        damaged[100] ^= 0xFF  # same size, different bytes
        cached.write_bytes(bytes(damaged))
        (tmp_path / "cats_vs_dogs_filtered" / cats_vs_dogs.READY_MARKER).unlink()
        messages = []
        data.load_cats_vs_dogs(cache_dir=tmp_path, log=messages.append, archive=archive)
    assert any("corrupted" in message for message in messages)
    assert cached.read_bytes() == FILTERED


def test_a_download_of_the_wrong_size_is_refused_with_how_to_place_it_by_hand(tmp_path):
    with serve({"/filtered.zip": FILTERED[:-10]}) as base:
        wrong = replace(cats_vs_dogs.FILTERED_ARCHIVE, urls=(f"{base}/filtered.zip",), size=len(FILTERED))
        with pytest.raises(DownloadError) as error:
            data.load_cats_vs_dogs(cache_dir=tmp_path, log=quiet, archive=wrong, policy=DownloadPolicy(timeout=5))
    assert "size mismatch" in str(error.value) and "To place it by hand" in str(error.value)
    assert not (tmp_path / "cats_and_dogs_filtered.zip").exists()


def test_the_full_set_sets_aside_lists_and_counts_the_unusable_files(tmp_path):
    import keras

    with serve({"/full.zip": FULL}) as base:
        photo_set = data.load_cats_vs_dogs(
            full=True,
            cache_dir=tmp_path,
            log=quiet,
            archive=remote(cats_vs_dogs.FULL_ARCHIVE, f"{base}/full.zip", FULL),
        )
    rejected = dict(photo_set.report.rejected)
    assert set(rejected) == {"Cat/666.jpg", "Cat/Thumbs.db", "Dog/11702.jpg", "Dog/Thumbs.db", "Dog/tiff.jpg"}
    assert rejected["Cat/666.jpg"] == "empty file"
    assert (tmp_path / "cats_vs_dogs_full_rejected" / "Dog" / "11702.jpg").exists(), "set aside, not deleted"
    assert photo_set.counts.loc[["train", "validation", "test"], "cat"].tolist() == [8, 1, 1]
    assert "skipped 5" in photo_set.report.summary()
    # Every photo left is one TensorFlow decodes: a whole pass over the training split works.
    dataset = keras.utils.image_dataset_from_directory(photo_set.folder("train"), image_size=(32, 32), verbose=False)
    assert sum(int(images.shape[0]) for images, _ in dataset) == 16


def test_a_damaged_archive_is_refused_with_what_to_do(tmp_path):
    broken = zipped({"cats_and_dogs_filtered/train/cats/a.jpg": jpeg(1)})
    broken = broken.replace(jpeg(1)[200:240], bytes(40))  # same size, a member's CRC no longer matches
    with serve({"/filtered.zip": broken}) as base, pytest.raises(cats_vs_dogs.PhotoSetError, match="is damaged"):
        data.load_cats_vs_dogs(
            cache_dir=tmp_path,
            log=quiet,
            archive=remote(cats_vs_dogs.FILTERED_ARCHIVE, f"{base}/filtered.zip", broken),
        )


def make_local(root: Path, per_class: int = 3) -> Path:
    for split in ("train", "validation", "test"):
        for name in ("cat", "dog"):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(per_class):
                (folder / f"{index}.jpg").write_bytes(jpeg(index))
    return root


def test_a_local_folder_is_used_as_it_is_when_every_photo_is_fine(tmp_path):
    root = make_local(tmp_path / "mine")
    photo_set = data.load_cats_vs_dogs(root, cache_dir=tmp_path / "cache", log=quiet)
    assert photo_set.root == root and photo_set.counts["total"].tolist() == [6, 6, 6]


def test_a_local_folder_with_a_broken_photo_is_left_untouched_and_a_clean_copy_is_used(tmp_path):
    root = make_local(tmp_path / "mine")
    (root / "train" / "dog" / "broken.jpg").write_bytes(b"not a photo")
    photo_set = data.load_cats_vs_dogs(root, cache_dir=tmp_path / "cache", log=quiet)
    assert (root / "train" / "dog" / "broken.jpg").exists(), "your own folder is never changed"
    assert photo_set.root != root and photo_set.counts.loc["train", "dog"] == 3
    assert photo_set.report.rejected == [("train/dog/broken.jpg", "not a readable image (UnidentifiedImageError)")]


def test_a_class_whose_photos_are_all_unusable_is_named_in_your_own_folder(tmp_path):
    root = make_local(tmp_path / "mine", per_class=2)
    for path in (root / "test" / "cat").iterdir():
        path.write_bytes(b"<html>a web page saved as .jpg</html>")
    (root / "train" / "dog" / "Thumbs.db").write_bytes(b"junk that is not a photo")  # junk alone empties nothing
    with pytest.raises(cats_vs_dogs.PhotoSetError) as error:
        data.load_cats_vs_dogs(root, cache_dir=tmp_path / "cache", log=quiet)
    message = str(error.value)
    assert str(root / "test" / "cat") in message and "all 2 photo(s) are unusable" in message
    assert "not a readable image" in message and "cache" not in message


def test_a_drive_folder_is_copied_to_local_disk_first(tmp_path, monkeypatch):
    drive = tmp_path / "drive"
    monkeypatch.setattr(locations, "DRIVE_MOUNT", drive)
    root = make_local(drive / "MyDrive" / "pets")
    photo_set = data.load_cats_vs_dogs(root, cache_dir=tmp_path / "cache", log=quiet)
    assert photo_set.root == tmp_path / "cache" / "from_drive" / "pets"
    assert photo_set.counts["total"].sum() == 18


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda root: __import__("shutil").rmtree(root / "test"), "has no 'test' folder"),
        (lambda root: __import__("shutil").rmtree(root / "validation" / "dog"), "lacks the class folder(s) ['dog']"),
        (lambda root: [p.unlink() for p in (root / "train" / "cat").iterdir()], "train/cat is empty"),
    ],
)
def test_a_folder_in_the_wrong_layout_is_refused_by_name(tmp_path, damage, fragment):
    root = make_local(tmp_path / "mine")
    damage(root)
    with pytest.raises(LayoutError) as error:
        data.load_cats_vs_dogs(root, cache_dir=tmp_path / "cache", log=quiet)
    assert fragment in str(error.value)


def test_a_missing_folder_says_what_is_expected(tmp_path):
    with pytest.raises(cats_vs_dogs.PhotoSetError, match="train/, validation/ and test/"):
        data.load_cats_vs_dogs(tmp_path / "nowhere", log=quiet)


def test_smoke_mode_generates_a_small_set_with_one_file_to_skip(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    photo_set = data.load_cats_vs_dogs(cache_dir=tmp_path, log=quiet)
    assert photo_set.counts["total"].tolist() == [48, 16, 16]
    assert [path for path, _ in photo_set.report.rejected] == ["train/cat/cat.not_really.jpg"]


def test_while_grading_the_submissions_data_source_is_not_read(tmp_path, monkeypatch):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setenv("CNN_COURSE_WORK", str(tmp_path / "work"))
    said = []
    photo_set = data.load_cats_vs_dogs("/content/drive/MyDrive/cats_vs_dogs", log=said.append)
    assert photo_set.counts["total"].tolist() == [48, 16, 16], "the stand-in photos, as in smoke mode"
    assert any("is not read" in line for line in said)
    assert photo_set.root.resolve().is_relative_to((tmp_path / "work").resolve())


def test_an_archive_as_source_is_laid_out_exactly_as_its_download_and_left_as_it_is(tmp_path):
    archive = tmp_path / "mine" / "cats_and_dogs_filtered.zip"
    archive.parent.mkdir()
    archive.write_bytes(FILTERED)
    with serve({"/filtered.zip": FILTERED}) as base:
        downloaded = data.load_cats_vs_dogs(
            cache_dir=tmp_path / "download",
            log=quiet,
            archive=remote(cats_vs_dogs.FILTERED_ARCHIVE, f"{base}/filtered.zip", FILTERED),
        )
    local = data.load_cats_vs_dogs(archive, cache_dir=tmp_path / "cache", log=quiet)
    assert local.counts.equals(downloaded.counts)
    for split in ("train", "validation", "test"):
        for name in ("cat", "dog"):
            assert sorted(p.name for p in (local.root / split / name).iterdir()) == sorted(
                p.name for p in (downloaded.root / split / name).iterdir()
            ), f"{split}/{name} holds other photos than the download's"
    assert archive.read_bytes() == FILTERED, "your own archive is never changed"
    logged = []
    again = data.load_cats_vs_dogs(archive, cache_dir=tmp_path / "cache", log=logged.append)
    assert again.root == local.root and not any("unpacking" in line for line in logged), "unpacked once"


def test_the_full_archive_as_source_is_checked_and_split_like_its_download(tmp_path):
    archive = tmp_path / "kagglecatsanddogs_5340.zip"
    archive.write_bytes(FULL)
    photo_set = data.load_cats_vs_dogs(archive, cache_dir=tmp_path / "cache", log=quiet)
    assert photo_set.counts["total"].sum() == 20 and len(photo_set.report.rejected) == 5


@pytest.mark.parametrize(
    ("body", "fragment"),
    [(b"not a zip at all", "not a readable zip archive"), (zipped({"photos/a.jpg": jpeg(1)}), "expected cats_and")],
)
def test_a_file_that_is_not_one_of_the_archives_is_refused_with_what_was_expected(tmp_path, body, fragment):
    archive = tmp_path / "photos.zip"
    archive.write_bytes(body)
    with pytest.raises(cats_vs_dogs.PhotoSetError, match=fragment):
        data.load_cats_vs_dogs(archive, cache_dir=tmp_path / "cache", log=quiet)
