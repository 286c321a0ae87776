"""Every chapter with a TRAIN_MODELS switch runs top to bottom in smoke mode, within its budget,
on the course's trained models (or Chapter 4's CPU path).

A chapter without the switch runs the same cells in a smoke run as when its solutions are
graded, so tests/grading/test_batch.py, which grades every chapter's solutions, runs it; a
second run here would only repeat that."""

from __future__ import annotations

import json
import re
import time

import pytest

from cnn_course import course_models
from cnn_course.authoring.run import run_chapter
from cnn_course.cli import main
from cnn_course.course.settings import chapters
from cnn_course.errors import CourseError
from tests.helpers import COURSE, ROOT, serve

pytestmark = pytest.mark.long_running  # ten seconds or more: scheduled first (conftest.py)

CELL_BUDGET_SECONDS = 60
CHAPTER_BUDGET_SECONDS = 240
CELL_TIMEOUT_SECONDS = 180  # a hanging cell fails its test in minutes, not after the default hour


# One smoke run per chapter with the switch, shared by every test below. It differs from the
# run that grading the solutions makes (tests/grading) in two ways, so together they cover both:
# another seed, and the trained-model switch turned to loading (from the repository's models/
# folder, served on 127.0.0.1), or to the CPU path in Chapter 4.
OTHER_SEED = "2024"
SWITCH = "TRAIN_MODELS = training.train_by_default("


def has_switch(chapter) -> bool:
    return SWITCH in chapter.source.read_text(encoding="utf-8")


def trains(chapter) -> bool:
    return bool(re.search(r"\.fit\(|fit_once\(", chapter.source.read_text(encoding="utf-8")))


def trains_in_seconds(chapter) -> bool:
    """The switch states the chapter's measured CPU time: it trains everywhere, in seconds."""
    return bool(re.search(re.escape(SWITCH) + r"[^\n]*cpu_seconds=", chapter.source.read_text(encoding="utf-8")))


def loads_course_models(chapter) -> bool:
    return "course_models.load(" in chapter.source.read_text(encoding="utf-8")


def run_smoke(chapter, out, drive, log):
    """One smoke run as the tests make it: another seed, the course's models from 127.0.0.1, and
    the work folder on a fake Drive (what keep_work_on_drive gives in Colab)."""
    models = {f"/models/{path.name}": path.read_bytes() for path in (ROOT / "models").glob("*")}
    with pytest.MonkeyPatch.context() as patch, serve(models) as base:
        patch.setenv("CNN_COURSE_SEED", OTHER_SEED)
        patch.setenv("CNN_COURSE_MODELS_URL", f"{base}/models")
        patch.setenv("CNN_COURSE_CACHE", str(out / "cache"))
        patch.setenv("CNN_COURSE_WORK", str(drive))
        return run_chapter(
            COURSE,
            chapter.number,
            smoke=True,
            out_dir=out,
            cell_timeout=CELL_TIMEOUT_SECONDS,
            settings={"TRAIN_MODELS": "False"},
            log=log,
        )


@pytest.fixture(scope="module", params=[c for c in chapters(ROOT) if has_switch(c)], ids=lambda c: c.name)
def smoke_run(request, tmp_path_factory):
    chapter = request.param
    out = tmp_path_factory.mktemp(f"run-{chapter.number}")
    drive = out / "drive" / "MyDrive" / "cnn-course"
    printed: list[str] = []
    report = run_smoke(chapter, out, drive, printed.append)
    executed = (out / f"{chapter.name}.smoke.executed.ipynb").read_text(encoding="utf-8")
    return chapter, report, executed, printed, drive


def test_solution_notebook_runs_in_smoke_mode_within_budget(smoke_run):
    _, report, executed, _, _ = smoke_run
    assert not report.errors, "; ".join(error.describe() for error in report.errors)
    slow = [
        f"cell {c.index} ({c.seconds:.0f} s): {c.first_line}" for c in report.cells if c.seconds > CELL_BUDGET_SECONDS
    ]
    assert not slow, f"cells over the {CELL_BUDGET_SECONDS} s smoke budget: {slow}"
    assert report.seconds < CHAPTER_BUDGET_SECONDS
    assert '"image/png"' in executed, "the executed copy keeps its figures"
    assert "Smoke mode is on" in executed


def test_the_run_prints_its_time_the_machine_and_the_slowest_cells(smoke_run):
    printed = "\n".join(smoke_run[3])
    assert "executed copy with figures" in printed and "slowest cells:" in printed
    assert f"cores, {time.strftime('%Y-%m-%d', time.gmtime())}" in printed, (
        "the time is stated with the machine and date"
    )


def test_the_seed_reaches_the_notebook_and_its_checks_still_pass(smoke_run):
    executed = smoke_run[2]
    assert f"random seed {OTHER_SEED} " in executed, "the seed reached the notebook"
    assert "Not quite" not in executed, "a self-check failed under another seed"


def test_chapters_that_train_long_run_on_the_course_s_trained_models(smoke_run):
    chapter, _, executed, _, _ = smoke_run
    if not loads_course_models(chapter):
        pytest.skip(f"{chapter.name} has no trained models of the course's to load")
    assert "TRAIN_MODELS = False" in executed
    assert executed.count("loaded the course's trained weights") >= 2, "both models come from models/"
    assert course_models.COURSE_RUN in executed, "loaded times are labelled as the course's"


def test_every_chapter_that_trains_has_the_switch_and_so_a_smoke_run_here():
    training = [chapter for chapter in chapters(ROOT) if trains(chapter)]
    assert len(training) >= 3, "Chapters 2 to 4 train"
    missing = [chapter.name for chapter in training if not has_switch(chapter)]
    assert not missing, f"these chapters train but have no TRAIN_MODELS = training.train_by_default(...): {missing}"


def test_a_chapter_with_the_switch_takes_the_run_s_setting(smoke_run):
    executed = smoke_run[2]
    assert "TRAIN_MODELS = False" in executed, "the run's setting replaced the chapter's default"


def test_a_chapter_that_trains_for_minutes_keeps_its_work(smoke_run):
    chapter, _, executed, _, _ = smoke_run
    if trains_in_seconds(chapter):
        pytest.skip(f"{chapter.name} trains in seconds: nothing worth keeping on Drive")
    assert "KEEP_WORK_ON_DRIVE = False" in executed and "work folder" in executed


def test_every_chapter_that_trains_for_minutes_has_the_keep_work_cell():
    long = [chapter for chapter in chapters(ROOT) if has_switch(chapter) and not trains_in_seconds(chapter)]
    assert len(long) >= 3, "Chapters 2 to 4 train for minutes"
    missing = [c.name for c in long if "KEEP_WORK_ON_DRIVE = False" not in c.source.read_text(encoding="utf-8")]
    assert not missing, f"these chapters train for minutes but have no KEEP_WORK_ON_DRIVE cell: {missing}"


def test_a_setting_the_chapter_does_not_have_is_refused(capsys):
    assert main(["--root", str(ROOT), "run", "01", "--set", "NO_SUCH_SETTING=1"]) == 2
    assert "has no setting NO_SUCH_SETTING" in capsys.readouterr().err


def test_an_unknown_chapter_is_refused_with_the_list_of_chapters(capsys):
    assert main(["--root", str(ROOT), "run", "42"]) == 2
    assert "No chapter '42'" in capsys.readouterr().err


def test_a_hanging_cell_is_stopped_and_reported_and_the_rest_still_runs(tmp_path):
    import nbformat

    from cnn_course.kernels.execute import execute_notebook

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("while True:\n    pass"), nbformat.v4.new_code_cell("print('after the hang')")]
    )
    report = execute_notebook(notebook, tmp_path, cell_timeout=3)
    assert [error.index for error in report.errors] == [0]
    assert "after the hang" in str(report.notebook.cells[1].outputs)


# A recycled runtime loses nothing: run again with the work folder on the same (fake) Drive,
# and every finished training run is loaded, not trained again. Chapter 4 shows it: its
# smoke run is the quickest with training runs in it (the frozen model, then fine-tuning).
RESUME_CHAPTER, RESUME_RUNS = "04", ["vgg16_fine_tuned_cpu_path", "vgg16_frozen_cpu_path"]


def test_finished_training_and_features_are_kept_on_the_drive(smoke_run):
    chapter, _, executed, _, drive = smoke_run
    if chapter.number != RESUME_CHAPTER:
        pytest.skip(f"Chapter {RESUME_CHAPTER} shows it")
    kept = sorted(path.parent.name for path in drive.glob("checkpoints/*/finished-smoke.weights.h5"))
    assert kept == RESUME_RUNS
    assert (drive / "features-32px" / "train_features.npy").is_file(), "the bottleneck features are kept too"
    assert executed.count("on this runtime") >= len(RESUME_RUNS), "each training cell says it trained here"


def test_a_second_run_on_the_same_drive_trains_nothing_and_says_so(smoke_run, tmp_path):
    chapter, _, _, _, drive = smoke_run
    if chapter.number != RESUME_CHAPTER:
        pytest.skip(f"Chapter {RESUME_CHAPTER} shows it")
    report = run_smoke(chapter, tmp_path, drive, lambda *_: None)
    assert not report.errors, "; ".join(error.describe() for error in report.errors)
    again = json.dumps([cell.get("outputs", []) for cell in report.notebook.cells])
    assert "on this runtime" not in again, "a finished run was trained again"
    assert again.count("loaded the finished run kept in") == len(RESUME_RUNS)
    assert again.count("an earlier run in this work folder") >= len(RESUME_RUNS)


def test_a_path_typed_without_quotes_is_a_string_and_a_bad_value_is_refused_before_running():
    """`--set DATA_SOURCE=/some/path`, as people type it, failed with a SyntaxError in the cell and
    twenty NameErrors after it."""
    from cnn_course.authoring.run import python_value

    assert python_value("DATA_SOURCE", "/some/path", 'None   # e.g. "/content/drive"') == "'/some/path'"
    assert python_value("DATA_SOURCE", '"/some/path"', "None") == '"/some/path"'
    assert python_value("TRAIN_MODELS", "False", "training.train_by_default()") == "False"
    with pytest.raises(CourseError, match=r"--set TRAIN_MODELS=Flase: TRAIN_MODELS takes a Python value"):
        python_value("TRAIN_MODELS", "Flase", "training.train_by_default()")


def test_run_prints_no_cuda_error_from_the_kernel_s_tensorflow(tmp_path, capfd):
    """On a machine without a GPU, TensorFlow's import prints 'failed call to cuInit' from the
    kernel: the grader filtered it, `run` and `build` printed it."""
    from tests.helpers import SETUP, mini_course

    course = mini_course(tmp_path / "course", SETUP, "# %%\nimport tensorflow as tf\nprint('imported', tf.__name__)\n")
    assert main(["--root", str(course), "run", "01", "--smoke", "--out", str(tmp_path / "runs")]) == 0
    printed = capfd.readouterr()
    assert "cuInit" not in printed.err + printed.out and "finished in" in printed.out
