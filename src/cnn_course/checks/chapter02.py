"""Self-checks for Chapter 2, a CIFAR-10 CNN."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from cnn_course import interpret
from cnn_course.checks.calling import call, describe_call, require_callable
from cnn_course.checks.compare import compare_arrays
from cnn_course.checks.core import Exercise
from cnn_course.checks.models import LayerSpec, check_layers, conv, dense, dropout, max_pool, require_model
from cnn_course.checks.progress import ProgressView
from cnn_course.checks.verdict import Mismatch

FIRST_CNN_LAYERS = [
    conv(32, (30, 30, 32)),
    conv(32, (28, 28, 32)),
    max_pool((14, 14, 32)),
    dropout(0.25, (14, 14, 32)),
    conv(64, (12, 12, 64)),
    conv(64, (10, 10, 64)),
    max_pool((5, 5, 64)),
    dropout(0.25, (5, 5, 64)),
    LayerSpec("Flatten", (1600,)),
    dense(256, (256,), "relu"),
    dropout(0.5, (256,)),
    dense(10, (10,), "softmax"),
]
FIRST_CNN_PARAMS = 477_994
HAND_SHAPES = {
    "conv1": (30, 30, 32),
    "conv2": (28, 28, 32),
    "pool1": (14, 14, 32),
    "conv3": (12, 12, 64),
    "conv4": (10, 10, 64),
    "pool2": (5, 5, 64),
    "flatten": (1600,),
}


def _check_scale(answer: Any) -> None:
    function = require_callable(answer, "scale_images")
    # No batch holds a 0 or a 255, and one is a single flat grey: an answer that scales by the
    # batch's own minimum and maximum (so a photo's look depends on the rest of its batch)
    # cannot pass by luck.
    batches = [
        np.random.default_rng(7).integers(12, 231, size=(4, 32, 32, 3), dtype=np.uint8),
        np.full((2, 5, 5, 3), 102, dtype=np.uint8),
    ]
    for images in batches:
        got = call(function, images)
        if getattr(got, "dtype", None) != np.float32:
            raise Mismatch(
                f"scale_images should return float32 (what Keras computes in), got {getattr(got, 'dtype', type(got))}."
            )
        compare_arrays(got, images.astype(np.float64) / 255.0, describe_call("scale_images", (images,), {}), atol=1e-6)


def _check_first_cnn(answer: Any) -> None:
    function = require_callable(answer, "build_first_cnn")
    model = require_model(call(function), "build_first_cnn")
    check_layers(
        model,
        FIRST_CNN_LAYERS,
        FIRST_CNN_PARAMS,
        "Check the filters, the 3x3 kernels and that the convolutions use no padding.",
    )


def _check_hand_shapes(answer: Any) -> None:
    function = require_callable(answer, "layer_shapes_by_hand")
    got = call(function)
    if not isinstance(got, dict) or list(got) != list(HAND_SHAPES):
        keys = list(got) if isinstance(got, dict) else type(got).__name__
        raise Mismatch(f"layer_shapes_by_hand() should return a dict with keys {list(HAND_SHAPES)}, got {keys}.")
    for name, shape in HAND_SHAPES.items():
        value = got[name]
        if not isinstance(value, tuple | list):
            raise Mismatch(
                f"{name} should be the tuple {shape}, got {value!r} ({type(value).__name__}). A shape is always a "
                f"tuple, even with one number: write ({value!r},)."
            )
        if tuple(value) != shape:
            raise Mismatch(f"{name} should be {shape}, got {tuple(value)}.")


def _small_cnns() -> list:
    """Two small CNNs, Sequential and functional, where the first CNN's layer positions would not
    work. Their weights are drawn here, not by the initializers, so that new or cloned layers
    (initialised afresh) compute something else."""
    import keras
    from keras import layers

    sequential = keras.Sequential(
        [
            keras.Input((10, 10, 3)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Dropout(0.2),
            layers.Conv2D(6, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dropout(0.3),  # a dropout of vectors, not maps
            layers.Dense(3, activation="softmax"),
        ],
        name="small_sequential_cnn",
    )
    inputs = keras.Input((12, 12, 3))
    x = layers.Conv2D(5, 3, activation="relu")(inputs)
    x = layers.Conv2D(5, 3, activation="relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Conv2D(7, 1, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    models = [sequential, keras.Model(inputs, outputs, name="small_functional_cnn")]
    rng = np.random.default_rng(17)
    for model in models:
        model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    return models


def _maps_layer_by_layer(model: Any, images: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """(layer name, output) of each layer whose output is a stack of maps (batch, height, width,
    channels), by calling the layers one after another."""
    from keras import layers

    found, x = [], images
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        x = layer(x)
        if len(x.shape) == 4:
            found.append((layer.name, np.asarray(x)))
    return found


def _check_activation_model(answer: Any) -> None:
    import keras

    function = require_callable(answer, "build_activation_model")
    for model in _small_cnns():
        try:
            activation_model = call(function, model)
        except Mismatch as mismatch:
            if "no defined input" not in str(mismatch):
                raise
            raise Mismatch(
                f"{mismatch} Use model.inputs: every built model has them, while a Sequential model's .input "
                "exists only once it has been called on data."
            ) from None
        if not isinstance(activation_model, keras.Model):
            raise Mismatch(
                f"build_activation_model should return a keras.Model, got {type(activation_model).__name__}. "
                "Build it with keras.Model(inputs=..., outputs=[...])."
            )
        images = np.random.default_rng(3).uniform(0, 1, (2, *model.input_shape[1:])).astype(np.float32)
        expected = _maps_layer_by_layer(model, images)
        with warnings.catch_warnings():  # Keras warns when a model built on model.inputs gets one tensor
            warnings.simplefilter("ignore")
            got = call(activation_model, images)
        got = list(got) if isinstance(got, list | tuple) else [got]
        if len(got) != len(expected):
            names = ", ".join(name for name, _ in expected)
            if len(got) == len(expected) + 1 and np.allclose(np.asarray(got[0]), images):
                advice = " The first output is the images themselves: a functional model's InputLayer computes nothing."
            elif len(got) > len(expected):
                advice = " Flatten, dense and global pooling layers give one vector per image, not maps."
            else:
                advice = " Pooling layers output maps too (smaller ones), not only the convolutions."
            raise Mismatch(
                f"{model.name} has {len(expected)} layers whose output has a height, a width and channels "
                f"({names}), so its activation model should have {len(expected)} outputs, got {len(got)}.{advice}"
            )
        for position, ((name, wanted), output) in enumerate(zip(expected, got), start=1):
            try:
                compare_arrays(output, wanted, f"output {position} of {model.name}'s activation model ({name})")
            except Mismatch as mismatch:
                raise Mismatch(
                    f"{mismatch} Use each layer's own .output from the model you were given, in the order of "
                    "its layers: its layer.input, or new or cloned layers, compute something else."
                ) from None


def _trained_cnn():
    """A tiny CNN trained for a moment to tell a bright left half from a bright right half,
    so that its gradients mean something. Built once per session: training takes a second."""
    global _TRAINED_CNN
    if _TRAINED_CNN is None:
        import keras
        import tensorflow as tf
        from keras import initializers, layers

        rng = np.random.default_rng(21)
        images = rng.uniform(0, 0.3, (64, 8, 8, 1)).astype(np.float32)
        labels = np.arange(64) % 2
        images[labels == 0, :, :4] += 0.7
        images[labels == 1, :, 4:] += 0.7
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                layers.Conv2D(4, 3, activation="relu", kernel_initializer=initializers.GlorotUniform(seed=8)),
                layers.Conv2D(6, 3, activation="relu", kernel_initializer=initializers.GlorotUniform(seed=9)),
                layers.Flatten(),
                layers.Dense(2, activation="softmax", kernel_initializer=initializers.GlorotUniform(seed=10)),
            ],
            name="tiny_trained_cnn",
        )
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        # Why: smoke runs and grading run Keras functions eagerly (environment.prepare), where
        # these 60 small steps take 5 s; traced into a graph once, they take about one.
        eager = tf.config.functions_run_eagerly()
        tf.config.run_functions_eagerly(False)
        try:
            model.fit(images, labels, epochs=15, batch_size=16, verbose=0)
        finally:
            tf.config.run_functions_eagerly(eager)
        _TRAINED_CNN = model, images[:2]
    return _TRAINED_CNN


_TRAINED_CNN = None


def _maps_and_gradients(model: Any, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The last conv layer's maps for one image and the gradients of the predicted class's logit
    with respect to them, as NumPy arrays: steps 1 to 3 of the chapter, handed over as it does."""
    import keras
    import tensorflow as tf

    classifier = model.layers[-1]
    probe = keras.Model(model.inputs[0], [model.layers[-3].output, classifier.input])
    with tf.GradientTape() as tape:
        maps, features = probe(image[np.newaxis], training=False)
        logits = keras.ops.matmul(features, classifier.kernel) + classifier.bias
        score = logits[:, int(tf.argmax(logits[0]))]
    return maps[0].numpy(), tape.gradient(score, maps)[0].numpy()


def _heat_advice(got: np.ndarray, expected: np.ndarray) -> str:
    if not expected.any():
        return (
            " Where every weighted sum is negative, nothing speaks for the class: after the ReLU the map is 0 "
            "everywhere, and it stays 0 (divide only by a largest value above 0)."
        )
    if np.isnan(got).any():
        return " It holds NaN: when the largest value is 0, leave the map as it is instead of dividing by 0."
    if got.min() < -1e-6:
        return " It has negative values: cut them to 0 (ReLU) before scaling."
    if got.max() > 1 + 1e-4:
        return " Its largest value is above 1: divide by the largest value."
    return (
        " Each map's weight is its gradient averaged over height and width (one number per channel); "
        "the heat at a place is the sum over the channels of map times weight."
    )


def _check_grad_cam(answer: Any) -> None:
    function = require_callable(answer, "grad_cam_heatmap")
    rng = np.random.default_rng(5)
    cases = [
        ("maps and gradients of mixed signs", rng.uniform(0, 2, (5, 6, 4)), rng.normal(size=(5, 6, 4))),
        ("gradients that are all positive", rng.uniform(0.5, 2, (4, 7, 3)), rng.uniform(0.1, 1, (4, 7, 3))),
        ("gradients that are all negative", rng.uniform(0, 2, (3, 3, 2)), -rng.uniform(0.1, 1, (3, 3, 2))),
    ]
    model, images = _trained_cnn()
    for index, image in enumerate(images):
        maps, gradients = _maps_and_gradients(model, image)
        cases.append((f"the last conv layer of a small trained CNN (image {index + 1})", maps, gradients))
    for what, maps, gradients in cases:
        maps, gradients = maps.astype(np.float32), gradients.astype(np.float32)
        expected = interpret.heatmap_from_gradients(maps, gradients)
        got = call(function, maps, gradients)
        try:
            compare_arrays(got, expected, f"the heat map for {what}", atol=1e-5, rtol=1e-4)
        except Mismatch as mismatch:
            same_shape = np.shape(got) == expected.shape
            advice = _heat_advice(np.asarray(got, dtype=np.float64), expected) if same_shape else ""
            raise Mismatch(f"{mismatch}{advice}") from None
    reference, _ = interpret.grad_cam(model, images[0])
    compare_arrays(
        call(function, *_maps_and_gradients(model, images[0])), reference, "the heat map next to interpret.grad_cam's"
    )


scale_images = Exercise(
    "scale_images",
    _check_scale,
    [
        "What is the largest value a uint8 pixel can hold? Every photo should be divided by the same number.",
        "Make the array float32 first (uint8 arithmetic stays in 0..255), then divide every pixel by that same "
        "largest possible value.",
        "Not by the largest pixel of this batch: a photo would then look different depending on the photos next to it.",
    ],
    ideas=[
        "one fixed scale (255) in float32, the same for every photo",
    ],
    chapter=__name__,
)
build_first_cnn = Exercise(
    "build_first_cnn",
    _check_first_cnn,
    [
        "Two 3x3 convolutions of 32 filters, pooling, dropout 0.25; the same with 64 filters; then Flatten, Dense "
        "256, dropout 0.5 and a softmax layer of 10. Start with keras.Input(shape=(32, 32, 3)).",
        "Use valid padding (Keras's default) and ReLU in the convolutions: the fourth one must output 10x10x64.",
        "Check yourself with model.summary(): the flatten layer should give 1,600 features, as the shapes exercise "
        "below works out.",
    ],
    ideas=[
        "convolution and pooling blocks that shrink the maps",
        "flatten, then dense layers",
        "a softmax of one unit per class",
    ],
    chapter=__name__,
)
layer_shapes_by_hand = Exercise(
    "layer_shapes_by_hand",
    _check_hand_shapes,
    [
        "Chapter 1's conv_output_size answers each convolution (kernel 3, no padding, stride 1); pooling "
        "is a window of 2 that moves 2 at a time.",
        "A 3x3 convolution without padding takes 2 pixels off each side length; 2x2 pooling halves it (rounding down).",
        "Follow the side length layer by layer; the depth is the layer's number of filters (pooling keeps it); "
        "flatten multiplies height, width and depth, and its shape is a tuple of one number.",
    ],
    ideas=[
        "what a valid 3x3 convolution does to a side",
        "what 2x2 pooling does (rounding down)",
        "depth, and what flatten multiplies",
    ],
    chapter=__name__,
)
build_activation_model = Exercise(
    "build_activation_model",
    _check_activation_model,
    [
        "You need no new layers: the model you are given already computes every feature map. Which of its layers' "
        "tensors do you want as outputs?",
        "Every layer of a built model knows the symbolic tensor it outputs; a keras.Model can be made from any inputs"
        " to any such tensors.",
        "Keep the layers whose output has four axes (batch, height, width, channels), in the model's order; the new "
        "model starts from the given model's own inputs.",
    ],
    ideas=[
        "which layers give feature maps (four axes)",
        "a model from the given model's inputs",
    ],
    chapter=__name__,
)
grad_cam_heatmap = Exercise(
    name="grad_cam_heatmap",
    checker=_check_grad_cam,
    helpers=(interpret.grad_cam, interpret.heatmap_from_gradients),
    hints=[
        "Work out the shapes first: the weights have one number per channel, the heat map one number per place. Which"
        " axes does each step average or add over?",
        "Average the gradients over height and width (one weight per map); multiply each map by its weight and add "
        "over the channels; cut negatives to 0.",
        "Scale so the peak is 1, but only when the peak is above 0: a map that is 0 everywhere must stay 0, not "
        "become NaN.",
    ],
    ideas=[
        "the gradient of the class score with respect to the feature maps",
        "one weight per map: the gradients averaged over height and width",
        "the weighted sum over channels, negatives cut",
        "scale to a peak of 1 without dividing by 0",
    ],
    chapter=__name__,
)

EXERCISES = (scale_images, build_first_cnn, layer_shapes_by_hand, build_activation_model, grad_cam_heatmap)
progress = ProgressView(EXERCISES, globals())
