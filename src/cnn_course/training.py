"""Training that fits the runtime and survives a Colab disconnect.

- :func:`train_by_default` decides a chapter's ``TRAIN_MODELS`` switch: train where a GPU
  makes it quick, load the course's trained models on a CPU, and say which and how to change it.
- Every long training cell passes ``resumable_callbacks(run_name)`` to ``model.fit``. They
  keep a backup of the model and optimizer after each epoch (``BackupAndRestore``) and the
  best model so far as a ``.keras`` file, in ``checkpoints/`` inside the work folder
  (:func:`cnn_course.locations.work_folder`: on Google Drive when the chapter's "keep your
  work" cell mounted it in Colab, so a new runtime finds it; a temporary folder while grading;
  else beside the notebook). Run the same cell again after a disconnect and training
  continues from the last finished epoch.
- :func:`fit_once` keeps a finished run's weights and history there too, so running a
  finished training cell again loads the result instead of training it all over.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from cnn_course import smoke
from cnn_course.course_models import TrainedHistory, history_from_record, load_weights_quietly
from cnn_course.hardware import gpu_names
from cnn_course.locations import work_folder

THIS_RUNTIME = "this runtime"
EARLIER_RUN = "an earlier run in this work folder"
QUICK_ON_CPU = 120  # seconds: a chapter whose training is this short on a CPU trains everywhere


def train_by_default(
    on_cpu: str = "load the course's trained models", cpu_seconds: float | None = None, log=print
) -> bool:
    """The default of a chapter's ``TRAIN_MODELS``: True where training is quick (a GPU, a
    smoke run or grading, or a chapter whose training takes at most ``QUICK_ON_CPU`` seconds on
    a CPU by its measured ``cpu_seconds``), else False; prints which and why.

    ``on_cpu`` says what the chapter does with ``TRAIN_MODELS = False``."""
    if gpu_names():
        log(f"A GPU is attached: TRAIN_MODELS = True, the chapter trains its models. (Set it to False to {on_cpu}.)")
        return True
    if smoke.is_quick():
        log("Smoke run or grading: TRAIN_MODELS = True, training takes seconds on small data.")
        return True
    if cpu_seconds is not None and cpu_seconds <= QUICK_ON_CPU:
        quick = f"Training takes about {cpu_seconds:.0f} seconds on a CPU: TRAIN_MODELS = True."
        log(f"{quick} (Set it to False to {on_cpu}.)")
        return True
    log(
        f"No GPU: TRAIN_MODELS = False, the chapter will {on_cpu}. To train on this CPU anyway, "
        "set TRAIN_MODELS = True in this cell (the chapter's opening says how long that takes)."
    )
    return False


def checkpoint_root() -> Path:
    """``checkpoints/`` in the work folder (``<Drive>/cnn-course/checkpoints`` when Drive is mounted)."""
    return work_folder() / "checkpoints"


def checkpoint_dir(run_name: str, root: Path | None = None) -> Path:
    """The folder for one training run's backup and best model (created if needed)."""
    if not run_name or any(sep in run_name for sep in ("/", "\\")) or run_name in (".", ".."):
        raise ValueError(f"run_name must be a plain folder name such as 'cifar10_first_cnn', got {run_name!r}")
    folder = Path(root or checkpoint_root()) / run_name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def resumable_callbacks(
    run_name: str, monitor: str = "val_loss", patience: int | None = None, root: Path | None = None
) -> list:
    """Callbacks for ``model.fit``: resume after a disconnect, keep the best model, optionally stop early."""
    import keras

    folder = checkpoint_dir(run_name, root)
    callbacks = [
        keras.callbacks.BackupAndRestore(backup_dir=str(folder / "backup")),
        keras.callbacks.ModelCheckpoint(str(folder / "best.keras"), monitor=monitor, save_best_only=True),
    ]
    if patience is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True))
    return callbacks


def _finished_files(run_name: str) -> tuple[Path, Path]:
    # Smoke runs train on tiny data: their result must never stand in for a real run's.
    stem = "finished-smoke" if smoke.is_quick() else "finished"
    folder = checkpoint_dir(run_name)
    return folder / f"{stem}.weights.h5", folder / f"{stem}.json"


def fit_once(model, run_name: str, fit, retrain: bool = False, log=print) -> TrainedHistory:
    """Call ``fit()`` (the chapter's own ``model.fit(...)``) and keep the result; when this work
    folder already holds a finished run called ``run_name``, load it into ``model`` instead.

    Returns the run's history with the seconds it took and where it ran (``.where``).
    ``retrain=True`` trains again whatever is kept. Weights that no longer fit the model (its
    code was changed) are ignored with a note, and the model is trained."""
    weights, record = _finished_files(run_name)
    if weights.is_file() and record.is_file() and not retrain:
        try:
            load_weights_quietly(model, weights)
            kept = history_from_record(json.loads(record.read_text(encoding="utf-8")), EARLIER_RUN)
        except (ValueError, OSError, KeyError) as error:
            log(
                f"{run_name}: the finished run in {weights.parent} does not fit this model ({error}); training it again"
            )
        else:
            log(
                f"{run_name}: loaded the finished run kept in {weights.parent} ({len(kept.epoch)} epochs, trained "
                f"in {kept.seconds:.0f} s) instead of training again; to train again, pass retrain=True"
            )
            return kept
    started = time.perf_counter()
    result = fit()
    seconds = time.perf_counter() - started
    history = {key: [float(v) for v in values] for key, values in result.history.items()}
    model.save_weights(weights)
    record.write_text(json.dumps({"history": history, "seconds": round(seconds, 1)}, indent=1), encoding="utf-8")
    return TrainedHistory(history, list(result.epoch), seconds, THIS_RUNTIME)


def trainable_count(model) -> int:
    """Number of parameters that training will change."""
    import math

    return int(sum(math.prod(w.shape) for w in model.trainable_weights))


def results_dir() -> Path:
    """Where chapters keep their measured results for later chapters: ``results/`` in the work
    folder (on Drive when it is mounted, so Chapter 4's runtime finds what Chapter 3 measured)."""
    folder = work_folder() / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_results(chapter: str, rows: list[dict]) -> Path:
    """Store one chapter's model results (a list of flat dicts) as JSON."""
    import json

    path = results_dir() / f"chapter{chapter}.json"
    path.write_text(json.dumps(rows, indent=2, default=float), encoding="utf-8")
    return path


def load_results(chapter: str) -> list[dict]:
    """A chapter's stored results, or an empty list when it has not been run here."""
    import json

    path = results_dir() / f"chapter{chapter}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
