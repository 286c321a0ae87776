"""VGG16 at full size (structure only, no download), the weights message, and the submission check."""

from __future__ import annotations

import keras
import pytest

from cnn_course import kaggle_submission, transfer
from cnn_course.training import trainable_count


@pytest.fixture(scope="module")
def frozen_model():
    base = transfer.vgg16_base(weights=None)
    base.trainable = False
    x = keras.layers.Flatten()(base.output)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dropout(0.4)(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    return base, keras.Model(base.input, outputs)


def test_the_full_size_frozen_model_has_the_documented_counts(frozen_model):
    base, model = frozen_model
    assert len(base.layers) == 19 and len(model.layers) == 23
    assert model.count_params() == 16_812_353
    assert trainable_count(model) == 2_097_665
    assert base.layers[-2].name == "block5_conv3", "reachable by name for Grad-CAM"
    assert model.get_layer("block5_conv3") is base.get_layer("block5_conv3"), "one flat model, not a nested one"


def test_unfreezing_the_last_block_adds_its_three_convolutions(frozen_model):
    base, model = frozen_model
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name.startswith("block5")
    try:
        block5 = sum(trainable_count(base.get_layer(f"block5_conv{i}")) for i in (1, 2, 3))
        assert block5 == 3 * (3 * 3 * 512 * 512 + 512)
        assert trainable_count(model) == 2_097_665 + block5
    finally:
        base.trainable = False


def test_a_failed_weights_download_says_how_to_bring_the_file(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3] name resolution")

    monkeypatch.setattr(keras.applications, "VGG16", offline)
    with pytest.raises(transfer.VGG16WeightsError) as error:
        transfer.vgg16_base()
    message = str(error.value)
    assert "could not download VGG16's ImageNet weights" in message
    assert transfer.VGG16_NO_TOP_URL in message and "weights='/path/to/" in message and "weights=None" in message


def test_a_missing_local_weights_file_is_named(tmp_path):
    with pytest.raises(transfer.VGG16WeightsError, match="there is no weights file at"):
        transfer.vgg16_base(weights=tmp_path / "nope.h5")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_submission_passes(tmp_path):
    good = write(tmp_path / "good.csv", "id,label\n1,0.995\n2,0.005\n3,0.5\n")
    assert kaggle_submission.check(good, expected_ids=[1, 2, 3]) == 3


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "the file is empty"),
        ("id,label\n", "a header but no rows"),
        ("ID;label\n1;0.5\n", "must be exactly 'id,label'"),
        ("id,label\n1,0.5,extra\n2,0.5\n3,0.5\n", "line 2 has 3 values instead of 2"),
        ("id,label\n1,dog\n2,0.5\n3,0.5\n", "the label 'dog' is not a number"),
        ("id,label\n1,1.2\n2,0.5\n3,0.5\n", "strictly between 0 and 1"),
        ("id,label\n1,1\n2,0.5\n3,0.5\n", "infinite log loss"),
        ("id,label\n1,nan\n2,0.5\n3,0.5\n", "strictly between 0 and 1"),
        ("id,label\n1,0.5\n1,0.4\n2,0.5\n3,0.5\n", "id 1 appears twice (lines 2 and 3)"),
        ("id,label\n1,0.5\n2,0.5\n", "1 photo(s) have no row, e.g. id 3"),
        ("id,label\n1,0.5\n2,0.5\n3,0.5\n99,0.5\n", "not in the test folder, e.g. 99"),
    ],
)
def test_each_kind_of_bad_submission_is_rejected(tmp_path, text, fragment):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(kaggle_submission.SubmissionError) as error:
        kaggle_submission.check(path, expected_ids=["1", "2", "3"])
    assert fragment in str(error.value)


def test_a_missing_file_is_named(tmp_path):
    assert kaggle_submission.problems(tmp_path / "none.csv") == [f"there is no file {tmp_path / 'none.csv'}"]
