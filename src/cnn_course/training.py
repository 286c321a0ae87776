"""Training that survives a Colab disconnect.

Every long training cell passes ``resumable_callbacks(run_name)`` to ``model.fit``. They
keep a backup of the model and optimizer after each epoch (``BackupAndRestore``) and the
best model so far as a ``.keras`` file, in ``checkpoints/`` inside the work folder
(:func:`cnn_course.locations.work_folder`: on Google Drive when it is mounted in Colab, so a
new runtime finds it; a temporary folder while grading; else beside the notebook).
Run the same cell again after a disconnect and training continues from the last finished
epoch.
"""

from __future__ import annotations

from pathlib import Path

from cnn_course.locations import work_folder


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
