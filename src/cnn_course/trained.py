"""The course's trained weights: skip a long training cell and carry on with a trained model.

Every chapter whose training takes long on a CPU has one switch near its top
(``TRAIN_MODELS = True``). Set it to ``False`` and, instead of training, the chapter calls
:func:`load`, which downloads what the course's benchmark run produced (``models/<name>.weights.h5``
and ``models/<name>.history.json`` in the course repository) once into the cache, checks
their SHA-256 pinned below, loads the weights into the model the chapter has just built and
returns the run's history, so the curves and tables after it still have something to show.
The files hold weights only (no optimizer state), so they stay small.

``CNN_COURSE_MODELS_URL`` replaces the repository as the place to download from (a mirror;
the tests' server on 127.0.0.1).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cnn_course.data.downloads import DownloadError, DownloadPolicy, RemoteFile, fetch
from cnn_course.errors import CourseError

MODELS_URL_VARIABLE = "CNN_COURSE_MODELS_URL"


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class TrainedModel:
    weights: ModelFile  # <name>.weights.h5: the weights only
    history: ModelFile  # <name>.history.json: loss and accuracy per epoch, seconds, hardware
    description: str


# Written by the benchmark runs recorded in the README (`cnn-course benchmark NN --save-weights models`).
TRAINED: dict[str, TrainedModel] = {
    "cifar10_better_cnn": TrainedModel(
        weights=ModelFile(
            "cifar10_better_cnn.weights.h5", "140fedce275d70b3ccb8fc37061de9e6c6cb7ced9cddd4cbbdce4eb64f176088", 7923448
        ),
        history=ModelFile(
            "cifar10_better_cnn.history.json", "aa992a668c3e6fd59f3ce7114bf9e4a73882c9140a3964c75f5f438d8c31d69f", 826
        ),
        description="the better CNN of Chapter 2, 18 epochs on 41,666 CIFAR-10 images "
        "(90.11% held out, with test-time flips and shifts)",
    ),
    "cifar10_first_cnn": TrainedModel(
        weights=ModelFile(
            "cifar10_first_cnn.weights.h5", "23d33dd46f2bf59a1ef373e175b15a27f013ac4c081f069809ab607acc51fe1d", 1946896
        ),
        history=ModelFile(
            "cifar10_first_cnn.history.json", "d73a3984342bbdd3987b448007a7843345b08efed0a41969039bd0dadd61e948", 1497
        ),
        description="the first CNN of Chapter 2, 23 epochs on 37,499 CIFAR-10 images (73.1% on the held-out split)",
    ),
}


class TrainedWeightsError(CourseError):
    """The trained weights could not be had or do not fit; the message says to train instead."""


@dataclass
class TrainedHistory:
    """What ``model.fit`` would have returned, as recorded by the run that trained the weights:
    ``history`` (metric -> value per epoch) and ``epoch`` like Keras's History, plus the
    ``seconds`` that training took and the ``hardware`` it ran on."""

    history: dict[str, list[float]]
    epoch: list[int]
    seconds: float
    hardware: str


def models_url(repository: str, branch: str) -> str:
    """Where the repository's ``models/`` folder is served (GitHub's raw files), unless
    ``CNN_COURSE_MODELS_URL`` names another place."""
    return (os.environ.get(MODELS_URL_VARIABLE) or f"{repository.rstrip('/')}/raw/{branch}/models").rstrip("/")


def _fetch(file: ModelFile, base_url: str, what: str, cache_dir, policy, log) -> Path:
    remote = RemoteFile(
        name=file.name, sha256=file.sha256, size=file.size, urls=(f"{base_url}/{file.name}",), description=what
    )
    try:
        return fetch(remote, cache_dir, policy, log=log)
    except DownloadError as error:
        raise TrainedWeightsError(
            f"{error}\nOr train the model yourself: set TRAIN_MODELS = True at the top of the chapter and run it again."
        ) from None


def load(
    model,
    name: str,
    repository: str,
    branch: str = "main",
    cache_dir: Path | None = None,
    policy: DownloadPolicy | None = None,
    log=print,
) -> TrainedHistory:
    """Load the course's trained weights ``name`` into ``model`` (built by the chapter's own
    code) and return the history of the run that trained them.

    Raises :class:`TrainedWeightsError`, saying to train instead, when the files cannot be
    downloaded, fail their SHA-256 check, or do not fit the model."""
    if name not in TRAINED:
        known = ", ".join(sorted(TRAINED)) or "none yet"
        raise TrainedWeightsError(
            f"the course has no trained weights called {name!r} (it has: {known}). "
            "Set TRAIN_MODELS = True at the top of the chapter and train the model."
        )
    entry = TRAINED[name]
    base = models_url(repository, branch)
    weights = _fetch(entry.weights, base, f"trained weights of {name}", cache_dir, policy, log)
    history_file = _fetch(entry.history, base, f"training history of {name}", cache_dir, policy, log)
    try:
        model.load_weights(weights)
    except (ValueError, OSError) as error:
        raise TrainedWeightsError(
            f"the trained weights in {weights} do not fit the model {model.name!r} ({error}). They belong to the "
            "chapter's own code: if you changed the model, set TRAIN_MODELS = True and train it."
        ) from None
    record = json.loads(history_file.read_text(encoding="utf-8"))
    history = {key: [float(v) for v in values] for key, values in record["history"].items()}
    epochs = len(next(iter(history.values()), []))
    log(f"loaded the course's trained weights for {model.name}: {entry.description}")
    return TrainedHistory(history, list(range(epochs)), float(record["seconds"]), str(record["hardware"]))
