"""Issue 37's first measured attempt: the fast-training records' ingredients on Chapter 2's recipe.

An experiment, not a course tool: it trains the chapter's better CNN (its own cells, tagged
``benchmark``) side by side with variants that add what airbench94 adds to the same
three-group network, at a reduced budget, on the loader's held-out split:

- a frozen 2x2 patch-whitening first layer (filters from the eigenvectors of the training
  patches' covariance, and their negatives), as in airbench;
- batch norm with a fast running average and no scale (momentum 0.4 here: airbench's 0.6 is
  already in Keras's convention, a deviation found after the measured run; kept as run);
- the second convolution of each group starting as the identity on its first channels;
- an exponential moving average of the weights (Keras's ``use_ema``), airbench's lookahead
  in the simplest form Keras offers;
- shifts of up to 2 pixels instead of 4.

It keeps today's optimizer, schedule, batch size and weight decay, and leaves the whitening
layer's bias at 0 (airbench trains it for 3 epochs).

Run: ``python docs/experiments/cifar10_fast_ingredients.py CIFAR10_FOLDER LIMIT EPOCHS``.
The results, with hardware, date and commit, are in docs/benchmarks.md ("Issue 37").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def whitening_filters(images: np.ndarray, eps: float = 5e-4) -> np.ndarray:
    """2x2x3 filters that whiten the images' 2x2 patches, and their negatives: (2, 2, 3, 24)."""
    patches = np.lib.stride_tricks.sliding_window_view(images, (2, 2), axis=(1, 2))  # n, 31, 31, 3, 2, 2
    patches = patches.transpose(0, 1, 2, 4, 5, 3).reshape(-1, 12)
    patches = patches[np.random.default_rng(0).choice(len(patches), min(len(patches), 400_000), replace=False)]
    covariance = np.cov(patches, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    filters = eigenvectors / np.sqrt(eigenvalues + eps)  # columns: one filter each
    filters = filters.reshape(2, 2, 3, 12)
    return np.concatenate([filters, -filters], axis=-1).astype("float32")


def build_fast(chapter: dict, train_images: np.ndarray, widths=(64, 256, 256), max_shift=2, num_classes=10):
    import keras
    from keras import layers

    def batch_norm():
        return layers.BatchNormalization(momentum=0.4, scale=False, epsilon=1e-5)

    def identity_start(conv):
        kernel = conv.get_weights()[0]
        channels = min(kernel.shape[2], kernel.shape[3])
        kernel[1, 1, np.arange(channels), np.arange(channels)] += 1.0
        conv.set_weights([kernel])

    inputs = x = keras.Input(shape=train_images.shape[1:])
    x = layers.RandomFlip("horizontal")(x)
    shift = max_shift / train_images.shape[1]
    x = layers.RandomTranslation(shift, shift, fill_mode="reflect", interpolation="nearest")(x)
    whiten = layers.Conv2D(24, 2, padding="valid", use_bias=True, trainable=False, name="whiten")
    x = layers.Activation("gelu")(whiten(x))
    second_convs = []
    for filters in widths:
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(2)(x)
        x = layers.Activation("gelu")(batch_norm()(x))
        conv = layers.Conv2D(filters, 3, padding="same", use_bias=False)
        second_convs.append(conv)
        x = layers.Activation("gelu")(batch_norm()(conv(x)))
    x = layers.GlobalMaxPooling2D()(x)
    logits = layers.Rescaling(1 / 9)(layers.Dense(num_classes, use_bias=False)(x))
    outputs = layers.Activation("softmax", dtype="float32")(logits)
    model = keras.Model(inputs, outputs, name="fast_cnn")
    whiten.set_weights([whitening_filters(train_images), np.zeros(24, "float32")])
    for conv in second_convs:
        identity_start(conv)
    return model


def compile_fast(chapter: dict, model, total_steps: int, ema: bool):
    import keras

    schedule = chapter["warmup_cosine"](total_steps)
    optimizer = keras.optimizers.SGD(
        schedule, momentum=0.9, nesterov=True, weight_decay=5e-3, use_ema=ema, ema_momentum=0.99
    )
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta"])
    model.compile(
        optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.2), metrics=["accuracy"]
    )
    return model


def score(chapter: dict, model, x_test, y_test) -> tuple[float, float]:
    labels = y_test.argmax(axis=1)
    plain = float((model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=1) == labels).mean())
    views = float((chapter["predict_with_flips_and_shifts"](model, x_test).argmax(axis=1) == labels).mean())
    return plain, views


def main(source: str, limit: int, epochs: int) -> None:
    import keras

    from cnn_course import seeding
    from cnn_course.benchmarks.chapter02 import held_out_arrays
    from cnn_course.benchmarks.common import start_run
    from cnn_course.course.course import Course
    from cnn_course.course.namespace import chapter_namespace

    (x_train, y_train), (x_test, y_test) = held_out_arrays(source, limit, 0)
    chapter = chapter_namespace(Course.at(ROOT), "02", (), tags=("benchmark",))
    start_run(print, train_images=len(x_train), epochs=epochs)
    batch_size = chapter["BETTER_BATCH_SIZE"]
    steps = epochs * -(-len(x_train) // batch_size)
    variants = {
        "today's recipe": lambda: chapter["compile_better_cnn"](chapter["build_better_cnn"](), total_steps=steps),
        "fast ingredients, no EMA": lambda: compile_fast(chapter, build_fast(chapter, x_train), steps, ema=False),
        "fast ingredients with EMA": lambda: compile_fast(chapter, build_fast(chapter, x_train), steps, ema=True),
    }
    rows = []
    for name, make in variants.items():
        seeding.set_seed(0)
        keras.backend.clear_session()
        model = make()
        print(f"--- {name}: {model.count_params():,} parameters")
        start = time.perf_counter()
        model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=2)
        seconds = time.perf_counter() - start
        plain, views = score(chapter, model, x_test, y_test)
        print(f"{name}: {plain:.2%} plain, {views:.2%} with flips and shifts, {seconds:.0f} s")
        rows.append((name, seconds, plain, views))
    base = rows[0][1]
    print(f"{'variant':<28} {'seconds':>8} {'x time':>7} {'plain':>7} {'+TTA':>7}")
    for name, seconds, plain, views in rows:
        print(f"{name:<28} {seconds:>8.0f} {seconds / base:>7.2f} {plain:>7.2%} {views:>7.2%}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
