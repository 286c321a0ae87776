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
# **You will write:** VGG16's preprocessing, the frozen model, fine-tuning's two choices
# (which layers learn, and how fast), and the submission writer.
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
# **How long it takes.** VGG16 is big: every 150×150 photo costs its convolutional base
# 6.6 billion multiply-adds (section 1 counts them).
# With a GPU the chapter trains everything in full (not yet timed). Without one it takes
# its CPU path: the classifier on saved VGG16 outputs trains in full, and the two runs that
# push photos through all of VGG16 at every step are cut short to show the method; the
# whole chapter then runs in about 15 minutes on a 2-core CPU ([measurements](https://github.com/cnn-course/cnn-course/blob/main/docs/benchmarks.md)).
# The four exercises take about 40 minutes (an estimate). The setup cell prints what your
# runtime has.

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

from cnn_course import (data, interpret, kaggle_submission, locations, pipelines, plotting, seeding, training,
                        transfer)
from cnn_course.checks import chapter04 as ex
from cnn_course.data.photo_folders import photos_in
from cnn_course.environment import full_or_quick

SEED = seeding.set_seed()  # one call seeds Python, NumPy and TensorFlow
print(f"random seed {SEED} (set CNN_COURSE_SEED to try another)")

# %% [markdown]
# **Keep your work (optional, Colab).** A Colab runtime forgets its files when it is
# recycled. Set `KEEP_WORK_ON_DRIVE = True` to keep checkpoints, finished models and the
# saved VGG16 outputs on your Google Drive (Colab asks for permission once); Chapter 3's
# results are found there too, if you kept them there. After a disconnect, run the notebook
# again: finished training is loaded, unfinished training resumes. Elsewhere this cell
# changes nothing.

# %%
KEEP_WORK_ON_DRIVE = False
if KEEP_WORK_ON_DRIVE:
    locations.keep_work_on_drive()
print(f"work folder (checkpoints, finished models, features): {locations.work_folder().resolve()}")

# %% [markdown]
# **The full chapter, or the CPU path?** With a GPU, `TRAIN_MODELS` is True and every
# training run goes its full length. Without one it is False: the two end-to-end runs
# (sections 4 and 6) each train a few short epochs, enough to see the method work, not to
# reach its accuracy, and the [0, 1] comparison of section 5 uses a sample of the training
# photos. The cell says which it chose; change `TRAIN_MODELS` to choose yourself. A
# finished run is kept in the work folder and loaded when its cell runs again: set
# `RETRAIN = True` to train it again.
#
# All the chapter's sizes are in this cell. `full_or_quick(full, quick)` gives the full
# size, or the quick one while nbgrader grades the notebook, so that grading takes seconds:
# then the photos are read at 32×32 and VGG16 starts from random weights (nothing to
# download).

# %%
TRAIN_MODELS = training.train_by_default(on_cpu="take its CPU path: the end-to-end runs cut short")
RETRAIN = False

FROZEN_EPOCHS, FINE_TUNING_EPOCHS = full_or_quick((20, 15) if TRAIN_MODELS else (2, 2), (1, 1))
STEPS_PER_EPOCH = None if TRAIN_MODELS else full_or_quick(20, 1)  # None: every training photo in every epoch
VALIDATION_STEPS = None if TRAIN_MODELS else full_or_quick(4, 1)  # None: every validation photo
COMPARISON_PHOTOS = None if TRAIN_MODELS else full_or_quick(384, 16)  # section 5's comparison; None: all photos
BOTTLENECK_EPOCHS = full_or_quick(30, 1)  # section 5's classifier on stored features (early stopping may end it sooner)
HEAD_EPOCHS = full_or_quick(20, 1)        # each row of section 5's comparison
IMAGE_SIZE = full_or_quick((150, 150), (32, 32))
VGG16_WEIGHTS = full_or_quick("imagenet", None)  # None: random weights
RUN_SUFFIX = "" if TRAIN_MODELS else "_cpu_path"  # a cut-short run is never mistaken for a full one
if not TRAIN_MODELS:
    print(f"CPU path: the end-to-end runs train {FROZEN_EPOCHS} epochs of {STEPS_PER_EPOCH} batches of 32 photos, "
          f"validated on {VALIDATION_STEPS} batches, because every step runs all of VGG16.")

# %% [markdown]
# ## 1. The photos and the base
#
# The same photos as Chapter 3 (see there for `DATA_SOURCE` and `FULL_SET`), read at
# `IMAGE_SIZE` (150×150).
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

photo_set = data.load_cats_vs_dogs(DATA_SOURCE, full=FULL_SET)
class_names = list(photo_set.class_names)
# The pipeline caches decoded float32 photos in memory, as in Chapter 3.
cache_gb = int(photo_set.counts["total"].sum()) * IMAGE_SIZE[0] * IMAGE_SIZE[1] * 3 * 4 / 1e9
if cache_gb > 2:
    print(f"the cache will hold {cache_gb:.1f} GB of decoded photos (a free Colab runtime has about 12 GB of memory)")
datasets, _ = pipelines.folder_datasets(photo_set.root, image_size=IMAGE_SIZE, batch_size=32, seed=SEED)
photo_set.counts

# %%
base = keras.applications.VGG16(
    include_top=False,                                   # no classifier: the convolutional base
    weights=WEIGHTS_FILE or VGG16_WEIGHTS,               # "imagenet", or a copy of its file
    input_shape=(*IMAGE_SIZE, 3),
)
print(f"VGG16 base: {len(base.layers)} layers, {base.count_params():,} parameters, "
      f"output {tuple(base.output.shape[1:])} per photo")
print("last layers:", ", ".join(layer.name for layer in base.layers[-4:]))

# %% [markdown]
# What one photo costs: a convolution does one multiply-add per weight of a filter, at every
# output position, for every filter, so a layer costs output height × width × filters ×
# kernel height × kernel width × input channels. Added over VGG16's 13 convolutions:

# %%
multiply_adds = sum(
    layer.output.shape[1] * layer.output.shape[2] * layer.filters
    * layer.kernel_size[0] * layer.kernel_size[1] * layer.input.shape[-1]
    for layer in base.layers if isinstance(layer, keras.layers.Conv2D))
print(f"{multiply_adds / 1e9:.2f} billion multiply-adds per {IMAGE_SIZE[0]}×{IMAGE_SIZE[1]} photo "
      f"(at ImageNet's 224×224: 15.3 billion; the cost grows with the number of pixels)")

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
ex.build_frozen_model.grade(build_frozen_model)
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
ex.build_frozen_model.check(build_frozen_model)
# ex.build_frozen_model.hint()
# ex.build_frozen_model.solution()

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
HEAD_LEARNING_RATE = 1e-4  # a new head's step size; fine-tuning (section 6) takes a tenth of it
frozen_model = build_frozen_model(base)
frozen_model.compile(optimizer=keras.optimizers.Adam(HEAD_LEARNING_RATE), loss="binary_crossentropy",
                     metrics=["accuracy"])
print(f"{frozen_model.count_params():,} parameters, {training.trainable_count(frozen_model):,} trainable")

# %% [markdown]
# ## 4. Training the head, end to end
#
# Every photo goes through all of VGG16 in every epoch (augmented, so each pass differs);
# only the head learns. The callbacks are Chapter 3's; `training.fit_once` keeps the
# finished run, as in Chapters 2 and 3.

# %%
frozen_history = training.fit_once(frozen_model, "vgg16_frozen" + RUN_SUFFIX, lambda: frozen_model.fit(
    vgg_inputs["train"], validation_data=vgg_inputs["validation"], epochs=FROZEN_EPOCHS,
    steps_per_epoch=STEPS_PER_EPOCH, validation_steps=VALIDATION_STEPS,
    callbacks=training.resumable_callbacks("vgg16_frozen" + RUN_SUFFIX, patience=4),
), retrain=RETRAIN)
frozen_seconds = frozen_history.seconds
frozen_epochs = len(frozen_history.epoch)
print(f"trained for {frozen_epochs} epoch(s) in {frozen_seconds:.0f} s ({frozen_seconds / frozen_epochs:.1f} s per epoch), "
      f"on {frozen_history.where}")

# %%
plotting.show_history({"frozen VGG16 + head": frozen_history.history}, "Frozen VGG16 with a new head: loss and accuracy")
plt.show()

# %%
_, frozen_accuracy = frozen_model.evaluate(vgg_inputs["test"], verbose=0)
print(f"frozen VGG16 + head: test accuracy {frozen_accuracy:.1%}"
      + ("" if TRAIN_MODELS else f" after a CPU path's {frozen_epochs} short epochs"))

# %% [markdown]
# What to expect from a full run: François Chollet's *Deep Learning with Python* (1st
# edition, 2017, section 5.3) trained this setup (VGG16 at 150×150, a frozen base, a head
# of Dense 256, augmentation) on 2,000 photos of the same Kaggle set and reached about 96%
# validation accuracy, with pixels scaled to [0, 1]. The CPU path's short epochs are not
# meant to get there; the line above says what they reached.

# %% [markdown]
# ## 5. Bottleneck features: run the base once
#
# The frozen base gives the same output for the same photo every time. So instead of
# running it in every epoch, run it **once** over every photo, save its outputs (the
# "bottleneck features") and train the head on those: seconds instead of minutes. The
# price: no augmentation, since each photo is seen in one version only.

# %%
def extract(split, keep_photos=0):
    """Base outputs and labels for one split, in a single pass so they stay paired, with a progress bar;
    also the first ``keep_photos`` photos as they were read (section 5 compares preparations on them)."""
    progress = keras.utils.Progbar(int(datasets[split].cardinality()), unit_name="batch")
    features, labels, kept = [], [], []
    for images, batch_labels in datasets[split]:  # no augmentation: one clean version of each photo
        if sum(len(photos) for photos in kept) < keep_photos:
            kept.append(images.numpy())
        features.append(base.predict_on_batch(preprocess_input(images)))
        labels.append(batch_labels.numpy().ravel())
        progress.add(1)
    kept = np.concatenate(kept)[:keep_photos] if kept else None
    return np.concatenate(features), np.concatenate(labels).astype(int), kept


feature_folder = locations.work_folder() / f"features-{IMAGE_SIZE[0]}px"  # on Drive when it is mounted
feature_folder.mkdir(exist_ok=True)
comparison_size = {"train": COMPARISON_PHOTOS or int(photo_set.counts.loc["train", "total"]),
                   "validation": int(photo_set.counts.loc["validation", "total"]), "test": 0}
bottleneck, kept_photos = {}, {}
started = time.perf_counter()
for split in datasets:  # train, validation, test
    features, labels, kept_photos[split] = extract(split, keep_photos=comparison_size[split])
    bottleneck[split] = features, labels
    np.save(feature_folder / f"{split}_features.npy", features)
    np.save(feature_folder / f"{split}_labels.npy", labels)
extraction_seconds = time.perf_counter() - started
extracted = sum(len(labels) for _, labels in bottleneck.values())
print(f"{extracted} photos through the base in {extraction_seconds:.1f} s ({extracted / extraction_seconds:.0f} photos/s); "
      f"features {bottleneck['train'][0].shape[1:]} per photo, saved in {feature_folder}/")

# %% [markdown]
# The training split is shuffled, so features and labels are collected in the same pass
# to stay paired. The arrays on disk load back with `np.load` in a later session. (The loop
# also keeps some photos as they were read, for section 5's comparison.)
#
# The classifier on these features is the frozen model's head alone: its input has the
# shape of one photo's features, then the same four layers as in exercise 2, made afresh
# from their settings (`get_config`) so that they start untrained, compiled as before.

# %%
def build_bottleneck_classifier(feature_shape):
    """The frozen model's head (new weights, same settings) on saved base outputs of ``feature_shape``, compiled."""
    fresh_head = [type(layer).from_config(layer.get_config()) for layer in frozen_model.layers[-4:]]
    head_only = keras.Sequential([keras.Input(shape=feature_shape), *fresh_head], name="bottleneck_classifier")
    head_only.compile(optimizer=keras.optimizers.Adam(HEAD_LEARNING_RATE), loss="binary_crossentropy",
                      metrics=["accuracy"])
    return head_only


# %%
(train_features, train_labels), (val_features, val_labels), (test_features, test_labels) = (
    bottleneck[split] for split in ("train", "validation", "test"))
classifier = build_bottleneck_classifier(train_features.shape[1:])
started = time.perf_counter()
classifier_history = classifier.fit(train_features, train_labels, validation_data=(val_features, val_labels),
                                    epochs=BOTTLENECK_EPOCHS, batch_size=32,
                                    callbacks=training.resumable_callbacks("vgg16_bottleneck", patience=5))
classifier_seconds = time.perf_counter() - started
_, classifier_accuracy = classifier.evaluate(test_features, test_labels, verbose=0)
print(f"classifier trained in {classifier_seconds:.1f} s; test accuracy {classifier_accuracy:.1%}")

# %% [markdown]
# For comparison: in Chollet's run (the same setup; *Deep Learning with Python*, 1st
# edition, section 5.3.1, "fast feature extraction without data augmentation") a
# classifier on bottleneck features reached about 90% validation accuracy, from pixels
# scaled to [0, 1]. The head trained end to end with augmentation did better there (96%):
# bottleneck features are cheap, augmentation is what they give up.

# %%
plotting.show_history({"bottleneck classifier": classifier_history.history, "frozen VGG16 + head": frozen_history.history},
                      "Head on saved features vs head trained end to end")
plt.show()

# %%
pd.DataFrame({
    "time (s)": [round(frozen_seconds, 1), round(extraction_seconds + classifier_seconds, 1)],
    "test accuracy": [frozen_accuracy, classifier_accuracy],
}, index=["head trained end to end (augmented)" + ("" if TRAIN_MODELS else ", cut short on the CPU path"),
         "bottleneck features + classifier"]
).style.format({"test accuracy": "{:.1%}"})

# %% [markdown]
# ### Does the preparation of the photos matter?
#
# Three classifiers, side by side, on the same training photos (a sample of them on the
# CPU path) and scored on the same validation photos:
#
# 1. photos prepared as VGG16 was trained (`preprocess_input`), for training and for use;
# 2. photos scaled to [0, 1], as a from-scratch model would want, for training and for use;
# 3. trained on prepared photos, then used on [0, 1] photos: a train/use mismatch.

# %%
def fit_head(features, labels):
    """The bottleneck classifier above, trained for a fixed number of epochs (the same for every row)."""
    head = build_bottleneck_classifier(features.shape[1:])
    head.fit(features, labels, epochs=HEAD_EPOCHS, batch_size=32, verbose=0)
    return head


def accuracy_of(head, features, labels):
    return float(((head.predict(features, verbose=0).ravel() > 0.5) == labels).mean())


sample_size = len(kept_photos["train"])
sample_labels = train_labels[:sample_size]
scaled_train = base.predict(kept_photos["train"] / 255.0, batch_size=32, verbose=0)
scaled_val = base.predict(kept_photos["validation"] / 255.0, batch_size=32, verbose=0)
prepared_head = fit_head(train_features[:sample_size], sample_labels)
scaled_head = fit_head(scaled_train, sample_labels)
preparations = pd.DataFrame({
    "trained on": ["preprocess_input", "[0, 1]", "preprocess_input"],
    "used on": ["preprocess_input", "[0, 1]", "[0, 1]"],
    "validation accuracy": [accuracy_of(prepared_head, val_features, val_labels),
                            accuracy_of(scaled_head, scaled_val, val_labels),
                            accuracy_of(prepared_head, scaled_val, val_labels)],
}, index=["prepared both times", "[0, 1] both times", "prepared, then used on [0, 1]"])
print(f"{sample_size:,} training photos; mean VGG16 output: prepared {val_features.mean():.3f}, "
      f"[0, 1] {scaled_val.mean():.3f}")
preparations.style.format({"validation accuracy": "{:.1%}"})

# %% [markdown]
# VGG16 learned on values from about −124 to +152, where 0 is ImageNet's mean colour.
# Pixels in [0, 1] all sit next to 0: to VGG16 every photo looks like a faint patch of that
# mean colour, and its outputs shrink. A classifier can still learn from those weaker
# features (Chollet's runs used [0, 1] pixels and reached about 90%, section 5.3.1); how
# much the weaker features cost here, row 2 against row 1 of your table shows, and we
# expect row 1 to win whenever the classifier trains long enough to use what the features
# hold. What breaks a model outright is row 3:
# features unlike anything the classifier saw in training. Two rules:
#
# - **prepare inputs as the base was prepared in pretraining**, and
# - **prepare them the same way when training and when using the model.**
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
# ### Exercise 3: start fine-tuning
#
# The model has just trained its head (it is `frozen_model`, compiled and fitted). Write
# `start_fine_tuning(model, head_learning_rate)` that gets it ready for the fine-tuning
# described above, block 5 and the head learning together at a tenth of the head's
# learning rate while blocks 1 to 4 keep what they learned on ImageNet, and returns it.
# The loss and the metric stay what they were. The next cell calls it and then `fit`:
# your function must leave a model whose next `fit` really trains block 5.

# %% nbgrader={"grade": false, "grade_id": "start_fine_tuning", "locked": false, "schema_version": 3, "solution": true, "task": false}
def start_fine_tuning(model, head_learning_rate):
    """Unfreeze block 5 (the head stays trainable, blocks 1 to 4 frozen) and compile for fine-tuning."""
    ### BEGIN SOLUTION
    # Why: The names tell VGG16's blocks apart (the head's do not start with 'block'). Keras
    # traced the head's training step with the head's weights only and keeps it until the
    # model is compiled again, so compiling after the change is what lets block 5 learn; a
    # fresh Adam has no state built for the head alone, and a tenth of the head's rate lets
    # block 5 adapt in small steps instead of being overwritten.
    for layer in model.layers:
        layer.trainable = layer.name.startswith("block5") or not layer.name.startswith("block")
    fine_tuning_optimizer = keras.optimizers.Adam(learning_rate=head_learning_rate / 10)  # a fresh one
    model.compile(optimizer=fine_tuning_optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model  # the same model, ready to fit
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "start_fine_tuning_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
ex.start_fine_tuning.grade(start_fine_tuning)
full_size.compile(optimizer=keras.optimizers.Adam(1e-4), loss="binary_crossentropy", metrics=["accuracy"])
assert start_fine_tuning(full_size, 1e-4) is full_size, "return the model you got ready"
assert training.trainable_count(full_size) == 9_177_089, f"got {training.trainable_count(full_size):,}"
### BEGIN HIDDEN TESTS
assert not full_size.get_layer("block4_conv3").trainable and not full_size.get_layer("block1_conv1").trainable
assert full_size.get_layer("block5_conv1").trainable and full_size.layers[-1].trainable
assert np.isclose(float(keras.ops.convert_to_numpy(full_size.optimizer.learning_rate)), 1e-5)
### END HIDDEN TESTS

# %%
ex.start_fine_tuning.check(start_fine_tuning)
# ex.start_fine_tuning.hint()
# ex.start_fine_tuning.solution()

# %% [markdown]
# Fine-tuning continues the training of the same model, so from here on it is called for
# what it becomes. The head trained at `HEAD_LEARNING_RATE` (1e-4, section 3), so block 5
# and the head now learn together at 1e-5:

# %%
fine_tuned_model = frozen_model  # the same model object: block 5 is about to learn too
trainable_before = training.trainable_count(fine_tuned_model)
start_fine_tuning(fine_tuned_model, HEAD_LEARNING_RATE)
trainable_after = training.trainable_count(fine_tuned_model)
pd.DataFrame({"trainable parameters": [trainable_before, trainable_after]},
             index=["head only (frozen base)", "block 5 + head (fine-tuning)"]).style.format("{:,}")

# %%
fine_history = training.fit_once(fine_tuned_model, "vgg16_fine_tuned" + RUN_SUFFIX, lambda: fine_tuned_model.fit(
    vgg_inputs["train"], validation_data=vgg_inputs["validation"], epochs=FINE_TUNING_EPOCHS,
    steps_per_epoch=STEPS_PER_EPOCH, validation_steps=VALIDATION_STEPS,
    callbacks=training.resumable_callbacks("vgg16_fine_tuned" + RUN_SUFFIX, patience=4),
), retrain=RETRAIN)
fine_seconds = fine_history.seconds
fine_epochs = len(fine_history.epoch)
print(f"fine-tuned for {fine_epochs} epoch(s) in {fine_seconds:.0f} s ({fine_seconds / fine_epochs:.1f} s per epoch), "
      f"on {fine_history.where}")

# %% [markdown]
# One run in two phases, so one curve: the head's epochs, then fine-tuning's, with a line
# where fine-tuning starts.

# %%
whole_run = {key: frozen_history.history[key] + fine_history.history[key] for key in fine_history.history}
plotting.show_history({"VGG16 + head": whole_run}, "Training the head, then fine-tuning block 5",
                      marks={"fine-tuning starts": frozen_epochs + 0.5})
plt.show()

# %%
test_images = np.concatenate([images.numpy() for images, _ in datasets["test"]])
test_scores = fine_tuned_model.predict(vgg_preprocess(test_images), verbose=0).ravel()
test_predictions = (test_scores > 0.5).astype(int)
fine_accuracy = float((test_predictions == test_labels).mean())
print(f"fine-tuned VGG16: test accuracy {fine_accuracy:.1%} (the head alone: {frozen_accuracy:.1%})")

# %% [markdown]
# Chollet's full run of this step (*Deep Learning with Python*, 1st edition, section 5.3.2,
# "fine-tuning") reached 97% test accuracy.

# %% [markdown]
# ## 7. Every model of Chapters 3 and 4
#
# Chapter 3 saved its results beside its checkpoints (on Google Drive when mounted, so this
# runtime can find them).

# %%
total = fine_tuned_model.count_params()
chapter4 = [
    {"chapter": 4, "model": "VGG16 frozen + head", "test accuracy": frozen_accuracy, "parameters": total,
     "trainable": trainable_before, "epochs": frozen_epochs, "training time (s)": round(frozen_seconds, 1),
     "trained on": frozen_history.where},
    {"chapter": 4, "model": "VGG16 bottleneck + classifier", "test accuracy": classifier_accuracy,
     "parameters": base.count_params() + classifier.count_params(), "trainable": classifier.count_params(),
     "epochs": len(classifier_history.epoch), "training time (s)": round(extraction_seconds + classifier_seconds, 1),
     "trained on": "this runtime"},
    {"chapter": 4, "model": "VGG16 fine-tuned (block 5)", "test accuracy": fine_accuracy, "parameters": total,
     "trainable": trainable_after, "epochs": frozen_epochs + fine_epochs,
     "training time (s)": round(frozen_seconds + fine_seconds, 1), "trained on": fine_history.where},
]
chapter3 = training.load_results("03")
if not chapter3:
    print("Chapter 3's results are not in this work folder: run Chapter 3 first (in Colab, with KEEP_WORK_ON_DRIVE = True "
          "in both chapters) to compare with it.")
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
# Grad-CAM (Chapter 2) at `block5_conv3`, VGG16's last convolution, for four test photos:
# for each class, a right answer with a middling probability (0.7 to 0.95 for its true
# class) and a mistake. Not the most confident answers: their probability is exactly 1.0
# in float32, which is why Grad-CAM differentiates the score before the sigmoid (the
# logit), and a middling photo shows the model still weighing its evidence. The model
# takes preprocessed photos; we show the photos as they are. `interpret.examples_to_explain`
# picks the photos the way Chapter 3 did in its own loop.

# %%
for index in interpret.examples_to_explain(test_labels, test_scores):
    heatmap, explained = interpret.grad_cam(fine_tuned_model, vgg_preprocess(test_images[index]), "block5_conv3")
    verdict = "right" if test_predictions[index] == test_labels[index] else "wrong"
    plotting.show_heatmap(test_images[index].astype("uint8"), heatmap,
                          f"{verdict}: a {class_names[test_labels[index]]}, predicted {class_names[test_predictions[index]]} "
                          f"(score for dog {test_scores[index]:.2f}); evidence for '{class_names[explained]}'",
                          heatmap_title="Grad-CAM at block5_conv3")
    plt.show()

# %% [markdown]
# How to read these: the bright region is where, at VGG16's last convolution (a 9×9 grid
# over the photo), the feature maps that raise the logit of the named class are strongest.
# On a right answer it usually covers the animal's head or body; on a mistake, look for
# what else it fell on (another animal, a person, a cage, a blanket): that is the evidence
# the model used instead. A 9×9 grid is coarse, so read regions, not pixels.

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
# `preprocess_input` computes each output pixel from the same input pixel's three
# channels: a weighted sum plus a constant. That is a convolution whose window is a single
# pixel (a 1×1 kernel; Chapter 1's convolution with the smallest window), whose weights
# pick the channels in BGR order and whose bias subtracts ImageNet's mean colour. Frozen, it is a preprocessing layer that saves with the
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
dog_probability = fine_tuned_model(vgg16_preprocessing_layer()(photo_input), training=False)
photo_model = keras.Model(photo_input, dog_probability, name="vgg16_cats_dogs_from_photos")
saved_path = locations.work_folder() / "vgg16_cats_dogs.keras"
photo_model.save(saved_path)
reloaded = keras.models.load_model(saved_path)
from_file = reloaded.predict(some_photos, verbose=0).ravel()
print(f"saved to {saved_path}; photos in, probabilities of dog out: {np.round(from_file, 3)}")
print("same as the trained model on preprocessed photos:",
      np.allclose(from_file, fine_tuned_model.predict(vgg_preprocess(some_photos), verbose=0).ravel(), atol=1e-4))

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
# ### Exercise 4: write the submission
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
# - A pretrained base brings what it learned from 1.2 million photos; prepare its inputs
#   as in pretraining (`preprocess_input`), and the same way when training and when using.
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
# What to expect from a full run (a GPU, or `TRAIN_MODELS = True`), by François Chollet's
# *Deep Learning with Python* (1st edition, 2017, sections 5.3.1 and 5.3.2), the same setup
# on 2,000 photos of the same set: about 90% for the bottleneck classifier, 96% for the
# frozen base with augmentation, 97% after fine-tuning. The course's own times are on its
# [measurements page](https://github.com/cnn-course/cnn-course/blob/main/docs/benchmarks.md); your run printed its own figures above.

# %% [markdown]
# ## Your progress
#
# Every exercise of this chapter, checked again on your answers (nothing is retrained).
# After a break or a kernel restart, run the setup cell and the import cell, then this one:
# answers the kernel no longer holds are read from the saved notebook.

# %%
ex.progress()
