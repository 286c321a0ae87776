"""Answers learners really write, for the agreement test (test_agreement.py).

``CORRECT``: for each exercise, other ways to get it right than the reference answer, which
both the self-check and the graded tests must accept. ``MISTAKES``: typical wrong answers
beyond the ones in test_chapterNN.py's ``WRONG_ANSWERS``, which both must refuse. Keys are
(chapter number, exercise name).
"""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from keras import layers
from keras.applications.vgg16 import preprocess_input

window_view = np.lib.stride_tricks.sliding_window_view


# --- Chapter 1 -------------------------------------------------------------------------


def conv_output_size_by_counting(size, kernel_size, padding=0, stride=1):
    return len(range(0, size + 2 * padding - kernel_size + 1, stride))


def conv_output_size_with_float_division(size, kernel_size, padding=0, stride=1):
    return (size + 2 * padding - kernel_size) / stride + 1


def convolve2d_by_windows(image, kernel, padding=0, stride=1):
    padded = np.pad(np.asarray(image, dtype=float), padding)
    windows = window_view(padded, kernel.shape)[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, kernel)


def convolve2d_without_padding(image, kernel, padding=0, stride=1):
    windows = window_view(np.asarray(image, dtype=float), kernel.shape)[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, kernel)


def conv_layer_by_loops(image, filters, bias):
    kh, kw, _, count = filters.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1, count))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for f in range(count):
                out[i, j, f] = np.sum(image[i : i + kh, j : j + kw, :] * filters[:, :, :, f]) + bias[f]
    return out


def conv_layer_first_channel_only(image, filters, bias):
    windows = window_view(image[..., 0], filters.shape[:2])
    return np.einsum("ijab,abf->ijf", windows, filters[:, :, 0, :]) + bias


def conv_layer_summed_bias(image, filters, bias):
    windows = window_view(image, filters.shape[:2], axis=(0, 1))
    return np.einsum("ijcab,abcf->ijf", windows, filters) + bias.sum()


def max_pool_by_loops(x, size=2):
    rows, columns = x.shape[0] // size, x.shape[1] // size
    out = np.zeros((rows, columns, *x.shape[2:]), dtype=x.dtype)
    for i in range(rows):
        for j in range(columns):
            out[i, j] = x[i * size : (i + 1) * size, j * size : (j + 1) * size].max(axis=(0, 1))
    return out


def average_pool(x, size=2):
    rows, columns = x.shape[0] // size, x.shape[1] // size
    blocks = x[: rows * size, : columns * size].reshape(rows, size, columns, size, *x.shape[2:])
    return blocks.mean(axis=(1, 3))


def max_pool_keeping_partial_windows(x, size=2):
    rows, columns = -(-x.shape[0] // size), -(-x.shape[1] // size)
    out = np.zeros((rows, columns, *x.shape[2:]), dtype=x.dtype)
    for i in range(rows):
        for j in range(columns):
            out[i, j] = x[i * size : (i + 1) * size, j * size : (j + 1) * size].max(axis=(0, 1))
    return out


def lenet5_by_hand():
    return {"C1": 156, "S2": 0, "C3": 2416, "S4": 0, "C5": 48120, "F6": 10164, "output": 850}


def lenet5_without_biases():
    return {"C1": 150, "S2": 0, "C3": 2400, "S4": 0, "C5": 48000, "F6": 10080, "output": 840}


# --- Chapter 2 -------------------------------------------------------------------------


def first_cifar_cnn_built_in_a_loop(input_shape=(32, 32, 3), num_classes=10):
    model = keras.Sequential([keras.Input(shape=input_shape)], name="first_cnn")
    for filters in (32, 64):
        model.add(layers.Conv2D(filters, (3, 3), activation="relu", padding="valid"))
        model.add(layers.Conv2D(filters, (3, 3), activation="relu", padding="valid"))
        model.add(layers.MaxPooling2D(pool_size=(2, 2)))
        model.add(layers.Dropout(0.25))
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(num_classes, activation="softmax"))
    return model


def first_cifar_cnn_with_same_padding_in_block_two(input_shape=(32, 32, 3), num_classes=10):
    return keras.Sequential(
        [
            keras.Input(input_shape),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Conv2D(64, 3, activation="relu", padding="same"),
            layers.Conv2D(64, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )


def hand_shapes_as_lists():
    return {
        "conv1": [30, 30, 32],
        "conv2": [28, 28, 32],
        "pool1": [14, 14, 32],
        "conv3": [12, 12, 64],
        "conv4": [10, 10, 64],
        "pool2": [5, 5, 64],
        "flatten": [1600],
    }


def hand_shapes_flatten_with_the_wrong_depth():
    return {
        "conv1": (30, 30, 32),
        "conv2": (28, 28, 32),
        "pool1": (14, 14, 32),
        "conv3": (12, 12, 64),
        "conv4": (10, 10, 64),
        "pool2": (5, 5, 64),
        "flatten": (5 * 5 * 32,),
    }


def scale_images_by_division(x):
    return np.divide(x, 255, dtype=np.float32)


def activation_model_by_position(model):
    outputs = []
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            outputs.append(layer.output)
    return keras.Model(inputs=model.inputs[0], outputs=outputs)


def activation_model_of_the_inputs(model):
    return keras.Model(model.inputs, [layer.input for layer in model.layers if isinstance(layer, layers.Conv2D)])


def grad_cam_with_tensorflow(maps, gradients):
    import tensorflow as tf

    weights = tf.reduce_mean(gradients, axis=[0, 1])
    heat = tf.nn.relu(tf.einsum("hwc,c->hw", tf.cast(maps, tf.float32), tf.cast(weights, tf.float32)))
    return (heat / tf.reduce_max(heat)).numpy() if float(tf.reduce_max(heat)) > 0 else heat.numpy()


def grad_cam_min_max(maps, gradients):
    heat = np.maximum(np.tensordot(maps, gradients.mean(axis=(0, 1)), axes=1), 0)
    return (heat - heat.min()) / (heat.max() - heat.min()) if heat.max() > heat.min() else heat


def grad_cam_without_pooling(maps, gradients):
    heat = np.maximum((maps * gradients).sum(axis=-1), 0)
    return heat / heat.max() if heat.max() > 0 else heat


def grad_cam_divided_by_zero(maps, gradients):
    heat = np.maximum((maps * gradients.mean(axis=(0, 1))).sum(axis=-1), 0)
    return heat / heat.max()


# --- Chapter 3 -------------------------------------------------------------------------

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


def count_photos_with_rglob(root):
    counts = {}
    for split in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        counts[split.name] = {
            folder.name: sum(1 for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in PHOTO_SUFFIXES)
            for folder in sorted(split.iterdir())
            if folder.is_dir()
        }
    return counts


def count_every_file_lower_case(root):
    return {
        split.name: {folder.name: sum(1 for _ in folder.iterdir()) for folder in split.iterdir()}
        for split in Path(root).iterdir()
    }


def augmentation_in_degrees_as_pairs():
    return keras.Sequential(
        [
            layers.RandomRotation((-30 / 360, 30 / 360)),
            layers.RandomTranslation((-0.2, 0.2), (-0.2, 0.2)),
            layers.RandomZoom((-0.2, 0.2)),
            layers.RandomFlip("horizontal"),
        ]
    )


def augmentation_in_degrees():
    return keras.Sequential(
        [
            layers.RandomRotation(30),
            layers.RandomTranslation(0.2, 0.2),
            layers.RandomZoom(0.2),
            layers.RandomFlip("horizontal"),
        ]
    )


def first_cats_cnn_with_add(input_shape=(150, 150, 3), dropout_rate=0.0):
    model = keras.Sequential(name="first_cnn")
    model.add(keras.Input(shape=input_shape))
    model.add(layers.Rescaling(1.0 / 255.0))
    for filters in (32, 64, 64):
        model.add(layers.Conv2D(filters, (3, 3), activation="relu"))
        model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dropout(dropout_rate))
    model.add(layers.Dense(256, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def first_cats_cnn_with_softmax_pair(input_shape=(150, 150, 3), dropout_rate=0.0):
    model = first_cats_cnn_with_add(input_shape, dropout_rate)
    return keras.Sequential([*model.layers[:-1], layers.Dense(2, activation="softmax")])


def compile_with_loss_objects(model, num_classes):
    loss = keras.losses.BinaryCrossentropy() if num_classes == 2 else keras.losses.CategoricalCrossentropy()
    model.compile(
        optimizer=keras.optimizers.Adam(0.001),
        loss=loss,
        metrics=[
            keras.metrics.BinaryAccuracy(name="accuracy")
            if num_classes == 2
            else keras.metrics.CategoricalAccuracy(name="accuracy")
        ],
    )
    return model


def compile_with_default_optimizer_name(model, num_classes):
    model.compile(
        optimizer="adam",
        loss="binary_crossentropy" if num_classes == 2 else "categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def scores_to_labels_with_where(scores, threshold=0.5):
    return np.where(np.reshape(scores, -1) > threshold, 1, 0)


def scores_to_labels_rounding(scores, threshold=0.5):
    return np.round(np.ravel(scores)).astype(int)


def prediction_summary_with_mapping(y_true, y_pred, class_names):
    true_names = pd.Series(np.asarray(class_names)[np.ravel(y_true)], name="true")
    predicted_names = pd.Series(np.asarray(class_names)[np.ravel(y_pred)], name="predicted")
    return float((true_names == predicted_names).mean()), pd.crosstab(true_names, predicted_names, margins=True)


def prediction_summary_without_margins(y_true, y_pred, class_names):
    names = np.asarray(class_names)
    table = pd.crosstab(pd.Series(names[y_true], name="true"), pd.Series(names[y_pred], name="predicted"))
    return float(np.mean(np.ravel(y_true) == np.ravel(y_pred))), table


def photo_to_batch_with_pil(photo, size=(150, 150)):
    from PIL import Image

    resized = Image.fromarray(np.asarray(photo, dtype=np.uint8)).resize((size[1], size[0]))
    return np.asarray(resized, dtype=np.float32)[np.newaxis]


def photo_to_batch_with_pil_width_first(photo, size=(150, 150)):
    from PIL import Image

    resized = Image.fromarray(np.asarray(photo, dtype=np.uint8)).resize(size)
    return np.asarray(resized, dtype=np.float32)[np.newaxis]


def photo_to_batch_cropped(photo, size=(150, 150)):
    height, width = size
    padded = np.pad(np.asarray(photo, dtype=np.float32), ((0, height), (0, width), (0, 0)), mode="edge")
    return padded[:height, :width][np.newaxis]


# --- Chapter 4 -------------------------------------------------------------------------


def vgg_preprocess_by_hand(images):
    bgr = np.asarray(images, dtype=np.float32)[..., ::-1]
    return bgr - np.array([103.939, 116.779, 123.68], dtype=np.float32)


def vgg_preprocess_scaled(images):
    return preprocess_input(np.array(images, dtype="float32") / 255.0)


def frozen_model_freezing_each_layer(base):
    for layer in base.layers:
        layer.trainable = False
    head = layers.Dense(256, activation="relu")(layers.Flatten()(base.output))
    output = layers.Dense(1, activation="sigmoid")(layers.Dropout(0.4)(head))
    return keras.Model(inputs=base.inputs, outputs=output)


def frozen_model_with_global_pooling(base):
    base.trainable = False
    x = layers.GlobalAveragePooling2D()(base.output)
    x = layers.Dropout(0.4)(layers.Dense(256, activation="relu")(x))
    return keras.Model(base.input, layers.Dense(1, activation="sigmoid")(x))


def bottleneck_functional(feature_shape):
    inputs = keras.Input(feature_shape)
    x = layers.Dropout(0.4)(layers.Dense(256, activation="relu")(layers.Flatten()(inputs)))
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def bottleneck_uncompiled(feature_shape):
    return keras.Sequential(
        [
            keras.Input(feature_shape),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


def unfreeze_by_position(model):
    start = next(i for i, layer in enumerate(model.layers) if layer.name == "block5_conv1")
    for index, layer in enumerate(model.layers):
        in_base = layer.name.startswith("block") or index == 0
        layer.trainable = index >= start or not in_base


def unfreeze_whole_model(model):
    model.trainable = True
    for layer in model.layers:
        layer.trainable = True


def submission_with_pandas(ids, dog_probabilities, path, low=0.005, high=0.995):
    clipped = np.clip(np.ravel(dog_probabilities), low, high)
    pd.DataFrame({"id": list(ids), "label": clipped}).to_csv(path, index=False)


def submission_rounded_to_labels(ids, dog_probabilities, path, low=0.005, high=0.995):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label"])
        for photo_id, probability in zip(ids, np.ravel(dog_probabilities)):
            writer.writerow([photo_id, int(probability > 0.5)])


CORRECT = {
    ("01", "conv_output_size"): [conv_output_size_by_counting],
    ("01", "convolve2d"): [convolve2d_by_windows],
    ("01", "conv_layer"): [conv_layer_by_loops],
    ("01", "relu"): [lambda x: np.where(x > 0, x, 0.0), lambda x: x * (x > 0)],
    ("01", "max_pool"): [max_pool_by_loops],
    ("01", "dense_params"): [lambda n_inputs, units, use_bias=True: n_inputs * units + (units if use_bias else 0)],
    ("01", "conv_params"): [
        lambda kernel_size, in_channels, filters, use_bias=True: (
            (kernel_size**2 * in_channels + bool(use_bias)) * filters
        )
    ],
    ("01", "memory_gb"): [lambda n_numbers, dtype: n_numbers * np.zeros(1, dtype=dtype).nbytes / 10**9],
    ("01", "lenet5_params"): [lenet5_by_hand],
    ("02", "scale_images"): [scale_images_by_division],
    ("02", "build_first_cnn"): [first_cifar_cnn_built_in_a_loop],
    ("02", "layer_shapes_by_hand"): [hand_shapes_as_lists],
    ("02", "build_activation_model"): [activation_model_by_position],
    ("02", "grad_cam_heatmap"): [grad_cam_with_tensorflow],
    ("03", "count_photos"): [count_photos_with_rglob],
    ("03", "build_augmentation"): [augmentation_in_degrees_as_pairs],
    ("03", "build_first_cnn"): [first_cats_cnn_with_add],
    ("03", "compile_classifier"): [compile_with_loss_objects, compile_with_default_optimizer_name],
    ("03", "scores_to_labels"): [scores_to_labels_with_where],
    ("03", "prediction_summary"): [prediction_summary_with_mapping],
    ("03", "photo_to_batch"): [photo_to_batch_with_pil],
    ("04", "vgg_preprocess"): [vgg_preprocess_by_hand],
    ("04", "build_frozen_model"): [frozen_model_freezing_each_layer],
    ("04", "build_bottleneck_classifier"): [bottleneck_functional],
    ("04", "unfreeze_last_block"): [unfreeze_by_position],
    ("04", "write_submission"): [submission_with_pandas],
}

MISTAKES = {
    ("01", "conv_output_size"): [conv_output_size_with_float_division],
    ("01", "convolve2d"): [convolve2d_without_padding],
    ("01", "conv_layer"): [conv_layer_first_channel_only, conv_layer_summed_bias],
    ("01", "max_pool"): [average_pool, max_pool_keeping_partial_windows],
    ("01", "dense_params"): [
        lambda n_inputs, units, use_bias=True: (n_inputs + 1) * units,
        lambda n_inputs, units, use_bias=True: n_inputs * units + n_inputs,
    ],
    ("01", "conv_params"): [
        lambda kernel_size, in_channels, filters, use_bias=True: kernel_size**2 * filters + filters,
        lambda kernel_size, in_channels, filters, use_bias=True: (kernel_size**2 * in_channels + 1) * filters,
    ],
    ("01", "memory_gb"): [
        lambda n_numbers, dtype: n_numbers * 4 / 1e9,
        lambda n_numbers, dtype: n_numbers * np.dtype(dtype).itemsize / 1e6,
    ],
    ("02", "scale_images"): [lambda x: (x / 255).astype("float16")],
    ("02", "build_first_cnn"): [first_cifar_cnn_with_same_padding_in_block_two],
    ("02", "layer_shapes_by_hand"): [hand_shapes_flatten_with_the_wrong_depth],
    ("02", "build_activation_model"): [activation_model_of_the_inputs],
    ("02", "grad_cam_heatmap"): [grad_cam_min_max, grad_cam_without_pooling, grad_cam_divided_by_zero],
    ("03", "count_photos"): [count_every_file_lower_case],
    ("03", "build_augmentation"): [augmentation_in_degrees],
    ("03", "build_first_cnn"): [first_cats_cnn_with_softmax_pair],
    ("03", "scores_to_labels"): [scores_to_labels_rounding],
    ("03", "prediction_summary"): [prediction_summary_without_margins],
    ("03", "photo_to_batch"): [photo_to_batch_with_pil_width_first, photo_to_batch_cropped],
    ("04", "vgg_preprocess"): [vgg_preprocess_scaled],
    ("04", "build_frozen_model"): [frozen_model_with_global_pooling],
    ("04", "build_bottleneck_classifier"): [bottleneck_uncompiled],
    ("04", "unfreeze_last_block"): [unfreeze_whole_model],
    ("04", "write_submission"): [submission_rounded_to_labels],
}
