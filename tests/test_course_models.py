"""The trained-model switch: the course's weights load from a server (here 127.0.0.1), and a
missing, corrupt or unfitting file says to train instead."""

from __future__ import annotations

import hashlib
import json
import warnings

import keras
import numpy as np
import pytest

from cnn_course import course_models
from tests.helpers import ROOT, serve


def tiny_model(units: int = 4):
    inputs = keras.Input(shape=(3,))
    return keras.Model(inputs, keras.layers.Dense(units)(inputs), name="tiny")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def published(tmp_path, monkeypatch):
    """A trained tiny model's two files, registered as the course's 'tiny' entry."""
    model = tiny_model()
    model.set_weights([np.arange(12, dtype="float32").reshape(3, 4), np.ones(4, dtype="float32")])
    model.save_weights(tmp_path / "tiny.weights.h5")
    weights = (tmp_path / "tiny.weights.h5").read_bytes()
    history = json.dumps(
        {"history": {"loss": [1.0, 0.5], "accuracy": [0.5, 0.9]}, "seconds": 12.5, "hardware": "a test machine"}
    ).encode()
    monkeypatch.setitem(
        course_models.TRAINED,
        "tiny",
        course_models.TrainedModel(
            weights=course_models.ModelFile("tiny.weights.h5", sha256(weights), len(weights)),
            history=course_models.ModelFile("tiny.history.json", sha256(history), len(history)),
            description="a tiny test model",
        ),
    )
    return {"/models/tiny.weights.h5": weights, "/models/tiny.history.json": history}, model


def load(files, tmp_path, monkeypatch, model=None):
    with serve(files) as base:
        monkeypatch.setenv(course_models.MODELS_URL_VARIABLE, f"{base}/models")
        return course_models.load(
            model or tiny_model(),
            "tiny",
            "https://github.com/someone/course",
            cache_dir=tmp_path / "cache",
            log=lambda *_: None,
        )


def test_the_weights_load_and_the_history_comes_back(published, tmp_path, monkeypatch):
    files, original = published
    model = tiny_model()
    history = load(files, tmp_path, monkeypatch, model)
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), original.predict(x, verbose=0), rtol=1e-6)
    assert history.history["loss"] == [1.0, 0.5] and history.epoch == [0, 1]
    assert history.seconds == 12.5 and history.where == course_models.COURSE_RUN


def test_a_compiled_model_loads_without_a_warning_about_its_optimizer(published, tmp_path, monkeypatch, recwarn):
    files, _ = published
    model = tiny_model()
    model.compile(optimizer="adam", loss="mse")  # as the chapters do before training or loading
    load(files, tmp_path, monkeypatch, model)
    assert not [str(warning.message) for warning in recwarn if "optimizer" in str(warning.message)]


def test_a_loaded_model_saved_as_keras_reloads_without_a_warning_about_its_optimizer(
    published, tmp_path, monkeypatch, recwarn
):
    # Chapter 2's saving lesson: the loaded model is saved whole and loaded back.
    files, _ = published
    model = tiny_model()
    model.compile(optimizer="adam", loss="mse")
    load(files, tmp_path, monkeypatch, model)
    model.save(tmp_path / "whole.keras")
    recwarn.clear()
    keras.models.load_model(tmp_path / "whole.keras")
    assert not [str(warning.message) for warning in recwarn if "optimizer" in str(warning.message)]


def test_a_missing_file_says_to_train_instead(published, tmp_path, monkeypatch):
    files, _ = published
    del files["/models/tiny.weights.h5"]
    with pytest.raises(course_models.CourseWeightsError, match="TRAIN_MODELS = True") as error:
        load(files, tmp_path, monkeypatch)
    assert "HTTP 404" in str(error.value)


def test_a_corrupt_file_is_refused_and_not_kept(published, tmp_path, monkeypatch):
    files, _ = published
    data = bytearray(files["/models/tiny.weights.h5"])
    data[-100] ^= 0xFF  # the same size, another hash
    files["/models/tiny.weights.h5"] = bytes(data)
    with pytest.raises(course_models.CourseWeightsError, match="checksum mismatch"):
        load(files, tmp_path, monkeypatch)
    assert not (tmp_path / "cache" / "tiny.weights.h5").exists()


def test_weights_for_another_model_say_so(published, tmp_path, monkeypatch):
    files, _ = published
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with pytest.raises(course_models.CourseWeightsError, match="do not fit the model"):
            load(files, tmp_path, monkeypatch, tiny_model(units=7))
    skipped = [str(w.message) for w in shown if "Skipping" in str(w.message)]
    assert not skipped, f"the error says it all; Keras's notes on what it skipped only confuse: {skipped}"


def test_a_part_that_keras_skips_without_an_error_is_an_error(tmp_path):
    class SkipsABlock:  # what a Keras that warns instead of raising does with weights that half fit
        def load_weights(self, path):
            warnings.warn("Skipping nested container at 'block': no matching group found.", stacklevel=2)

    with pytest.raises(ValueError, match="only part of the weights loaded: Skipping nested container"):
        course_models.load_weights_quietly(SkipsABlock(), tmp_path / "model.weights.h5")


def test_other_notes_from_loading_still_reach_the_caller(tmp_path):
    class NotesSomething:
        def load_weights(self, path):
            warnings.warn("Skipping variable loading for optimizer 'adam'", stacklevel=2)  # a fresh optimizer
            warnings.warn("something else worth knowing", stacklevel=2)

    with pytest.warns(UserWarning, match="something else worth knowing") as shown:
        course_models.load_weights_quietly(NotesSomething(), tmp_path / "model.weights.h5")
    assert len(shown) == 1


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(course_models.CourseWeightsError, match="no trained weights called 'nope'"):
        course_models.load(tiny_model(), "nope", "https://github.com/someone/course")


def test_the_address_follows_the_configured_repository(monkeypatch):
    monkeypatch.delenv(course_models.MODELS_URL_VARIABLE, raising=False)
    assert course_models.models_url("https://github.com/a/b/", "trunk") == "https://github.com/a/b/raw/trunk/models"


@pytest.mark.parametrize("name", sorted(course_models.TRAINED))
def test_every_registered_file_is_in_the_repository_with_its_pinned_hash(name):
    entry = course_models.TRAINED[name]
    for file in (entry.weights, entry.history):
        data = (ROOT / "models" / file.name).read_bytes()
        assert (len(data), sha256(data)) == (file.size, file.sha256), f"models/{file.name} does not match its pin"
