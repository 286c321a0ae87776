"""A training run stopped part-way (as a Colab disconnect would) resumes with nothing lost."""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

keras = pytest.importorskip("keras")

from cnn_course import locations, seeding, training  # noqa: E402
from cnn_course.kernels.kernel_sockets import unix_socket_kernels  # noqa: E402

EPOCHS = 4


class Disconnect(Exception):
    pass


class DisconnectAfter(keras.callbacks.Callback):
    """Raise once the given number of epochs has finished (and been backed up)."""

    def __init__(self, finished_epochs):
        super().__init__()
        self.finished_epochs = finished_epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.finished_epochs:
            raise Disconnect(f"runtime disconnected after epoch {epoch + 1}")


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, :2].sum(axis=1) > 0).astype("float32")
    return x, y


def make_model(seed):
    seeding.set_seed(seed)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def fit(model, callbacks):
    x, y = data()
    return model.fit(
        x, y, validation_split=0.25, epochs=EPOCHS, batch_size=32, shuffle=False, verbose=0, callbacks=callbacks
    )


def test_a_disconnected_run_resumes_from_the_last_finished_epoch(tmp_path):
    uninterrupted = make_model(seed=1)
    fit(uninterrupted, training.resumable_callbacks("reference", root=tmp_path))

    first = make_model(seed=1)
    with pytest.raises(Disconnect):
        fit(first, [*training.resumable_callbacks("run", root=tmp_path), DisconnectAfter(2)])
    assert (tmp_path / "run" / "backup").is_dir(), "the backup survives the disconnect"

    # A fresh runtime: a new model with other initial weights, the same cell run again.
    second = make_model(seed=99)
    history = fit(second, training.resumable_callbacks("run", root=tmp_path))
    assert history.epoch == [2, 3], "only the epochs that had not finished are trained"
    for resumed, reference in zip(second.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(resumed, reference, rtol=1e-5, atol=1e-6)
    assert not (tmp_path / "run" / "backup").exists(), "a finished run clears its backup"
    best = keras.models.load_model(tmp_path / "run" / "best.keras")
    assert best.count_params() == second.count_params()


@pytest.fixture
def full_mode(monkeypatch):
    for name in ("CNN_COURSE_SMOKE", "NBGRADER_EXECUTION", "CNN_COURSE_WORK"):
        monkeypatch.delenv(name, raising=False)


def test_checkpoints_go_to_drive_when_it_is_mounted(tmp_path, monkeypatch, full_mode):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(locations, "DRIVE_ROOT", tmp_path / "no-drive")
    assert training.checkpoint_dir("first_cnn").resolve() == (tmp_path / "checkpoints" / "first_cnn").resolve()
    drive = tmp_path / "drive" / "MyDrive"
    drive.mkdir(parents=True)
    monkeypatch.setattr(locations, "DRIVE_ROOT", drive)
    assert training.checkpoint_dir("first_cnn") == drive / "cnn-course" / "checkpoints" / "first_cnn"
    assert training.results_dir() == drive / "cnn-course" / "results"


@pytest.mark.parametrize("variable", ["NBGRADER_EXECUTION", "CNN_COURSE_SMOKE"])
def test_while_grading_nothing_is_written_beside_the_notebook(variable, tmp_path, monkeypatch, full_mode):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(locations, "DRIVE_ROOT", tmp_path / "no-drive")
    monkeypatch.setenv(variable, "1")
    folder = training.checkpoint_dir("first_cnn")
    assert not folder.resolve().is_relative_to(tmp_path.resolve()), "grading folders stay as they were handed in"
    assert folder.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert list(tmp_path.iterdir()) == []


def test_a_smoke_runs_work_folder_is_removed_when_its_kernel_ends(tmp_path, monkeypatch, full_mode):
    # A smoke run of Chapter 4 writes about 450 MB of models there; kept, they filled CI's disk.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from cnn_course import training\n"
                "folder = training.checkpoint_dir('run')\n"
                "(folder / 'weights.keras').write_bytes(b'x' * 1000)\n"
                "print(folder)"
            )
        ]
    )
    with unix_socket_kernels():
        NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    folder = Path(notebook.cells[0].outputs[0]["text"].strip())
    assert folder.is_relative_to(tmp_path), "the kernel wrote to the temporary folder it was given"
    assert not folder.exists(), "the work folder outlived the kernel that made it"
    assert list(tmp_path.glob("cnn-course-work-*")) == []


def test_the_work_folder_can_be_chosen(tmp_path, monkeypatch, full_mode):
    monkeypatch.setenv("CNN_COURSE_WORK", str(tmp_path / "mine"))
    assert training.checkpoint_dir("run") == tmp_path / "mine" / "checkpoints" / "run"


@pytest.mark.parametrize("name", ["", "../escape", "a/b", ".."])
def test_a_run_name_must_be_a_plain_folder_name(name, tmp_path):
    with pytest.raises(ValueError, match="plain folder name"):
        training.checkpoint_dir(name, root=tmp_path)


def test_early_stopping_is_added_on_request(tmp_path):
    names = [type(c).__name__ for c in training.resumable_callbacks("x", patience=3, root=tmp_path)]
    assert names == ["BackupAndRestore", "ModelCheckpoint", "EarlyStopping"]


def test_the_same_seed_gives_the_same_model_and_another_seed_does_not():
    same = [make_model(seed=7).get_weights()[0] for _ in range(2)]
    np.testing.assert_array_equal(same[0], same[1])
    assert not np.array_equal(same[0], make_model(seed=8).get_weights()[0])


def test_the_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(seeding.SEED_VARIABLE, raising=False)
    assert seeding.set_seed() == 42
    monkeypatch.setenv(seeding.SEED_VARIABLE, "5")
    assert seeding.set_seed() == 5
    monkeypatch.setenv(seeding.SEED_VARIABLE, "five")
    with pytest.raises(ValueError, match="whole number"):
        seeding.set_seed()


def test_train_by_default_trains_in_smoke_runs_and_loads_on_a_cpu(monkeypatch):
    said = []
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    assert training.train_by_default(log=said.append) is True and "Smoke run" in said[-1]
    monkeypatch.delenv("CNN_COURSE_SMOKE")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert training.train_by_default(on_cpu="take the CPU path", log=said.append) is False
    assert "No GPU: TRAIN_MODELS = False, the chapter will take the CPU path" in said[-1]
    assert "set TRAIN_MODELS = True" in said[-1]


def test_a_chapter_that_trains_in_seconds_on_a_cpu_trains_there(monkeypatch):
    said = []
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(training, "gpu_names", lambda: [])
    assert training.train_by_default(on_cpu="skip training", cpu_seconds=15, log=said.append) is True
    assert "about 15 seconds on a CPU: TRAIN_MODELS = True" in said[-1] and "skip training" in said[-1]
    assert training.train_by_default(cpu_seconds=training.QUICK_ON_CPU + 1, log=said.append) is False


def _tiny_model(units: int = 1):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_fit_once_trains_once_then_loads_the_finished_run(tmp_path, monkeypatch):
    import numpy as np

    monkeypatch.setenv("CNN_COURSE_WORK", str(tmp_path / "drive"))
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    fits = []

    def fit(model):
        def run():
            fits.append(1)
            return model.fit(x, y, epochs=2, verbose=0)

        return run

    first = _tiny_model()
    history = training.fit_once(first, "tiny", fit(first), log=lambda *_: None)
    assert len(fits) == 1 and history.where == training.THIS_RUNTIME and len(history.epoch) == 2
    said = []
    second = _tiny_model()
    again = training.fit_once(second, "tiny", fit(second), log=said.append)
    assert len(fits) == 1, "a finished run is loaded, not trained again"
    assert again.where == training.EARLIER_RUN and again.history == history.history
    assert "loaded the finished run" in said[0] and "retrain=True" in said[0]
    for kept, loaded in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(kept, loaded)
    training.fit_once(_tiny_model(), "tiny", fit(first), retrain=True, log=lambda *_: None)
    assert len(fits) == 2, "retrain=True trains again"
    changed = _tiny_model(units=2)
    training.fit_once(changed, "tiny", fit(changed), log=said.append)
    assert len(fits) == 3 and "does not fit this model" in said[-1], "a changed model is trained, with a note"


def test_keep_work_on_drive_mounts_in_colab_and_does_nothing_elsewhere(tmp_path, monkeypatch):
    import sys
    import types

    from cnn_course import locations

    monkeypatch.delenv("CNN_COURSE_WORK", raising=False)
    monkeypatch.setattr(locations, "DRIVE_MOUNT", tmp_path / "drive")
    monkeypatch.setattr(locations, "DRIVE_ROOT", tmp_path / "drive" / "MyDrive")
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    said = []
    assert locations.keep_work_on_drive(log=said.append) == locations.work_folder()
    assert "Not in Colab" in said[-1] and not (tmp_path / "drive").exists()
    mounted = []
    drive = types.SimpleNamespace(
        mount=lambda path: (mounted.append(path), (tmp_path / "drive" / "MyDrive").mkdir(parents=True))
    )
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    folder = locations.keep_work_on_drive(log=said.append)
    assert mounted == [str(tmp_path / "drive")] and folder == tmp_path / "drive" / "MyDrive" / "cnn-course"
    assert folder.is_dir() and "Google Drive" in said[-1]
    locations.keep_work_on_drive(log=said.append)
    assert len(mounted) == 1, "a mounted Drive is not mounted twice"


def test_a_chapter_s_results_go_to_the_work_folder_where_the_next_chapter_finds_them(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_COURSE_WORK", str(tmp_path / "MyDrive" / "cnn-course"))
    rows = [{"model": "first CNN", "test accuracy": 0.7}]
    path = training.save_results("03", rows)
    assert path.parent == tmp_path / "MyDrive" / "cnn-course" / "results"
    assert training.load_results("03") == rows and training.load_results("02") == []
