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
import warnings
from dataclasses import dataclass
from pathlib import Path

from cnn_course.data.downloads import DownloadError, DownloadPolicy, RemoteFile, fetch
from cnn_course.errors import CourseError

MODELS_URL_VARIABLE = "CNN_COURSE_MODELS_URL"
# How a chapter labels the training time of loaded weights: never as the learner's own.
COURSE_RUN = "the course's benchmark run on a CPU"


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


# Written by the benchmark runs recorded in docs/benchmarks.md (`cnn-course benchmark NN --save-weights models`).
TRAINED: dict[str, TrainedModel] = {
    "cats_dogs_plain_cnn": TrainedModel(
        weights=ModelFile(
            "cats_dogs_plain_cnn.weights.h5",
            "e5459062fba76d0b0326a04e8e62ba42de09299ea365bb2ca0f0677700cb0dcc",
            19200632,
        ),
        history=ModelFile(
            "cats_dogs_plain_cnn.history.json", "7ca4a277c38a345af61208223617a9cd5a2362008d0ababe52d8e639d1f77bc4", 653
        ),
        description="the first CNN of Chapter 3 without augmentation or dropout, 8 epochs "
        "(68.50% on 1,200 held-out photos)",
    ),
    "cats_dogs_first_cnn": TrainedModel(
        weights=ModelFile(
            "cats_dogs_first_cnn.weights.h5",
            "e374fed81c3760c0f9a03777aa86ce017c1e2f504ad804157fe4d8aea9e30c89",
            19200632,
        ),
        history=ModelFile(
            "cats_dogs_first_cnn.history.json", "9a4942ddf46812e8701f26c737989f272e0e44d837f56cee710b2c2ee7555aed", 3038
        ),
        description="the first CNN of Chapter 3 with augmentation and dropout 0.5, 60 "
        "epochs (71.33% on 1,200 held-out photos)",
    ),
    "cats_dogs_better_cnn": TrainedModel(
        weights=ModelFile(
            "cats_dogs_better_cnn.weights.h5",
            "eb0525c74c1ce9b9727ed53c9c0a7ec0a8c086c0fdfa6ef4f4e2f6a290cbef59",
            4745504,
        ),
        history=ModelFile(
            "cats_dogs_better_cnn.history.json",
            "2cb713d2a861cb65d6cbfc0ea09265cb9481e9ec93a62cf8d784afe371fc8769",
            2240,
        ),
        description="the better CNN of Chapter 3, 72 epochs on the 2,000 dev training "
        "photos (88.92% on 1,200 held-out photos with test-time flips)",
    ),
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
    ``seconds`` that training took and ``where`` it ran, in words for the learner."""

    history: dict[str, list[float]]
    epoch: list[int]
    seconds: float
    where: str


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
        with warnings.catch_warnings():
            # The files hold the model's weights, not an optimizer's state: a compiled model's
            # fresh optimizer has nothing to load, and Keras would warn about it every time.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
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
    return TrainedHistory(history, list(range(epochs)), float(record["seconds"]), COURSE_RUN)
