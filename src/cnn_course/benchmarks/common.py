"""What every benchmark shares: the hardware line, training models side by side, the table.

A benchmark trains the chapter's own code (the cells it names, run by
:func:`cnn_course.authoring.namespace.chapter_namespace`), so its figures describe exactly
what learners train, and it names the hardware they were measured on.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class ModelResult:
    model: str
    parameters: int
    epochs: int
    seconds: float
    images_per_second: float
    validation_accuracy: float  # on the held-out split (CIFAR-10) or the test photos (cats vs dogs)


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

    gpus = [
        tf.config.experimental.get_device_details(d).get("device_name", d.name)
        for d in tf.config.list_physical_devices("GPU")
    ]
    from cnn_course.environment import cpu_description

    cpu = cpu_description()
    where = f"GPU: {', '.join(gpus)}" if gpus else "no GPU"
    return f"{where}; CPU: {cpu}, {os.cpu_count()} cores; TensorFlow {tf.__version__}; {platform.platform()}"


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


def add_model_arguments(parser, models: tuple[str, ...], epochs_first: int | None) -> None:
    """The options every chapter benchmark with a first and a better model takes."""
    parser.add_argument("--epochs-better", type=int, help="epochs for the better CNN (default: the chapter's)")
    parser.add_argument(
        "--epochs-first",
        type=int,
        default=epochs_first,
        help="most epochs for the first CNN, which stops early (default: "
        + (str(epochs_first) if epochs_first else "the chapter's")
        + ")",
    )
    parser.add_argument("--models", nargs="+", choices=models, default=list(models), help="which models to train")
    parser.add_argument("--save-weights", type=Path, help="write <name>.weights.h5 and <name>.history.json here")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
