"""The setup cell's work: fill in what is missing in Colab, report versions, check the GPU.

Every chapter's first code cell calls :func:`prepare`. Inside Colab it installs only the
packages that are missing (never TensorFlow, Keras or NumPy, which Colab builds to match its
GPU drivers); everywhere it prints the versions, warns when no GPU is attached and stops
with a clear message on a Keras older than 3.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
import warnings

from cnn_course import smoke
from cnn_course.errors import CourseError
from cnn_course.hardware import gpu_names, memory_gb
from cnn_course.smoke import full_or_quick  # noqa: F401  (the chapters' sizes cell imports it from here)

# Import name -> pip name for what the notebooks need beyond TensorFlow and Keras.
RUNTIME_PACKAGES = {
    "numpy": "numpy",
    "matplotlib": "matplotlib",
    "pandas": "pandas",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "PIL": "pillow",
}

GPU_ADVICE = (
    "No GPU is attached: where training would take long on a CPU, the chapter takes its CPU path "
    "(TRAIN_MODELS below says which). To train in full on a GPU:\n"
    "  In Colab: Runtime > Change runtime type > Hardware accelerator: a GPU (e.g. T4), "
    "then run the notebook again from the top.\n"
    "  On your own machine: create the conda environment in environment-gpu.yml."
)


# The oldest versions with which every chapter runs, found by bisection (docs/benchmarks.md,
# "Version floor"): Keras 3.2.1 cannot reload Chapter 4's saved model, TensorFlow 2.15.1 fails
# Chapter 2's RandomTranslation, and TensorFlow 2.16 allows no NumPy older than 1.23.5.
# pyproject.toml declares the same; the "floor" row of .ci/run installs exactly these.
MINIMUM_VERSIONS = {"tensorflow": "2.16.1", "keras": "3.3.0", "numpy": "1.23.5"}


class EnvironmentProblem(CourseError, RuntimeError):
    """The environment cannot run the course; the message says how to fix it."""


def in_colab() -> bool:
    return "google.colab" in sys.modules


def missing_packages(packages: dict[str, str] = RUNTIME_PACKAGES) -> list[str]:
    """Pip names of the packages whose import name cannot be found."""
    return [pip_name for module, pip_name in packages.items() if importlib.util.find_spec(module) is None]


def install_missing(packages: dict[str, str] = RUNTIME_PACKAGES) -> list[str]:
    """Pip-install only what is missing; returns what was installed."""
    missing = missing_packages(packages)
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)
    return missing


def version_tuple(version: str) -> tuple[int, ...]:
    """The leading numbers of a version string: "2.16.0rc1" -> (2, 16, 0), "3.1.1" -> (3, 1, 1)."""
    leading = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(number) for number in leading.group().split(".")) if leading else ()


def too_old(installed: dict[str, str], minimum: dict[str, str] = MINIMUM_VERSIONS) -> dict[str, str]:
    """The packages of ``installed`` (name -> version) that are older than ``minimum`` asks."""
    return {
        name: version
        for name, version in installed.items()
        if name in minimum and version_tuple(version) < version_tuple(minimum[name])
    }


def require_versions(installed: dict[str, str], minimum: dict[str, str] = MINIMUM_VERSIONS) -> None:
    """Raise :class:`EnvironmentProblem`, in one sentence that says what to do, when a package of
    ``installed`` (name -> version, e.g. ``{"keras": keras.__version__}``) is older than ``minimum``."""
    old = too_old(installed, minimum)
    if not old:
        return
    display = {"tensorflow": "TensorFlow", "keras": "Keras", "numpy": "NumPy"}
    have = ", ".join(f"{display.get(name, name)} {version}" for name, version in old.items())
    needs = [f"{display.get(name, name)} {version}" for name, version in minimum.items()]
    need = ", ".join(needs[:-1]) + " and " + needs[-1] if len(needs) > 1 else needs[0]
    pins = " ".join(f'"{name}>={version}"' for name, version in minimum.items())
    raise EnvironmentProblem(
        f"This runtime has {have}, but the course needs {need} or newer: in Colab, choose "
        "Runtime > Change runtime type, set the runtime version to Latest and run the notebook "
        f"again from the top; on your own machine, run pip install -U {pins} and restart the kernel."
    )


def runtime_summary(gpus: list[str]) -> str:
    """One line a learner can compare with a chapter's times: cores, memory, GPU."""
    memory = memory_gb()
    parts = [f"{os.cpu_count() or '?'} CPU cores"]
    if memory:
        parts.append(f"{memory:.0f} GB of memory")
    parts.append(f"GPU: {', '.join(gpus)}" if gpus else "no GPU")
    return "Your runtime: " + ", ".join(parts)


class _HideRetracingNotes(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" notes and nothing else."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


def prepare(gpu_needed: bool = True, verbose: bool = True) -> dict[str, object]:
    """Run the checks every chapter starts with; returns what it found.

    ``gpu_needed=False`` (chapters with no training) turns the missing-GPU warning into a note.
    """
    installed = install_missing() if in_colab() else []
    import keras
    import numpy
    import tensorflow as tf

    require_versions({"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": numpy.__version__})
    # The chapters' tf.data pipelines shuffle themselves; model.fit's default shuffle=True
    # only makes Keras warn about that on every training cell.
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed, but will be ignored")
    # A notebook that builds several models and predicts on differently shaped batches makes
    # TensorFlow trace again, which is expected here; its note about it reads like an error.
    if not any(isinstance(f, _HideRetracingNotes) for f in tf.get_logger().filters):
        tf.get_logger().addFilter(_HideRetracingNotes())
    if smoke.is_quick():
        # Why: smoke runs and grading train and predict on a few dozen images, where turning
        # each Keras function into a graph first costs more than running it step by step: a
        # chapter's quick run that trains takes about a fifth less time eagerly, one that
        # loads the course's models about the same (docs/benchmarks.md). Full runs keep
        # their graphs; the benchmarks, which train the chapters' models in graphs even on
        # small data, are where the tests still trace them.
        tf.config.run_functions_eagerly(True)
        # tf.data still builds its graphs and warns so on stderr at each pipeline, and nbgrader
        # gives no points to a test cell that wrote to stderr.
        warnings.filterwarnings("ignore", message="Even though the `tf.config.experimental_run_functions_eagerly`")
    gpus = gpu_names()
    report = {
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "gpus": gpus,
        "colab": in_colab(),
        "installed": installed,
        "mode": smoke.describe(),
    }
    if verbose:
        where = "Google Colab" if report["colab"] else "a local Python"
        print(f"Running in {where}: Python {report['python']}, TensorFlow {tf.__version__}, Keras {keras.__version__}")
        if installed:
            print("Installed what was missing:", ", ".join(installed))
        print(runtime_summary(gpus))
        if not gpus:
            print(("WARNING: " + GPU_ADVICE) if gpu_needed else "No GPU attached; this chapter does not need one.")
        print(report["mode"])
    return report
