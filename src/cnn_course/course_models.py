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
COURSE_RUN = "the course's own training run on a CPU"


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
            "99094d8878ebb7bc1e2b61f017e96f8dee264fe0a097077be461fc6866f33acb",
            19200632,
        ),
        history=ModelFile(
            "cats_dogs_plain_cnn.history.json", "83ae94d96b05b812efaa9c1400d2b7db4a19a1edc43796465b475bd6b4b20e1b", 868
        ),
        description="the first CNN of Chapter 3 with dropout 0.5, without augmentation, 11 epochs on the 2,000 "
        "training photos of the default download (69.4% on its validation photos, 70.2% on its test photos)",
    ),
    "cats_dogs_first_cnn": TrainedModel(
        weights=ModelFile(
            "cats_dogs_first_cnn.weights.h5",
            "9bad2c86c421c546f8d484219c6f789f7c5ec305e5315d186c21f38b7685324a",
            19200632,
        ),
        history=ModelFile(
            "cats_dogs_first_cnn.history.json", "a7aaf4a81446430f88c5385c84f934e0f658e0458072321d2ca55fa6d05cbff4", 2485
        ),
        description="the first CNN of Chapter 3 with dropout 0.5 and augmentation, 46 epochs on the 2,000 "
        "training photos of the default download (75.8% on its validation photos, 74.8% on its test photos)",
    ),
    "cats_dogs_better_cnn": TrainedModel(
        weights=ModelFile(
            "cats_dogs_better_cnn.weights.h5",
            "e2db7d9f140a8b086348f1a429524a3e0299e4a08c3546c121cece28ff816303",
            4745504,
        ),
        history=ModelFile(
            "cats_dogs_better_cnn.history.json",
            "1c76a90977645d25bd15e94e8be0fbb46b3a2e6fa1d246131b42f4573b4af08c",
            2314,
        ),
        description="the better CNN of Chapter 3, 72 epochs on the 2,000 training photos of the default download "
        "(with test-time flips: 89.2% on its validation photos, 91.4% on its test photos)",
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


class CourseWeightsError(CourseError):
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


def load_weights_quietly(model, path: Path) -> None:
    """``model.load_weights(path)`` for a file of weights only, saying only what matters.

    A compiled model's fresh optimizer has no state in the file, and Keras would note that every
    time. Weights that do not fit raise ``ValueError``, which the callers explain; Keras's notes
    about the parts it skipped, which come first and say those layers keep their fresh weights,
    are dropped. A Keras that only warns about a skipped part, without raising, would leave a
    half-loaded model: that raises ``ValueError`` here too."""
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")  # every note is kept here; the caller's filters apply below
        warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
        model.load_weights(path)
    for note in notes:
        if str(note.message).startswith("Skipping"):
            raise ValueError(f"only part of the weights loaded: {note.message}")
    for note in notes:
        warnings.warn_explicit(note.message, note.category, note.filename, note.lineno)


def build_optimizer(model) -> None:
    """Give a compiled model's optimizer its (fresh) state, as a trained model's has.

    Why: the course ships weights only, so a loaded model's optimizer has never run. Saved as
    a ``.keras`` file, it would hold 2 optimizer variables where the reloaded model's has one
    per weight and moment, and ``keras.models.load_model`` would warn that it skipped them."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def history_from_record(record: dict, where: str) -> TrainedHistory:
    """A kept run's ``{"history": {metric: values}, "seconds": s}`` as a :class:`TrainedHistory`."""
    history = {key: [float(v) for v in values] for key, values in record["history"].items()}
    epochs = len(next(iter(history.values()), []))
    return TrainedHistory(history, list(range(epochs)), float(record["seconds"]), where)


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
        raise CourseWeightsError(
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

    Raises :class:`CourseWeightsError`, saying to train instead, when the files cannot be
    downloaded, fail their SHA-256 check, or do not fit the model."""
    if name not in TRAINED:
        known = ", ".join(sorted(TRAINED)) or "none yet"
        raise CourseWeightsError(
            f"the course has no trained weights called {name!r} (it has: {known}). "
            "Set TRAIN_MODELS = True at the top of the chapter and train the model."
        )
    entry = TRAINED[name]
    base = models_url(repository, branch)
    weights = _fetch(entry.weights, base, f"trained weights of {name}", cache_dir, policy, log)
    history_file = _fetch(entry.history, base, f"training history of {name}", cache_dir, policy, log)
    try:
        load_weights_quietly(model, weights)
    except (ValueError, OSError) as error:
        raise CourseWeightsError(
            f"the trained weights in {weights} do not fit the model {model.name!r} ({error}). They belong to the "
            "chapter's own code: if you changed the model, set TRAIN_MODELS = True and train it."
        ) from None
    build_optimizer(model)
    history = history_from_record(json.loads(history_file.read_text(encoding="utf-8")), COURSE_RUN)
    log(f"loaded the course's trained weights for {model.name}: {entry.description}")
    return history
