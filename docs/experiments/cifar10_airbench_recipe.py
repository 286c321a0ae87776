"""Issue 37's second attempt: airbench94's whole recipe in Keras, against Chapter 2's, on all the data.

An experiment, not a course tool. The first attempt (cifar10_fast_ingredients.py) added some of
the records' ingredients to today's optimiser and schedule at a reduced budget. This one follows
airbench94.py (Keller Jordan, 2024) as closely as Keras layers allow, read from its code:

- inputs normalised per channel; a 2x2 patch-whitening first layer (eigenvectors of the training
  patches' covariance and their negatives: 24 filters), its weights frozen, its bias trained;
- three groups conv → 2x2 max pool → batch norm → GELU → conv → batch norm → GELU at widths 64,
  256, 256; batch norm with momentum 0.6 (Keras's convention), epsilon 1e-12, no scale; every
  convolution starts as the identity on its first input-count filters (``dirac_``), the others
  uniform in ±1/sqrt(fan-in) as PyTorch starts them;
- global max pooling, a bias-free dense layer, logits times 1/9;
- Nesterov SGD, momentum 0.85, batch 1024; airbench's summed-loss learning rate 11.5 per 1024
  examples is 1.5 for Keras's mean loss, its weight decay 0.0153 per 1024 examples a coupled L2
  term of 6.65e-4; the batch-norm shifts learn 64 times faster (a shift stored divided by 8);
- a triangular schedule: 0.2 of the peak at the start, the peak at 23% of the steps, 0.07 at
  the end; labels smoothed by 0.2;
- lookahead: every 5 steps the weights (batch-norm statistics included) move to an average
  whose decay grows as 0.95**5 * (progress)**3; at the end the weights take the average;
- random flips and shifts of up to 2 pixels (airbench alternates flips epoch by epoch: not here);
  test-time flips and one-pixel shifts, the chapter's ``predict_with_flips_and_shifts``.

Each recipe is timed by whole epochs (``benchmarks.common.timed_fit``); the compute ratio is
the new recipe's mean epoch after the first times its epochs over today's mean epoch after the
first times 18. (The first version of this script, f23dc3b, timed short alternating rounds
instead; they gave both recipes the same 20.05 ms per image, a cost per ``fit`` call rather
than the models', and were removed.)

Run: ``python docs/experiments/cifar10_airbench_recipe.py CIFAR10_FOLDER LIMIT EPOCHS [--baseline[=N]] [--validate]``
(LIMIT 0: every training image; ``--baseline`` then trains today's recipe for 18 epochs on the
same images and prints the ratio; ``--baseline=N`` trains it for N epochs only, enough to time
its epochs (the ratio still counts its 18), so a short run of both gives the ratio for any
number of the new recipe's epochs; ``--validate`` scores the held-out images after every epoch).
The results, with hardware, date and commit, are in docs/benchmarks.md ("Issue 37").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import keras
import numpy as np
from keras import layers

ROOT = Path(__file__).resolve().parents[2]
TODAYS_EPOCHS = 18
BATCH_SIZE = 1024
PEAK_LEARNING_RATE = 1.5  # 11.5 / (1 + 1 / (1 - 0.85)): airbench's, for a mean over the batch
L2 = 6.65e-4  # airbench's decay per step 0.0153 * 1024 / 7851 = 0.002, over 1.5 and 2 (Keras's L2 is w**2)
BIAS_SPEED = 8.0  # a shift stored as b / 8 learns 8 * 8 = 64 times faster


def whitening_filters(images: np.ndarray, eps: float = 5e-4) -> np.ndarray:
    """2x2x3 filters that whiten the images' 2x2 patches, and their negatives: (2, 2, 3, 24)."""
    patches = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2))  # n, 31, 31, 3, 2, 2
    patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12)
    patches = patches[np.random.default_rng(0).choice(len(patches), min(len(patches), 400_000), replace=False)]
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(patches, rowvar=False))
    filters = (eigenvectors / np.sqrt(eigenvalues + eps)).reshape(2, 2, 3, 12)
    return np.concatenate([filters, -filters], axis=-1).astype("float32")


class FastShift(keras.layers.Layer):
    """A per-channel shift stored divided by ``BIAS_SPEED``, so plain SGD moves it 64x faster."""

    def build(self, input_shape):
        self.stored = self.add_weight(
            shape=(input_shape[-1],), initializer="zeros", regularizer=keras.regularizers.L2(L2)
        )

    def call(self, x):
        return x + BIAS_SPEED * self.stored


class Triangle(keras.optimizers.schedules.LearningRateSchedule):
    """0.2 of the peak at step 0, the peak at 23% of the steps, 0.07 of it at the end."""

    def __init__(self, total_steps, peak):
        self.total_steps, self.peak = total_steps, peak

    def __call__(self, step):
        top, end = 0.23 * self.total_steps, float(self.total_steps)
        step = keras.ops.cast(step, "float32")
        rising = 0.2 + 0.8 * step / top
        falling = 1.0 + (0.07 - 1.0) * (step - top) / (end - top)
        return self.peak * keras.ops.where(step < top, rising, falling)


class Lookahead(keras.callbacks.Callback):
    """Every 5 steps the weights move to their running average, whose decay grows with progress."""

    def __init__(self, total_steps):
        super().__init__()
        self.total_steps, self.step, self.average = total_steps, 0, None

    def update(self, decay):
        # Float variables only: the random layers' seed states are integers.
        variables = [v for v in self.model.weights if "float" in str(v.dtype)]
        weights = [np.asarray(v.numpy()) for v in variables]
        if self.average is None:
            self.average = weights
        self.average = [decay * a + (1 - decay) * w for a, w in zip(self.average, weights, strict=True)]
        for variable, average in zip(variables, self.average, strict=True):
            variable.assign(average)

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % 5 == 0:
            self.update(0.95**5 * (self.step / self.total_steps) ** 3)

    def on_train_end(self, logs=None):
        self.update(1.0)


def build_airbench(x_train: np.ndarray, widths=(64, 256, 256), num_classes=10):
    start = keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform")  # PyTorch's ±1/sqrt(fan_in)
    regularizer = keras.regularizers.L2(L2)

    def conv(filters):
        return layers.Conv2D(
            filters, 3, padding="same", use_bias=False, kernel_initializer=start, kernel_regularizer=regularizer
        )

    def norm_gelu(x):
        x = layers.BatchNormalization(momentum=0.6, epsilon=1e-12, center=False, scale=False)(x)
        return layers.Activation("gelu")(FastShift()(x))

    normalise = layers.Normalization()
    normalise.adapt(x_train[:10_000])
    inputs = x = keras.Input(shape=x_train.shape[1:])
    x = layers.RandomFlip("horizontal")(x)
    x = layers.RandomTranslation(2 / 32, 2 / 32, fill_mode="reflect", interpolation="nearest")(x)
    x = normalise(x)
    whiten = layers.Conv2D(24, 2, padding="valid", name="whiten", bias_regularizer=regularizer)
    x = layers.Activation("gelu")(whiten(x))
    convs = []
    for filters in widths:
        convs.append(conv(filters))
        x = norm_gelu(layers.MaxPooling2D(2)(convs[-1](x)))
        convs.append(conv(filters))
        x = norm_gelu(convs[-1](x))
    x = layers.GlobalMaxPooling2D()(x)
    x = layers.Dense(num_classes, use_bias=False, kernel_initializer=start, kernel_regularizer=regularizer)(x)
    outputs = layers.Activation("softmax", dtype="float32")(layers.Rescaling(1 / 9)(x))
    model = keras.Model(inputs, outputs, name="airbench_cnn")
    whiten.kernel.assign(whitening_filters(np.asarray(normalise(x_train[:5000]))))
    whiten.kernel.trainable = False
    for layer in convs:  # dirac_: the first in-channels filters pass their channel through
        kernel = layer.kernel.numpy()
        channels = min(kernel.shape[2], kernel.shape[3])
        kernel[:, :, :, :channels] = 0.0
        kernel[1, 1, np.arange(channels), np.arange(channels)] = 1.0
        layer.kernel.assign(kernel)
    return model


def compile_airbench(model, total_steps):
    optimizer = keras.optimizers.SGD(Triangle(total_steps, PEAK_LEARNING_RATE), momentum=0.85, nesterov=True)
    model.compile(
        optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.2), metrics=["accuracy"]
    )
    return model


def score(chapter: dict, model, x_test, y_test) -> tuple[float, float]:
    labels = y_test.argmax(axis=1)
    plain = float((model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=1) == labels).mean())
    views = float((chapter["predict_with_flips_and_shifts"](model, x_test).argmax(axis=1) == labels).mean())
    return plain, views


def main(source: str, limit: int, epochs: int, baseline: int, validate: bool) -> None:
    from cnn_course import seeding
    from cnn_course.benchmarks.chapter02 import held_out_arrays
    from cnn_course.benchmarks.common import start_run, timed_fit
    from cnn_course.course.course import Course
    from cnn_course.course.namespace import chapter_namespace

    (x_train, y_train), (x_test, y_test) = held_out_arrays(source, limit or None, 0)
    chapter = chapter_namespace(Course.at(ROOT), "02", (), tags=("benchmark",))
    start_run(print, train_images=len(x_train), test_images=len(x_test), epochs=epochs)
    validation = {"validation_data": (x_test, y_test)} if validate else {}

    def train(name, model, epochs, batch_size, callbacks=()):
        print(f"--- {name}: {model.count_params():,} parameters, {epochs} epochs of batch {batch_size}", flush=True)
        fit = timed_fit(
            model, x_train, y_train, epochs=epochs, batch_size=batch_size, callbacks=callbacks, **validation
        )
        plain, views = score(chapter, model, x_test, y_test)
        epoch = float(np.mean(fit.epoch_seconds[1:] or fit.epoch_seconds))
        print(
            f"{name}: {plain:.2%} plain, {views:.2%} with flips and shifts, {fit.seconds:.0f} s; "
            f"{epoch:.0f} s per epoch after the first",
            flush=True,
        )
        return epoch

    new_steps = epochs * -(-len(x_train) // BATCH_SIZE)
    seeding.set_seed(0)
    model = compile_airbench(build_airbench(x_train), new_steps)
    new_epoch = train("new recipe", model, epochs, BATCH_SIZE, [Lookahead(new_steps)])
    if baseline:
        seeding.set_seed(0)
        keras.backend.clear_session()
        todays_batch = chapter["BETTER_BATCH_SIZE"]
        todays_steps = TODAYS_EPOCHS * -(-len(x_train) // todays_batch)
        model = chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=todays_steps)
        todays = train("today's recipe", model, baseline, todays_batch) * TODAYS_EPOCHS
        print(
            f"compute ratio (mean epoch after the first x epochs) of {epochs} new epochs to today's "
            f"{TODAYS_EPOCHS}: {new_epoch * epochs / todays:.3f}; within 1.1 times today's compute the new "
            f"recipe has {1.1 * todays / new_epoch:.1f} epochs",
            flush=True,
        )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="the CIFAR-10 archive or a folder of class subfolders")
    parser.add_argument("limit", type=int, help="training images, stratified (0: all)")
    parser.add_argument("epochs", type=int, help="the new recipe's epochs")
    parser.add_argument(
        "--baseline",
        type=int,
        nargs="?",
        const=TODAYS_EPOCHS,
        default=0,
        help=f"also train today's recipe, for N epochs (default {TODAYS_EPOCHS}), and print the ratio",
    )
    parser.add_argument("--validate", action="store_true", help="score the held-out images after every epoch")
    return parser.parse_args()


if __name__ == "__main__":
    options = arguments()
    main(options.source, options.limit, options.epochs, options.baseline, options.validate)
