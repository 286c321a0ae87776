"""Photo folders: layout checks, the corrupt-file scan, the local copy, and the pipeline timing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnn_course import pipelines
from cnn_course.cli import main
from cnn_course.data import photo_folders
from tests.helpers import ROOT


def make_folder(root, splits=("train", "validation", "test"), classes=("cat", "dog"), per_class=4, size=(40, 30)):
    rng = np.random.default_rng(0)
    for split in splits:
        for label, name in enumerate(classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in range(per_class):
                pixels = rng.integers(0, 256, (*size[::-1], 3), dtype=np.uint8)
                pixels[..., label] = 255
                Image.fromarray(pixels).save(folder / f"{name}.{index}.jpg", quality=90)
    return root


def test_counts_per_split_and_class(tmp_path):
    table = photo_folders.check_layout(make_folder(tmp_path / "photos", per_class=3))
    assert list(table.index) == ["train", "validation", "test"]
    assert table.loc["train", "cat"] == 3 and table.loc["test", "total"] == 6


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda root: __import__("shutil").rmtree(root / "validation"), "has no 'validation' folder"),
        (lambda root: __import__("shutil").rmtree(root / "test" / "dog"), "lacks the class folder(s) ['dog']"),
        (lambda root: [p.unlink() for p in (root / "train" / "cat").iterdir()], "train/cat is empty"),
        (lambda root: (root / "train" / "horse").mkdir(), "has folder(s) ['horse'] besides the classes"),
        (
            lambda root: (root / "train" / "cat" / "cat.0.jpg").rename(
                (root / "train" / "cat" / "more").mkdir() or root / "train" / "cat" / "more" / "cat.0.jpg"
            ),
            "has photos in subfolder(s) ['train/cat/more']",
        ),
    ],
)
def test_a_broken_layout_is_refused_by_name(tmp_path, damage, fragment):
    root = make_folder(tmp_path / "photos", per_class=2)
    damage(root)
    with pytest.raises(photo_folders.LayoutError) as error:
        photo_folders.check_layout(root, classes=("cat", "dog"))
    assert fragment in str(error.value)


def test_hidden_folders_such_as_notebook_checkpoints_are_not_classes(tmp_path):
    root = make_folder(tmp_path / "photos", per_class=2)
    (root / "train" / ".ipynb_checkpoints").mkdir()
    assert photo_folders.check_layout(root).loc["train", "total"] == 4


def test_the_scan_sets_aside_files_that_are_not_usable_photos(tmp_path):
    root = make_folder(tmp_path / "photos", splits=("train",), per_class=3)
    (root / "train" / "cat" / "666.jpg").write_bytes(b"")
    (root / "train" / "dog" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated jpeg")
    Image.new("RGB", (10, 10)).save(root / "train" / "dog" / "really.jpg", format="TIFF")
    report = photo_folders.scan(root)
    assert report.checked == 9 and len(report.rejected) == 3
    reasons = dict(report.rejected)
    assert reasons["train/cat/666.jpg"] == "empty file"
    assert "not a readable image" in reasons["train/dog/broken.jpg"]
    assert "a TIFF image under a .jpg name" in reasons["train/dog/really.jpg"]
    assert (tmp_path / "photos_rejected" / "train" / "dog" / "broken.jpg").exists(), "moved aside, not deleted"
    assert "skipped 3 that are not usable photos" in report.summary()
    assert photo_folders.scan(root).rejected == [], "a second scan finds nothing left"


def test_a_drive_folder_is_copied_locally_once(tmp_path):
    source = make_folder(tmp_path / "drive", splits=("train",), per_class=1)
    copy = photo_folders.copy_locally(source, tmp_path / "local")
    assert (copy / "train" / "cat" / "cat.0.jpg").exists()
    (source / "train" / "cat" / "cat.0.jpg").unlink()
    assert photo_folders.copy_locally(source, tmp_path / "local") == copy, "the copy is reused"
    with pytest.raises(photo_folders.LayoutError, match="mount Google Drive"):
        photo_folders.copy_locally(tmp_path / "nowhere", tmp_path / "x")


def test_the_datasets_read_every_split_with_binary_labels(tmp_path):
    datasets, classes = pipelines.folder_datasets(make_folder(tmp_path / "photos"), image_size=(32, 32), batch_size=4)
    assert classes == ["cat", "dog"] and set(datasets) == {"train", "validation", "test"}
    images, labels = next(iter(datasets["test"]))
    assert tuple(images.shape) == (4, 32, 32, 3) and tuple(labels.shape) == (4, 1)
    assert float(images.numpy().max()) > 200, "pixels stay in 0..255 for the model to rescale"


def test_both_pipelines_deliver_the_same_number_of_images(tmp_path):
    root = make_folder(tmp_path / "photos", splits=("train",), per_class=5)
    naive = list(pipelines.naive_batches(root / "train", image_size=(32, 32), batch_size=4))
    assert sum(len(images) for images, _ in naive) == 10 and naive[0][0].shape == (4, 32, 32, 3)
    timings = pipelines.compare(root / "train", epochs=1, image_size=(32, 32), batch_size=4, log=lambda *_: None)
    assert [t.images for t in timings] == [10, 10, 10] and all(t.seconds > 0 for t in timings)
    table = pipelines.format_comparison(timings)
    assert "naive: one photo at a time" in table and "same work" in table and "vs naive" in table
    assert "CPU cores" in table


def test_the_pipeline_benchmark_command(tmp_path, capsys):
    root = make_folder(tmp_path / "photos", splits=("train",), per_class=3)
    assert main(["--root", str(ROOT), "benchmark", "pipeline", "--source", str(root / "train"), "--epochs", "1"]) == 0
    assert "tf.data" in capsys.readouterr().out
    assert main(["--root", str(ROOT), "benchmark", "pipeline"]) == 2
