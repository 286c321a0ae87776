"""What every benchmark shares: its options, the hardware line, a timed fit, the table.

A benchmark trains the chapter's own code (the cells it names, run by
:func:`cnn_course.course.namespace.chapter_namespace`), so its figures describe exactly
what learners train, and it names the hardware they were measured on. Its options are the
parameters of one function (:mod:`cnn_course.options`), as for every command.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from cnn_course.course.course import Course
from cnn_course.options import add_option, options


@dataclass
class ModelResult:
    model: str
    parameters: int
    epochs: int
    seconds: float
    images_per_second: float
    validation_accuracy: float  # on the held-out split (CIFAR-10) or the test photos (cats vs dogs)


def command(measure: Callable) -> Callable:
    """A benchmark's ``run(course, args)``: ``measure`` called with the parsed options (and the
    course, when it takes one); exit status 0."""

    def run(course: Course, args) -> int:
        where = {"course": course} if "course" in inspect.signature(measure).parameters else {}
        measure(**where, **options(args, measure))
        return 0

    return run


@functools.cache
def run_stamp() -> dict[str, str]:
    """When and from which commit of the course a figure was measured: taken once, when the run
    starts, so files saved at its end name the code that ran even if commits came in between."""
    import datetime
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    commit = (commit or "unknown") + (" (with uncommitted changes)" if dirty else "")
    return {"date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit}


def hardware() -> str:
    import tensorflow as tf

    from cnn_course.hardware import cpu_description, gpu_names

    gpus = gpu_names()
    where = f"GPU: {', '.join(gpus)}" if gpus else "no GPU"
    cpu = f"CPU: {cpu_description()}, {os.cpu_count()} cores"
    return f"{where}; {cpu}; TensorFlow {tf.__version__}; {platform.platform()}"


def start_run(log=print, **figures) -> dict:
    """Every benchmark's opening: say on what machine and from what commit it runs, and begin
    its figures (the JSON it writes) with the same two facts, then ``figures``."""
    machine, stamp = hardware(), run_stamp()
    log(f"hardware: {machine}")
    log(f"run: {stamp}")
    return {"hardware": machine, **stamp, **figures}


def format_results(results: list[ModelResult], accuracy_label: str) -> str:
    lines = [f"{'model':<12} {'parameters':>11} {'epochs':>7} {'wall time':>10} {'images/s':>9} {accuracy_label:>14}"]
    for r in results:
        lines.append(
            f"{r.model:<12} {r.parameters:>11,} {r.epochs:>7} {r.seconds:>9.0f}s {r.images_per_second:>9,.0f} "
            f"{r.validation_accuracy:>14.2%}"
        )
    return "\n".join(lines)


def epoch_timer(seconds: list[float]):
    """A callback that appends each epoch's wall time to ``seconds``."""
    import keras

    started = []
    return keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: started.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(time.perf_counter() - started[-1]),
    )


def validation_timer(seconds: list[float]):
    """A callback that appends the wall time of each epoch's validation pass to ``seconds``."""
    import keras

    started = []
    return keras.callbacks.LambdaCallback(
        on_test_begin=lambda logs: started.append(time.perf_counter()),
        on_test_end=lambda logs: seconds.append(time.perf_counter() - started[-1]),
    )


@dataclass
class TimedFit:
    """One ``model.fit``, timed: its history, its wall time, and each epoch's seconds (of which
    ``validation_seconds`` were spent on the validation passes)."""

    model: object
    history: dict[str, list[float]]
    seconds: float
    epoch_seconds: list[float]
    validation_seconds: list[float]

    @property
    def epochs(self) -> int:
        """Epochs run (fewer than asked when early stopping ended the fit)."""
        return len(self.epoch_seconds)

    def result(self, label: str, images_per_epoch: int, accuracy: float) -> ModelResult:
        """The fit as a row of the results table."""
        return ModelResult(
            label,
            self.model.count_params(),
            self.epochs,
            round(self.seconds, 1),
            round(images_per_epoch * self.epochs / self.seconds, 1),
            round(accuracy, 4),
        )

    def save(self, folder: Path | None, name: str, rebuild: Callable) -> None:
        """The weights and the history the chapter shows, when a folder is given (``save_trained``)."""
        save_trained(folder, name, self.model, rebuild, self.history, self.seconds)


def timed_fit(model, *data, callbacks=(), **fit_options) -> TimedFit:
    """``model.fit(*data, **fit_options)``, one line per epoch, with every epoch timed."""
    import tensorflow as tf

    epoch_seconds: list[float] = []
    validation_seconds: list[float] = []
    timers = [epoch_timer(epoch_seconds), validation_timer(validation_seconds)]
    if data and isinstance(data[0], tf.data.Dataset):
        # The chapters' pipelines shuffle themselves; Keras's default shuffle=True would only
        # print a warning on every benchmark that trains on one.
        fit_options.setdefault("shuffle", False)
    started = time.perf_counter()
    history = model.fit(*data, callbacks=[*callbacks, *timers], verbose=2, **fit_options)
    seconds = time.perf_counter() - started
    return TimedFit(model, history.history, seconds, epoch_seconds, validation_seconds)


def write_json(path: Path | None, figures: dict) -> None:
    """Keep the figures (with the results as plain dicts) in a JSON file, when asked to."""
    if path:
        plain = {
            key: [asdict(v) if isinstance(v, ModelResult) else v for v in value] if isinstance(value, list) else value
            for key, value in figures.items()
        }
        Path(path).write_text(json.dumps(plain, indent=2))


def save_trained(folder: Path | None, name: str, model, rebuild, history: dict, seconds: float) -> None:
    """The weights and what the chapter shows about the run. The weights go through a fresh,
    uncompiled copy of the model, so the file holds no optimizer state (a third of the size)."""
    if not folder:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fresh = rebuild()
    fresh.set_weights(model.get_weights())
    fresh.save_weights(folder / f"{name}.weights.h5")
    record = {
        "history": {key: [round(float(v), 6) for v in values] for key, values in history.items()},
        "seconds": round(seconds, 1),
        "hardware": hardware(),
        **run_stamp(),
    }
    (folder / f"{name}.history.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def add_model_arguments(parser, function: Callable) -> None:
    """The options of every chapter benchmark that trains a first and a better model (by
    default every model it knows: ``--models`` chooses among them)."""
    models = inspect.signature(function).parameters["models"].default
    add_option(parser, function, "epochs_better", "epochs for the better CNN", type=int, unset="the chapter's")
    add_option(
        parser,
        function,
        "epochs_first",
        "most epochs for the first CNN, which stops early",
        type=int,
        unset="the chapter's",
    )
    add_option(parser, function, "models", "which models to train", nargs="+", choices=models)
    add_option(parser, function, "save_weights", "write <name>.weights.h5 and <name>.history.json here", type=Path)
    add_json_option(parser, function)


def add_json_option(parser, function: Callable) -> None:
    """``--json FILE``: every benchmark can keep its figures."""
    help = "also write the figures to this JSON file"
    add_option(parser, function, "json_out", help, flag="--json", type=Path, metavar="FILE")
