"""Answers learners really write, for the agreement test (test_agreement.py).

``CORRECT``: for each exercise, other ways to get it right than the reference answer, which
both the self-check and the graded tests must accept. ``MISTAKES``: typical wrong answers
beyond the ones in test_chapterNN.py's ``WRONG_ANSWERS``, which both must refuse. Keys are
(chapter number, exercise name).
"""

from __future__ import annotations

import csv

import keras
import numpy as np
import pandas as pd
from keras import layers
from keras.applications.vgg16 import preprocess_input

from cnn_course import interpret

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


def activation_model_by_rank(model):
    kept = [layer for layer in model.layers if type(layer).__name__ != "InputLayer" and layer.output.ndim == 4]
    return keras.Model(inputs=model.inputs[0], outputs=[layer.output for layer in kept])


def activation_model_by_layer_type(model):
    """Picks layers by type: the dropout after the dense layer outputs no maps; a mistake."""
    outputs = []
    for layer in model.layers:
        if type(layer).__name__ in ("Conv2D", "MaxPooling2D", "AveragePooling2D", "Dropout"):
            outputs.append(layer.output)
    return keras.Model(inputs=model.inputs[0], outputs=outputs)


def activation_model_of_the_inputs(model):
    return keras.Model(model.inputs, [layer.input for layer in model.layers if len(layer.output.shape) == 4])


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


def photo_dataset_in_steps(folder, shuffle, batch_size=32):
    import tensorflow as tf

    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="binary", image_size=(150, 150), batch_size=None, shuffle=False, verbose=False
    )
    photos = photos.cache()
    if shuffle:
        photos = photos.shuffle(buffer_size=10_000, reshuffle_each_iteration=True)
    photos = photos.batch(batch_size)
    return photos.prefetch(buffer_size=tf.data.AUTOTUNE)


def photo_dataset_batched_before_the_cache(folder, shuffle, batch_size=32):
    """Batching before the shuffle keeps the same photos together: a mistake."""
    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="binary", image_size=(150, 150), batch_size=batch_size, shuffle=False, verbose=False
    ).cache()
    if shuffle:
        photos = photos.shuffle(100, reshuffle_each_iteration=True)
    return photos.prefetch(1)


def photo_dataset_shuffled_by_the_loader(folder, shuffle, batch_size=32):
    """The loader's own shuffle happens before the cache, which then replays one order: a mistake."""
    photos = keras.utils.image_dataset_from_directory(
        folder, label_mode="binary", image_size=(150, 150), batch_size=None, shuffle=shuffle, seed=1, verbose=False
    )
    return photos.cache().batch(batch_size).prefetch(1)


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


def compile_with_loss_objects(model, labels):
    if model.output_shape[-1] == 1:
        loss, metric = keras.losses.BinaryCrossentropy(), keras.metrics.BinaryAccuracy(name="accuracy")
    elif np.ndim(labels) == 2 and np.shape(labels)[1] == model.output_shape[-1]:
        loss, metric = keras.losses.CategoricalCrossentropy(), keras.metrics.CategoricalAccuracy(name="accuracy")
    else:
        loss, metric = keras.losses.SparseCategoricalCrossentropy(), "sparse_categorical_accuracy"
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss=loss, metrics=[metric])
    return model


def compile_with_loss_functions(model, labels):
    """Keras's loss functions themselves, not their names or classes, are a right answer too."""
    if model.output_shape[-1] == 1:
        loss = keras.losses.binary_crossentropy
    elif np.ndim(labels) == 2 and np.shape(labels)[1] == model.output_shape[-1]:
        loss = keras.losses.categorical_crossentropy
    else:
        loss = keras.losses.sparse_categorical_crossentropy
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=loss, metrics=["accuracy"])
    return model


def compile_with_default_optimizer_name(model, labels):
    one_hot = np.ndim(labels) == 2 and np.shape(labels)[1] > 1
    loss = {True: "categorical_crossentropy", False: "sparse_categorical_crossentropy"}[one_hot]
    model.compile(
        optimizer="adam", loss="binary_crossentropy" if model.output_shape[-1] == 1 else loss, metrics=["acc"]
    )
    return model


def compile_by_the_number_of_classes(model, labels):
    """The loss picked from how many classes the labels hold: a two-unit softmax gets the wrong one."""
    loss = (
        "binary_crossentropy"
        if len(np.unique(np.argmax(labels, -1) if np.ndim(labels) == 2 else labels)) <= 2
        else ("categorical_crossentropy")
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss, metrics=["accuracy"])
    return model


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


def occlusion_of_probabilities(model, photo, label, patch=30, stride=15):
    """Drops of the probability, which a confident model rounds to 1.0: a mistake now."""
    photo = np.asarray(photo, dtype=np.float32)
    tops = range(0, photo.shape[0] - patch + 1, stride)
    lefts = range(0, photo.shape[1] - patch + 1, stride)
    dog = float(np.asarray(model(photo[None])).ravel()[0])
    drops = np.zeros((len(tops), len(lefts)))
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            covered = photo.copy()
            covered[top : top + patch, left : left + patch] = 128.0
            now = float(np.asarray(model(covered[None])).ravel()[0])
            drops[i, j] = (dog - now) if label == 1 else (now - dog)
    return drops


def occlusion_in_one_batch(model, photo, label, patch=30, stride=15):
    photo = np.asarray(photo, dtype=np.float32)
    height, width = photo.shape[:2]
    tops, lefts = range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)
    places = [(top, left) for top in tops for left in lefts]
    covered = np.repeat(photo[np.newaxis], len(places) + 1, axis=0)
    for index, (top, left) in enumerate(places, start=1):
        covered[index, top : top + patch, left : left + patch] = 128.0
    dog = interpret.class_logits(model, covered).ravel()
    scores = dog if label == 1 else -dog
    return (scores[0] - scores[1:]).reshape(len(tops), len(lefts))


def occlusion_of_the_predicted_class(model, photo, label, patch=30, stride=15):
    """Explains the predicted class instead of the true one: a mistake when the model is wrong."""
    photo = np.asarray(photo, dtype=np.float32)
    dog = float(interpret.class_logits(model, photo[None]).ravel()[0])
    predicted = int(dog > 0)
    tops = range(0, photo.shape[0] - patch + 1, stride)
    lefts = range(0, photo.shape[1] - patch + 1, stride)
    drops = np.zeros((len(tops), len(lefts)))
    for i, top in enumerate(tops):
        for j, left in enumerate(lefts):
            covered = photo.copy()
            covered[top : top + patch, left : left + patch] = 128.0
            now = float(interpret.class_logits(model, covered[None]).ravel()[0])
            drops[i, j] = (dog - now) if predicted == 1 else (now - dog)
    return drops


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


def fine_tuning_compiled_first(model, head_learning_rate):
    """Compiling before changing trainable works too: compile drops the traced step either way."""
    optimizer = keras.optimizers.Adam(learning_rate=0.1 * head_learning_rate, name="fine_tuning_adam")
    model.compile(optimizer, keras.losses.BinaryCrossentropy(), metrics=[keras.metrics.BinaryAccuracy()])
    start = next(i for i, layer in enumerate(model.layers) if layer.name.startswith("block5"))
    for index, layer in enumerate(model.layers):
        layer.trainable = index >= start and (layer.name.startswith("block5") or not layer.name.startswith("block"))
    return model


def fine_tuning_without_recompiling(model, head_learning_rate):
    """Unfreezes and lowers the rate, but the traced step keeps training the head alone: a mistake."""
    for layer in model.layers:
        layer.trainable = layer.name.startswith("block5") or not layer.name.startswith("block")
    model.optimizer.learning_rate = head_learning_rate / 10
    return model


def fine_tuning_a_hundred_times_slower(model, head_learning_rate):
    for layer in model.layers:
        layer.trainable = layer.name.startswith("block5") or not layer.name.startswith("block")
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate / 100), loss="binary_crossentropy")
    return model


def fine_tuning_the_whole_base(model, head_learning_rate):
    model.trainable = True
    for layer in model.layers:
        layer.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(head_learning_rate / 10), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


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
    ("02", "build_activation_model"): [activation_model_by_rank],
    ("02", "grad_cam_heatmap"): [grad_cam_with_tensorflow],
    ("03", "photo_dataset"): [photo_dataset_in_steps],
    ("03", "build_augmentation"): [augmentation_in_degrees_as_pairs],
    ("03", "build_first_cnn"): [first_cats_cnn_with_add],
    ("03", "compile_classifier"): [
        compile_with_loss_objects,
        compile_with_loss_functions,
        compile_with_default_optimizer_name,
    ],
    ("03", "photo_to_batch"): [photo_to_batch_with_pil],
    ("03", "occlusion_drops"): [occlusion_in_one_batch],
    ("04", "vgg_preprocess"): [vgg_preprocess_by_hand],
    ("04", "build_frozen_model"): [frozen_model_freezing_each_layer],
    ("04", "start_fine_tuning"): [fine_tuning_compiled_first],
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
    ("02", "build_activation_model"): [activation_model_of_the_inputs, activation_model_by_layer_type],
    ("02", "grad_cam_heatmap"): [grad_cam_min_max, grad_cam_without_pooling, grad_cam_divided_by_zero],
    ("03", "photo_dataset"): [photo_dataset_batched_before_the_cache, photo_dataset_shuffled_by_the_loader],
    ("03", "build_augmentation"): [augmentation_in_degrees],
    ("03", "build_first_cnn"): [first_cats_cnn_with_softmax_pair],
    ("03", "compile_classifier"): [compile_by_the_number_of_classes],
    ("03", "photo_to_batch"): [photo_to_batch_with_pil_width_first, photo_to_batch_cropped],
    ("03", "occlusion_drops"): [occlusion_of_the_predicted_class, occlusion_of_probabilities],
    ("04", "vgg_preprocess"): [vgg_preprocess_scaled],
    ("04", "build_frozen_model"): [frozen_model_with_global_pooling],
    ("04", "start_fine_tuning"): [
        fine_tuning_without_recompiling,
        fine_tuning_a_hundred_times_slower,
        fine_tuning_the_whole_base,
    ],
    ("04", "write_submission"): [submission_rounded_to_labels],
}
