# ---
# jupyter:
#   accelerator: GPU
#   colab:
#     gpuType: T4
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 4: Transfer learning with VGG16
#
# Chapter 3 trained CNNs from scratch on 2,000 photos. Here we start from **VGG16**, a
# network trained on 1.2 million ImageNet photos of 1,000 kinds of things, many of them
# cats and dogs. Its convolutional layers already know edges, textures, fur and eyes; we
# keep them and train only a small new classifier on top. Then we fine-tune its last
# block, compare every model of Chapters 3 and 4, see where VGG16 looks, and write a
# Kaggle-style submission file.
#
# **You will write:** VGG16's preprocessing, the frozen model, a classifier on bottleneck
# features, the fine-tuning switch, and the submission writer.
#
# **Exercises.** Each exercise has a cell marked `YOUR CODE HERE`: replace
# `raise NotImplementedError()` (or fill in each `____`) with your code and run the cell.
# The graded cell below it tests your answer, and the check cell after that says what is
# right or wrong. Stuck? `.hint(1)`, `.hint(2)`, ... give nudges, not the answer;
# `.solution()` shows a reference answer with a short explanation (unless your instructor
# has turned solutions off for a graded class). **Run all** stops at the first exercise
# you have not finished, with a sentence saying what is missing: finish it, then run on
# from there.
#
# **Runs on:** a GPU runtime (in Colab: *Runtime > Change runtime type > GPU*). On the
# course's 2-core CPU (AVX2) one epoch over the 2,000 training and 1,000 validation photos
# takes about 9 minutes with the base frozen and 7 fine-tuning (README, "Benchmarks",
# 2026-11-30), so the chapter's up to 35 epochs would take hours there; the whole notebook
# has not been timed, on a CPU or a GPU, because the course machine cannot download
# ImageNet's weights. The five exercises take a class about 45 minutes (an estimate, not a
# measurement); their cells run in seconds. Training keeps checkpoints, so if Colab
# disconnects, run the notebook again and it resumes.

# %% [markdown]
# ## Setup
#
# Run this cell first. In Colab it installs the course helper (and leaves TensorFlow,
# Keras and NumPy as Colab ships them); everywhere it prints the versions and checks for a
# GPU.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
COURSE_REPOSITORY = "https://github.com/cnn-course/cnn-course"
COURSE_BRANCH = "main"

import importlib.util
import subprocess
import sys

if "google.colab" in sys.modules and importlib.util.find_spec("cnn_course") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    f"cnn-course @ git+{COURSE_REPOSITORY}@{COURSE_BRANCH}"], check=True)

from cnn_course.environment import prepare

environment = prepare()

# %%
import csv
import shutil
import time
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from keras import layers
from keras.applications.vgg16 import preprocess_input

from cnn_course import (data, interpret, kaggle_submission, locations, pipelines, plotting, seeding, smoke, training,
                        transfer)
from cnn_course.checks import chapter04 as ex
from cnn_course.data.photo_folders import photos_in

SEED = seeding.set_seed()  # one call seeds Python, NumPy and TensorFlow
print(f"random seed {SEED} (set CNN_COURSE_SEED to try another)")

# %% [markdown]
# ## 1. The photos and the base
#
# The same photos as Chapter 3 (see there for `DATA_SOURCE` and `FULL_SET`), read at
# 150×150. In smoke mode (the course's tests) the photos are generated, tiny (32×32) and
# VGG16 gets random weights, so the notebook runs on a CPU in seconds.
#
# One call gives the pretrained network: `keras.applications.VGG16` with
# `include_top=False` leaves out its 1,000-class classifier and keeps the convolutional
# base; `weights="imagenet"` downloads the ImageNet weights once (58 MB, checked against
# their hash, then cached); `input_shape` sets the photo size (any size from 32×32 up works
# without the top). If the download is impossible, put the path of a copy of the file in
# `WEIGHTS_FILE`; `transfer.vgg16_base(...)` makes the same call and says where to get the
# file when it fails.

# %%
DATA_SOURCE = None   # e.g. "/content/drive/MyDrive/cats_vs_dogs"
FULL_SET = False
WEIGHTS_FILE = None  # e.g. "/content/drive/MyDrive/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"

IMAGE_SIZE = smoke.pick((150, 150), (32, 32))
photo_set = data.load_cats_vs_dogs(DATA_SOURCE, full=FULL_SET)
class_names = list(photo_set.class_names)
datasets, _ = pipelines.folder_datasets(photo_set.root, image_size=IMAGE_SIZE, batch_size=32, seed=SEED)
photo_set.counts

# %%
base = keras.applications.VGG16(
    include_top=False,                                   # no classifier: the convolutional base
    weights=WEIGHTS_FILE or smoke.pick("imagenet", None),  # smoke runs: random weights, nothing to download
    input_shape=(*IMAGE_SIZE, 3),
)
print(f"VGG16 base: {len(base.layers)} layers, {base.count_params():,} parameters, "
      f"output {tuple(base.output.shape[1:])} per photo")
print("last layers:", ", ".join(layer.name for layer in base.layers[-4:]))

# %% [markdown]
# ## 2. Feeding VGG16 the way it was trained
#
# VGG16 learned from photos prepared in one particular way: channels in **BGR** order and
# ImageNet's mean colour subtracted from every pixel (no division). Its filters expect
# values roughly between -124 and +152. `keras.applications.vgg16.preprocess_input` does
# exactly that. Careful: on a NumPy array of floats it works **in place**, so the photos
# you passed in change too.
#
# ### Exercise 1: the preprocessing call
#
# Write `vgg_preprocess(images)` that returns the images prepared for VGG16 as float32,
# without changing the array it was given.

# %% nbgrader={"grade": false, "grade_id": "vgg_preprocess", "locked": false, "schema_version": 3, "solution": true, "task": false}
def vgg_preprocess(images):
    """Images (0..255, RGB) prepared for VGG16: BGR, ImageNet mean subtracted; the input is left unchanged."""
    ### BEGIN SOLUTION
    # Why: preprocess_input changes float arrays in place; np.array makes a float32 copy first,
    # so the caller's photos stay as they were.
    return preprocess_input(np.array(images, dtype="float32"))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "vgg_preprocess_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.vgg_preprocess.grade(vgg_preprocess)
white = np.full((1, 2, 2, 3), 255.0, dtype="float32")
prepared = vgg_preprocess(white)
np.testing.assert_allclose(prepared[0, 0, 0], [255 - 103.939, 255 - 116.779, 255 - 123.68], atol=1e-3)
assert white.max() == 255.0, "the input must not change"
### BEGIN HIDDEN TESTS
hidden_images = np.random.default_rng(9).uniform(0, 255, (3, 5, 5, 3)).astype("float32")
hidden_copy = hidden_images.copy()
np.testing.assert_allclose(vgg_preprocess(hidden_images), preprocess_input(hidden_copy.copy()), atol=1e-3)
np.testing.assert_array_equal(hidden_images, hidden_copy)
assert vgg_preprocess(hidden_copy.astype("uint8")).dtype == np.float32
### END HIDDEN TESTS

# %%
ex.vgg_preprocess.check(vgg_preprocess)
# ex.vgg_preprocess.hint()
# ex.vgg_preprocess.solution()

# %%
for images, _ in datasets["train"].take(1):
    batch = images.numpy()
prepared = vgg_preprocess(batch)
print(f"photos as read:    {batch.min():7.1f} .. {batch.max():6.1f}  (RGB)")
print(f"after preprocess:  {prepared.min():7.1f} .. {prepared.max():6.1f}  (BGR, mean colour subtracted)")
print(f"scaled to [0, 1]:  {(batch / 255).min():7.1f} .. {(batch / 255).max():6.1f}  (what VGG16 was NOT trained on)")

# %% [markdown]
# In the input pipeline the same function runs on TensorFlow tensors, batch by batch. The
# training photos are augmented first, as in Chapter 3.

# %%
augmentation = pipelines.standard_augmentation(seed=SEED)
vgg_inputs = {split: pipelines.with_images(datasets[split], preprocess_input) for split in ("validation", "test")}
vgg_inputs["train"] = pipelines.with_images(pipelines.augmented(datasets["train"], augmentation), preprocess_input)

# %% [markdown]
# ## 3. A frozen base and a new head
#
# **Freezing** a layer (`trainable = False`) keeps its weights as they are during
# training. We freeze all of VGG16 and put a new head on top: Flatten, Dense 256,
# Dropout 0.4 and one sigmoid unit. We build it as **one flat model**,
# `keras.Model(base.input, head(base.output))`, not as a model inside a model, so every
# VGG16 layer stays reachable by name (Grad-CAM needs `block5_conv3` later).
#
# ### Exercise 2: build the frozen model
#
# Write `build_frozen_model(base)` that freezes `base` and returns the flat model. At
# 150×150 it has 16,812,353 parameters, 2,097,665 of them trainable (the head), 19 layers
# in the base and 23 in all.

# %% nbgrader={"grade": false, "grade_id": "build_frozen_model", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_frozen_model(base):
    """VGG16 frozen, with a new head: Flatten, Dense 256, Dropout 0.4, Dense 1 (sigmoid)."""
    ### BEGIN SOLUTION
    # Why: Freezing keeps ImageNet's weights; building the head on base.output and the model
    # from base.input gives one flat model whose VGG16 layers stay reachable by name.
    #: base.trainable = ____
    #: x = layers.Flatten()(____)
    #: x = layers.Dense(____, activation=____)(x)
    #: x = ____
    #: dog_probability = ____
    #: return keras.Model(____, dog_probability, name="vgg16_cats_dogs")
    base.trainable = False
    x = layers.Flatten()(base.output)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    dog_probability = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(base.input, dog_probability, name="vgg16_cats_dogs")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "build_frozen_model_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.frozen_model.grade(build_frozen_model)
full_size = build_frozen_model(transfer.vgg16_base((150, 150, 3), weights=None))
assert full_size.count_params() == 16_812_353, f"got {full_size.count_params():,} parameters"
assert training.trainable_count(full_size) == 2_097_665
### BEGIN HIDDEN TESTS
assert len(full_size.layers) == 23
assert [type(layer).__name__ for layer in full_size.layers[-4:]] == ["Flatten", "Dense", "Dropout", "Dense"]
assert full_size.get_layer("block5_conv3").output.shape[1:] == (9, 9, 512)
assert not full_size.get_layer("block1_conv1").trainable
assert np.isclose(full_size.layers[-2].get_config()["rate"], 0.4)
### END HIDDEN TESTS

# %%
ex.frozen_model.check(build_frozen_model)
# ex.frozen_model.hint()
# ex.frozen_model.solution()

# %% [markdown]
# The structure, checked at full size (150×150, without downloading anything):

# %%
full_base = transfer.vgg16_base((150, 150, 3), weights=None)
full_size = build_frozen_model(full_base)
structure = pd.Series({
    "layers in the base": len(full_base.layers),
    "layers in all": len(full_size.layers),
    "parameters": full_size.count_params(),
    "trainable parameters": training.trainable_count(full_size),
    "block5_conv3 reachable": full_size.get_layer("block5_conv3") is full_base.get_layer("block5_conv3"),
}, name="frozen VGG16 + head at 150×150", dtype=object)
assert (structure.iloc[:4].tolist() == [19, 23, 16_812_353, 2_097_665]) and structure.iloc[4]
structure

# %% [markdown]
# Now the model we train, on the photos at the size we read them:

# %%
frozen_model = build_frozen_model(base)
frozen_model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="binary_crossentropy", metrics=["accuracy"])
print(f"{frozen_model.count_params():,} parameters, {training.trainable_count(frozen_model):,} trainable")

# %% [markdown]
# ## 4. Training the head, end to end
#
# Every photo goes through all of VGG16 in every epoch (augmented, so each pass differs);
# only the head learns. The callbacks are Chapter 3's.

# %%
started = time.perf_counter()
frozen_history = frozen_model.fit(
    vgg_inputs["train"], validation_data=vgg_inputs["validation"], epochs=smoke.epochs(20),
    callbacks=training.resumable_callbacks("vgg16_frozen", patience=4),
)
frozen_seconds = time.perf_counter() - started
frozen_epochs = len(frozen_history.epoch)
print(f"trained for {frozen_epochs} epoch(s) in {frozen_seconds:.0f} s ({frozen_seconds / frozen_epochs:.1f} s per epoch)")

# %%
plotting.show_history({"frozen VGG16 + head": frozen_history.history}, "Frozen VGG16 with a new head: loss and accuracy")
plt.show()

# %%
_, frozen_accuracy = frozen_model.evaluate(vgg_inputs["test"], verbose=0)
print(f"frozen VGG16 + head: test accuracy {frozen_accuracy:.1%}")

# %% [markdown]
# ## 5. Bottleneck features: run the base once
#
# The frozen base gives the same output for the same photo every time. So instead of
# running it in every epoch, run it **once** over every photo, save its outputs (the
# "bottleneck features") and train the head on those: seconds instead of minutes. The
# price: no augmentation, since each photo is seen in one version only.

# %%
def extract(split):
    """Base outputs and labels for one split, in a single pass so they stay paired, with a progress bar."""
    batches = pipelines.with_images(datasets[split], preprocess_input)  # no augmentation: one clean version
    progress = keras.utils.Progbar(int(batches.cardinality()), unit_name="batch")
    features, labels = [], []
    for images, batch_labels in batches:
        features.append(base.predict_on_batch(images))
        labels.append(batch_labels.numpy().ravel())
        progress.add(1)
    return np.concatenate(features), np.concatenate(labels).astype(int)


feature_folder = locations.work_folder() / "features"  # on Drive when it is mounted
feature_folder.mkdir(exist_ok=True)
bottleneck = {}
started = time.perf_counter()
for split in datasets:  # train, validation, test
    bottleneck[split] = extract(split)
    np.save(feature_folder / f"{split}_features.npy", bottleneck[split][0])
    np.save(feature_folder / f"{split}_labels.npy", bottleneck[split][1])
extraction_seconds = time.perf_counter() - started
extracted = sum(len(labels) for _, labels in bottleneck.values())
print(f"{extracted} photos through the base in {extraction_seconds:.1f} s ({extracted / extraction_seconds:.0f} photos/s); "
      f"features {bottleneck['train'][0].shape[1:]} per photo, saved in {feature_folder}/")

# %% [markdown]
# The training split is shuffled, so features and labels are collected in the same pass
# to stay paired. The arrays on disk load back with `np.load` in a later session.
#
# ### Exercise 3: a classifier on bottleneck features
#
# Write `build_bottleneck_classifier(feature_shape)` that returns a compiled model:
# `keras.Input(shape=feature_shape)`, then the same head as before (Flatten, Dense 256 with
# ReLU, Dropout 0.4, Dense 1 with sigmoid), compiled with Adam, binary cross-entropy and
# accuracy.

# %% nbgrader={"grade": false, "grade_id": "build_bottleneck_classifier", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_bottleneck_classifier(feature_shape):
    """The head alone, on saved base outputs of ``feature_shape``, compiled and ready to fit."""
    ### BEGIN SOLUTION
    # Why: The features already went through the base, so the input has their shape and only the
    # head is left to train; one sigmoid unit calls for binary cross-entropy.
    #: classifier = keras.Sequential([
    #:     keras.Input(shape=____),
    #:     # ... the same four head layers as in the frozen model ...
    #: ])
    #: classifier.compile(optimizer=keras.optimizers.Adam(1e-4), loss=____, metrics=[____])
    #: return ____
    head_only = keras.Sequential([
        keras.Input(shape=feature_shape),
        layers.Flatten(),
        layers.Dense(256, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(1, activation="sigmoid"),
    ], name="bottleneck_classifier")
    head_only.compile(optimizer=keras.optimizers.Adam(1e-4), loss="binary_crossentropy", metrics=["accuracy"])
    return head_only
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "build_bottleneck_classifier_tests", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
ex.bottleneck_classifier.grade(build_bottleneck_classifier)
sample_classifier = build_bottleneck_classifier((4, 4, 512))
assert sample_classifier.count_params() == 2_097_665
assert sample_classifier.output_shape == (None, 1)
### BEGIN HIDDEN TESTS
assert build_bottleneck_classifier((1, 1, 512)).count_params() == 512 * 256 + 256 + 257
assert sample_classifier.compiled
hidden_features = np.random.default_rng(0).normal(size=(8, 4, 4, 512)).astype("float32")
hidden_history = sample_classifier.fit(hidden_features, np.array([0, 1] * 4), epochs=1, verbose=0)
assert len(hidden_history.history["loss"]) == 1
### END HIDDEN TESTS

# %%
ex.bottleneck_classifier.check(build_bottleneck_classifier)
# ex.bottleneck_classifier.hint()
# ex.bottleneck_classifier.solution()

# %%
(train_features, train_labels), (val_features, val_labels), (test_features, test_labels) = (
    bottleneck[split] for split in ("train", "validation", "test"))
classifier = build_bottleneck_classifier(train_features.shape[1:])
started = time.perf_counter()
classifier_history = classifier.fit(train_features, train_labels, validation_data=(val_features, val_labels),
                                    epochs=smoke.epochs(30), batch_size=32,
                                    callbacks=training.resumable_callbacks("vgg16_bottleneck", patience=5))
classifier_seconds = time.perf_counter() - started
_, classifier_accuracy = classifier.evaluate(test_features, test_labels, verbose=0)
print(f"classifier trained in {classifier_seconds:.1f} s; test accuracy {classifier_accuracy:.1%}")

# %%
plotting.show_history({"bottleneck classifier": classifier_history.history, "frozen VGG16 + head": frozen_history.history},
                      "Head on saved features vs head trained end to end")
plt.show()

# %%
pd.DataFrame({
    "time (s)": [round(frozen_seconds, 1), round(extraction_seconds + classifier_seconds, 1)],
    "test accuracy": [frozen_accuracy, classifier_accuracy],
}, index=["head trained end to end (augmented)", "bottleneck features + classifier"]
).style.format({"test accuracy": "{:.1%}"})

# %% [markdown]
# ### What goes wrong with pixels in [0, 1]
#
# Feed the base photos scaled to [0, 1], as a from-scratch model would want, and give the
# resulting features to the classifier trained on correctly prepared ones:

# %%
wrong_features = base.predict(pipelines.with_images(datasets["validation"], lambda images: images / 255.0), verbose=0)
_, wrong_accuracy = classifier.evaluate(wrong_features, val_labels, verbose=0)
_, right_accuracy = classifier.evaluate(val_features, val_labels, verbose=0)
print(f"validation accuracy with preprocess_input: {right_accuracy:.1%}; with pixels in [0, 1]: {wrong_accuracy:.1%}")
print(f"mean feature value: {val_features.mean():.3f} vs {wrong_features.mean():.3f}")

# %% [markdown]
# VGG16 learned on values from about −124 to +152, where 0 is ImageNet's mean colour.
# Pixels in [0, 1] all sit next to 0: to VGG16 every photo looks like an almost flat patch
# of that mean colour with barely any contrast, so the features fade and the classifier
# falls towards guessing. The preprocessing is part of the pretrained model.
#
# ## 6. Fine-tuning the last block
#
# VGG16's early blocks detect general things (edges, colours, textures) that suit any
# photo; its last block detects larger, more ImageNet-specific patterns. **Fine-tuning**
# unfreezes that last block and trains it together with the head, with a learning rate
# ten times smaller, so that it adapts to cats and dogs without forgetting what it knows.
#
# The order matters. A new head starts from random weights and sends large, random
# gradients backwards; if block 5 were unfrozen from the start, those gradients would
# wreck its pretrained filters in the first steps. So: train the head first (done above),
# then fine-tune.
#
# ### Exercise 4: unfreeze the last block
#
# Write `unfreeze_last_block(model)` that makes block 5's layers of the frozen model
# trainable, keeps blocks 1 to 4 frozen and leaves the head trainable.

# %% nbgrader={"grade": false, "grade_id": "unfreeze_last_block", "locked": false, "schema_version": 3, "solution": true, "task": false}
def unfreeze_last_block(model):
    """Make block 5 and the head trainable; keep blocks 1 to 4 frozen."""
    ### BEGIN SOLUTION
    # Why: The names tell the blocks apart: block 5's layers become trainable, the other VGG16
    # layers stay frozen, and the head (no 'block' prefix) stays trainable.
    for layer in model.layers:
        layer.trainable = layer.name.startswith("block5") or not layer.name.startswith("block")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "unfreeze_last_block_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.unfreeze_last_block.grade(unfreeze_last_block)
unfreeze_last_block(full_size)
assert training.trainable_count(full_size) == 9_177_089, f"got {training.trainable_count(full_size):,}"
assert full_size.get_layer("block5_conv1").trainable
### BEGIN HIDDEN TESTS
assert not full_size.get_layer("block4_conv3").trainable and not full_size.get_layer("block1_conv1").trainable
assert full_size.layers[-1].trainable and full_size.layers[-3].trainable
### END HIDDEN TESTS

# %%
ex.unfreeze_last_block.check(unfreeze_last_block)
# ex.unfreeze_last_block.hint()
# ex.unfreeze_last_block.solution()

# %%
trainable_before = training.trainable_count(frozen_model)
unfreeze_last_block(frozen_model)
trainable_after = training.trainable_count(frozen_model)
pd.DataFrame({"trainable parameters": [trainable_before, trainable_after]},
             index=["head only (frozen base)", "block 5 + head (fine-tuning)"]).style.format("{:,}")

# %% [markdown]
# A change of `trainable` takes effect when the model is compiled again; the small
# learning rate (1e-5) keeps the updates to block 5 gentle.

# %%
frozen_model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="binary_crossentropy", metrics=["accuracy"])
started = time.perf_counter()
fine_history = frozen_model.fit(
    vgg_inputs["train"], validation_data=vgg_inputs["validation"], epochs=smoke.epochs(15),
    callbacks=training.resumable_callbacks("vgg16_fine_tuned", patience=4),
)
fine_seconds = time.perf_counter() - started
fine_epochs = len(fine_history.epoch)
print(f"fine-tuned for {fine_epochs} epoch(s) in {fine_seconds:.0f} s ({fine_seconds / fine_epochs:.1f} s per epoch)")

# %% [markdown]
# One run in two phases, so one curve: the head's epochs, then fine-tuning's, with a line
# where fine-tuning starts.

# %%
whole_run = {key: frozen_history.history[key] + fine_history.history[key] for key in fine_history.history}
plotting.show_history({"VGG16 + head": whole_run}, "Training the head, then fine-tuning block 5",
                      marks={"fine-tuning starts": frozen_epochs + 0.5})
plt.show()

# %%
_, fine_accuracy = frozen_model.evaluate(vgg_inputs["test"], verbose=0)
print(f"fine-tuned VGG16: test accuracy {fine_accuracy:.1%} (the head alone: {frozen_accuracy:.1%})")

# %% [markdown]
# ## 7. Every model of Chapters 3 and 4
#
# Chapter 3 saved its results beside its checkpoints (on Google Drive when mounted, so this
# runtime can find them).

# %%
total = frozen_model.count_params()
chapter4 = [
    {"chapter": 4, "model": "VGG16 frozen + head", "test accuracy": frozen_accuracy, "parameters": total,
     "trainable": trainable_before, "epochs": frozen_epochs, "training time (s)": round(frozen_seconds, 1)},
    {"chapter": 4, "model": "VGG16 bottleneck + classifier", "test accuracy": classifier_accuracy,
     "parameters": base.count_params() + classifier.count_params(), "trainable": classifier.count_params(),
     "epochs": len(classifier_history.epoch), "training time (s)": round(extraction_seconds + classifier_seconds, 1)},
    {"chapter": 4, "model": "VGG16 fine-tuned (block 5)", "test accuracy": fine_accuracy, "parameters": total,
     "trainable": trainable_after, "epochs": frozen_epochs + fine_epochs,
     "training time (s)": round(frozen_seconds + fine_seconds, 1)},
]
chapter3 = training.load_results("03")
if not chapter3:
    print("Chapter 3's results are not here: run Chapter 3 first (in Colab, with Drive mounted) to compare with it.")
all_models = pd.DataFrame(chapter3 + chapter4).set_index("model")
all_models.style.format({"test accuracy": "{:.1%}", "parameters": "{:,}", "trainable": "{:,}",
                         "training time (s)": "{:,.0f}"})

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
plotting.bar_chart(list(all_models.index), all_models["test accuracy"], "Test accuracy", "model", "accuracy",
                   value_format="{:.1%}", ax=left)
plotting.bar_chart(list(all_models.index), all_models["training time (s)"], "Training time", "model", "seconds",
                   ax=right)
fig.suptitle("Every model of Chapters 3 and 4 on the same test photos")
plt.show()

# %% [markdown]
# ## 8. Where does VGG16 look?
#
# Grad-CAM (Chapter 2) at `block5_conv3`, VGG16's last convolution, for test photos the
# fine-tuned model got right and wrong. The model takes preprocessed photos; we show the
# photos as they are.

# %%
test_images = np.concatenate([images.numpy() for images, _ in datasets["test"]])
test_scores = frozen_model.predict(vgg_preprocess(test_images), verbose=0).ravel()
test_predictions = (test_scores > 0.5).astype(int)
right = np.flatnonzero(test_predictions == test_labels)[:2]
wrong = np.flatnonzero(test_predictions != test_labels)[:2]
for index in [*right, *wrong]:
    heatmap, explained = interpret.grad_cam(frozen_model, vgg_preprocess(test_images[index]), "block5_conv3")
    verdict = "right" if index in right else "wrong"
    plotting.show_heatmap(test_images[index].astype("uint8"), heatmap,
                          f"{verdict}: a {class_names[test_labels[index]]}, predicted {class_names[test_predictions[index]]} "
                          f"(score for dog {test_scores[index]:.2f}); evidence for '{class_names[explained]}'",
                          heatmap_title="Grad-CAM at block5_conv3")
    plt.show()

# %% [markdown]
# ## 9. One file that takes photos as they come
#
# Chapter 3's models rescale inside the model, so their saved file takes photos as they
# come. This chapter's model expects `preprocess_input`'s output, so anyone using its file
# would have to know that and do it first. (We preprocessed in the input pipeline while
# training because the bottleneck features of section 5 are the base's outputs on exactly
# those preprocessed photos, and because the model we train stays VGG16 plus a head: 23
# layers, as built in exercise 2.) For the file we hand out, put the preprocessing into the
# model.
# `preprocess_input` is a per-pixel sum over channels plus a constant: exactly a 1×1
# convolution (Chapter 1) whose weights pick the channels in BGR order and whose bias
# subtracts ImageNet's mean colour. Frozen, it is a preprocessing layer that saves with the
# model like any other.

# %%
def vgg16_preprocessing_layer():
    """preprocess_input as a frozen 1×1 convolution: RGB → BGR, minus ImageNet's mean colour (BGR)."""
    swap = np.zeros((1, 1, 3, 3), dtype="float32")
    swap[0, 0, [2, 1, 0], [0, 1, 2]] = 1.0  # output channel 0 (blue) takes input channel 2, and so on
    layer = layers.Conv2D(3, 1, name="vgg16_preprocessing", trainable=False)
    layer.build((None, None, None, 3))
    layer.set_weights([swap, -np.array([103.939, 116.779, 123.68], dtype="float32")])
    return layer


some_photos = test_images[:4]
print("same as preprocess_input:",
      np.allclose(vgg16_preprocessing_layer()(some_photos), vgg_preprocess(some_photos), atol=1e-3))

# %% [markdown]
# The model for photos calls the trained model on the preprocessed tensor with
# `training=False`. That is the standard way to put a pretrained base (or a whole
# pretrained model) inside a new one: it runs the base in inference mode whatever the outer
# model does. VGG16 has no batch normalisation, so here it only fixes the head's dropout
# to "off"; for bases that have it (ResNet, EfficientNet, MobileNet), `training=False`
# also keeps batch normalisation using the statistics it learned on ImageNet, even while
# you fine-tune, instead of re-estimating them from a few batches of cats and undoing
# what the base learned.

# %%
photo_input = keras.Input(shape=(*IMAGE_SIZE, 3))
dog_probability = frozen_model(vgg16_preprocessing_layer()(photo_input), training=False)
photo_model = keras.Model(photo_input, dog_probability, name="vgg16_cats_dogs_from_photos")
saved_path = locations.work_folder() / "vgg16_cats_dogs.keras"
photo_model.save(saved_path)
reloaded = keras.models.load_model(saved_path)
from_file = reloaded.predict(some_photos, verbose=0).ravel()
print(f"saved to {saved_path}; photos in, probabilities of dog out: {np.round(from_file, 3)}")
print("same as the trained model on preprocessed photos:",
      np.allclose(from_file, frozen_model.predict(vgg_preprocess(some_photos), verbose=0).ravel(), atol=1e-4))

# %% [markdown]
# ## 10. A Kaggle-style submission
#
# Kaggle's "Dogs vs. Cats Redux: Kernels Edition" (2016) gave a folder of unlabelled
# photos named by number and asked for a file of `id,label` rows: the probability that
# photo `id` is a dog. (The original Dogs vs. Cats competition of 2013 asked for labels, 1
# or 0, and scored accuracy.) We make such a folder from the test photos, keeping the
# answers aside to score ourselves.

# %%
unlabelled = Path("unlabelled")
shutil.rmtree(unlabelled, ignore_errors=True)
unlabelled.mkdir()
test_files = [path for name in class_names for path in photos_in(photo_set.folder("test") / name)]
answers = {}
for new_id, index in enumerate(np.random.default_rng(SEED).permutation(len(test_files)), start=1):
    shutil.copy(test_files[index], unlabelled / f"{new_id}{test_files[index].suffix.lower()}")
    answers[str(new_id)] = int(test_files[index].parent.name == "dog")
print(f"{len(answers)} unlabelled photos in {unlabelled}/, e.g. {sorted(p.name for p in unlabelled.iterdir())[:4]}")

# %%
unlabelled_photos = keras.utils.image_dataset_from_directory(unlabelled, labels=None, image_size=IMAGE_SIZE,
                                                             shuffle=False, batch_size=32, verbose=False)
photo_ids = [Path(path).stem for path in unlabelled_photos.file_paths]
dog_probabilities = reloaded.predict(unlabelled_photos, verbose=0).ravel()  # photos as they come
print(f"{len(photo_ids)} predictions, e.g. id {photo_ids[0]}: {dog_probabilities[0]:.4f}")

# %% [markdown]
# The Redux competition scored by **log loss**: for each photo, −log of the probability
# given to the right answer, averaged. It punishes confident mistakes without limit: a dog
# given probability 0.0001 costs 9.2, one given exactly 0 costs infinity, and one such row
# ruins the whole score. So probabilities are **clipped** away from 0 and 1: to
# [0.005, 0.995], a confident mistake costs at most 5.3, while a right answer costs at
# least 0.005 instead of 0.
#
# ### Exercise 5: write the submission
#
# Write `write_submission(ids, dog_probabilities, path, low=0.005, high=0.995)` that writes
# the header `id,label`, then one row per id, in the order given, with its probability
# clipped to `[low, high]`.

# %% nbgrader={"grade": false, "grade_id": "write_submission", "locked": false, "schema_version": 3, "solution": true, "task": false}
def write_submission(ids, dog_probabilities, path, low=0.005, high=0.995):
    """id,label rows with the probability of dog, clipped to [low, high]."""
    ### BEGIN SOLUTION
    # Why: Clipping with the given bounds keeps any row from costing an infinite log loss; the
    # csv module writes the header, then one row per id in the order given.
    clipped = np.clip(np.asarray(dog_probabilities, dtype="float64").ravel(), low, high)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        for photo_id, probability in zip(ids, clipped):
            writer.writerow([photo_id, f"{probability:.6f}"])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "write_submission_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
ex.write_submission.grade(write_submission)
write_submission(["1", "2"], np.array([0.2, 1.0]), "sample_submission.csv")
sample_rows = Path("sample_submission.csv").read_text().splitlines()
assert sample_rows[0] == "id,label" and len(sample_rows) == 3
assert np.isclose(float(sample_rows[2].split(",")[1]), 0.995)
### BEGIN HIDDEN TESTS
write_submission(["9", "4", "5"], np.array([[0.0], [0.5], [0.999]]), "hidden_submission.csv", low=0.01, high=0.99)
hidden_rows = [row.split(",") for row in Path("hidden_submission.csv").read_text().splitlines()[1:]]
assert [row[0] for row in hidden_rows] == ["9", "4", "5"]
np.testing.assert_allclose([float(row[1]) for row in hidden_rows], [0.01, 0.5, 0.99], atol=1e-6)
assert kaggle_submission.problems(Path("hidden_submission.csv"), ["9", "4", "5"]) == []
### END HIDDEN TESTS

# %%
ex.write_submission.check(write_submission)
# ex.write_submission.hint()
# ex.write_submission.solution()

# %% [markdown]
# Write the file, then check it the way a competition would before scoring it: the
# header, one row per photo, unique ids, every value a probability strictly between 0 and 1.

# %%
write_submission(photo_ids, dog_probabilities, "submission.csv")
rows = kaggle_submission.check(Path("submission.csv"), expected_ids=answers)
print(f"submission.csv is ready: {rows} rows")
print(Path("submission.csv").read_text().splitlines()[:4])

# %% [markdown]
# We kept the answers, so we can score it as Kaggle would, and see what clipping changed:

# %%
def log_loss(truth, probabilities):
    probabilities = np.asarray(probabilities, dtype="float64")
    with np.errstate(divide="ignore"):
        return float(-np.mean(np.where(truth == 1, np.log(probabilities), np.log(1 - probabilities))))


truth = np.array([answers[photo_id] for photo_id in photo_ids])
with open("submission.csv", newline="", encoding="utf-8") as handle:
    submitted = np.array([float(row["label"]) for row in csv.DictReader(handle)])
overconfident = np.where(truth == 1, 0.0, 1.0)[:1]  # one photo, certain and wrong
print(f"log loss of the submission: {log_loss(truth, submitted):.4f}")
print(f"one certain mistake, unclipped: {log_loss(truth[:1], overconfident):.1f}; "
      f"clipped to 0.005: {log_loss(truth[:1], np.clip(overconfident, 0.005, 0.995)):.2f}")

# %% [markdown]
# ## Summary
#
# - A pretrained base brings what it learned from 1.2 million photos; feed it the way it
#   was trained (`preprocess_input`), not pixels in [0, 1].
# - `keras.applications.VGG16(include_top=False, weights="imagenet", input_shape=...)`
#   gives the pretrained base.
# - Freeze the base and train a new head first; build one flat model so every layer stays
#   reachable.
# - Bottleneck features run the base once: the head then trains in seconds, without
#   augmentation.
# - Fine-tune only the last block, after the head, with a small learning rate.
# - Grad-CAM at `block5_conv3` shows what the decision rests on.
# - Preprocessing inside the model (here a frozen 1×1 convolution) makes one `.keras` file
#   that takes photos as they come; a base called with `training=False` stays in
#   inference mode, which matters for bases with batch normalisation.
# - A submission file is checked before it is sent, and its probabilities are clipped,
#   because log loss punishes certainty that is wrong without limit.
#
# The README lists the times we measured, and on which hardware. The course has not yet
# measured this chapter's accuracy with ImageNet's weights (its machine cannot download
# them). For comparison, two of the write-ups the course grew from: a frozen VGG16 with this
# head, fed pixels scaled to [0, 1], scored 83% on 200 test photos (NTUOSS workshop, 2018);
# a classifier on VGG16's bottleneck features, trained on 20,000 photos, reached 90.7%
# validation accuracy (Ahmed Besbes, 2017). Your run prints its own figures above.
