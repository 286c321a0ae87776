"""A recycled runtime loses nothing: with the work folder on a (fake) Drive, running a chapter
a second time loads every finished training run instead of training it again."""

from __future__ import annotations

import json

import pytest

from cnn_course.authoring.course import find_root
from cnn_course.authoring.run import run_chapter

ROOT = find_root()
CHAPTER = "04"  # the quickest smoke run with training runs in it: the frozen model, then fine-tuning
TRAINING_RUNS = 2


def outputs(report) -> str:
    return json.dumps([cell.get("outputs", []) for cell in report.notebook.cells])


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    drive = tmp_path_factory.mktemp("fake-drive") / "MyDrive" / "cnn-course"
    runs = []
    with pytest.MonkeyPatch.context() as patch:
        # What keep_work_on_drive() gives in Colab: a work folder that outlives the runtime.
        patch.setenv("CNN_COURSE_WORK", str(drive))
        patch.setenv("CNN_COURSE_CACHE", str(tmp_path_factory.mktemp("cache")))
        for attempt in (1, 2):  # each run is a fresh kernel: a recycled runtime
            report = run_chapter(
                ROOT,
                CHAPTER,
                smoke=True,
                out_dir=tmp_path_factory.mktemp(f"run{attempt}"),
                cell_timeout=180,
                settings={"TRAIN_MODELS": "True"},
                log=lambda *_: None,
            )
            assert not report.errors, "; ".join(error.describe() for error in report.errors)
            runs.append(outputs(report))
    return drive, runs


def test_the_first_run_trains_and_keeps_what_it_trained_on_the_drive(two_runs):
    drive, (first, _) = two_runs
    assert first.count("on this runtime") >= TRAINING_RUNS, "each training cell says it trained here"
    kept = sorted(path.parent.name for path in drive.glob("checkpoints/*/finished-smoke.weights.h5"))
    assert kept == ["vgg16_fine_tuned", "vgg16_frozen"]
    assert (drive / "features-smoke" / "train_features.npy").is_file(), "the bottleneck features are kept too"


def test_a_second_run_trains_nothing_and_says_so(two_runs):
    _, (_, second) = two_runs
    assert "on this runtime" not in second, "a finished run was trained again"
    assert second.count("loaded the finished run kept in") == TRAINING_RUNS
    assert second.count("an earlier run in this work folder") >= TRAINING_RUNS
